"""ReplaySource plays sessions and CSV files exactly as recorded, at any speed."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from emg_monitor.model import EventKind, Kind, Muscle, Side
from emg_monitor.session import Recorder, SessionMeta
from emg_monitor.sources.base import Listener, SourceError
from emg_monitor.sources.replay import ReplaySource
from emg_monitor.sources.notifier import Notifier

from session_support import block, device_info, values


class Collect(Listener):
    def __init__(self):
        self.blocks, self.events, self.stopped = [], [], threading.Event()
        self.info = None

    def on_info(self, info):
        self.info = info

    def on_block(self, b):
        self.blocks.append(b)

    def on_event(self, e):
        self.events.append(e)

    def on_stop(self):
        self.stopped.set()

    def rows(self):
        idx = np.concatenate([b.first_index + np.arange(b.n) for b in self.blocks])
        return idx, np.vstack([b.data for b in self.blocks])


@pytest.fixture
def session_dir(tmp_path):
    folder = tmp_path / "s"
    with Recorder(folder, SessionMeta("Ana", "deadlift")) as rec:
        rec.on_info(device_info())
        rec.on_block(block(0, 700))
        rec.on_block(block(710, 290))            # 10 samples lost while recording
    return folder


def test_full_speed_replay_reproduces_session(session_dir):
    src = ReplaySource(session_dir, speed=None)
    sink = Collect()
    rd = Notifier(src)
    rd.add_listener(sink)
    rd.start()
    assert rd.wait(10)
    rd.stop()
    assert sink.stopped.is_set() and rd.error is None
    assert sink.info.channels == device_info().channels
    idx, data = sink.rows()
    expected = np.r_[np.arange(700), np.arange(710, 1000)]
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_array_equal(data, values(expected))
    assert sum(b.lost_before for b in sink.blocks) == 10
    assert sink.events[-1].kind == EventKind.END and sink.events[-1].sample_index == 1000
    assert src.position_s == pytest.approx(1.0)


def test_pause_seek_resume(session_dir):
    src = ReplaySource(session_dir, speed=1.0)
    sink = Collect()
    rd = Notifier(src)
    rd.add_listener(sink)
    src.pause()
    rd.start()
    time.sleep(0.15)
    assert sink.blocks == [] and src.paused
    src.seek(0.9)
    assert src.position_s == pytest.approx(0.9)
    src.resume()
    assert rd.wait(10)
    rd.stop()
    idx, data = sink.rows()
    assert idx[0] == 900 and idx[-1] == 999
    np.testing.assert_array_equal(data, values(idx))
    assert any(e.kind == EventKind.INFO and "seek" in e.detail for e in sink.events)


def test_csv_replay_takes_rate_and_roles_from_columns(tmp_path):
    path = tmp_path / "rec.csv"
    t = np.arange(500) / 500.0
    lines = ["t_s,left_glute_uv,right_erector_uv,accel_x_g"]
    lines += [f"{ti:.6f},{i * 0.5},{-i * 0.25},{0.001 * i}" for i, ti in enumerate(t)]
    path.write_text("\n".join(lines) + "\n")
    src = ReplaySource(path, speed=None)
    sink = Collect()
    rd = Notifier(src)
    rd.add_listener(sink)
    rd.start()
    rd.wait(10)
    rd.stop()
    info = sink.info
    assert info.sample_rate_hz == 500.0
    assert info.names == ("left_glute", "right_erector", "accel_x")
    assert info.channels[0].muscle == Muscle.GLUTE and info.channels[0].side == Side.LEFT
    assert info.channels[1].muscle == Muscle.ERECTOR and info.channels[1].side == Side.RIGHT
    assert info.channels[2].kind == Kind.MOTION and info.channels[2].unit == "g"
    idx, data = sink.rows()
    np.testing.assert_array_equal(idx, np.arange(500))
    np.testing.assert_allclose(data[:, 1], -np.arange(500) * 0.25)


def test_real_walking_csv_replays(shared_data):
    path = shared_data / "santuz-walking" / "ID0012_TW_01_emg.csv"
    src = ReplaySource(path, speed=None)
    sink = Collect()
    rd = Notifier(src)
    rd.add_listener(sink)
    rd.start()
    rd.wait(30)
    rd.stop()
    assert rd.error is None
    assert sink.info.sample_rate_hz == pytest.approx(1000.0)
    assert "MA" in sink.info.names
    assert sum(b.n for b in sink.blocks) > 7000


@pytest.mark.parametrize("name, text, message", [
    ("missing.csv", None, "no such recording"),
    ("no_time.csv", "a,b\n1,2\n3,4\n5,6\n", "no time column"),
    ("words.csv", "t_s,a\n0,x\n1,y\n2,z\n", "is not a number"),
])
def test_bad_csv_is_a_clear_source_error(tmp_path, name, text, message):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(SourceError, match=message):
        ReplaySource(path).open()


def test_real_uci_file_with_ragged_tail_replays(shared_data):
    src = ReplaySource(shared_data / "uci-lowerlimb" / "5Nmar.txt", speed=None)
    info = src.open()
    assert info.sample_rate_hz == pytest.approx(1000.0)
    assert "RF" in info.names and info.channels[info.index("RF")].unit == "mV"
    src.close()


def test_foreign_folder_is_a_clear_source_error(tmp_path):
    with pytest.raises(SourceError, match="not an emg-monitor session"):
        ReplaySource(tmp_path).open()
