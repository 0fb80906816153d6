"""SimulatedSource: the athlete through the emulated board and the real decoder."""
import time
from dataclasses import replace

import numpy as np
import pytest

from emg_monitor.cli import main
from emg_monitor.model import DeviceConfig, EventKind, Kind
from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.sources.base import Listener
from emg_monitor.device import lsb_units
from emg_monitor.sources.simulated import SimulatedSource
from emg_monitor.sources.notifier import Notifier

CFG = AthleteConfig(seed=5, sets=1, reps_per_set=3, setup_s=1.0)


class Collect(Listener):
    def __init__(self):
        self.info, self.blocks, self.events, self.stopped = None, [], [], False
        self.blocks_at_event = []             # blocks handed out when each event came

    def on_info(self, info):
        self.info = info

    def on_block(self, b):
        self.blocks.append(b)

    def on_event(self, e):
        self.events.append(e)
        self.blocks_at_event.append(len(self.blocks))

    def on_stop(self):
        self.stopped = True


def _run(src):
    got = Collect()
    rd = Notifier(src)
    rd.add_listener(got)
    rd.start()
    assert rd.wait(60)
    rd.stop()
    rd.raise_error()
    return got


def test_fast_mode_is_finite_exact_and_ends_with_end_event():
    src = SimulatedSource(CFG, realtime=False)
    got = _run(src)
    n = int(round(src.athlete.duration_s * 1000))
    assert sum(b.n for b in got.blocks) == n
    assert [e.kind for e in got.events] == [EventKind.END]
    assert got.events[0].sample_index == n and got.stopped
    data = np.vstack([b.data for b in got.blocks])
    ref = Athlete(CFG).render(n)
    assert np.all(np.abs(data - ref) <= lsb_units(src._link.hello, src.device_config) / 2 + 1e-9)
    assert got.info.device.startswith("simulated athlete")
    assert len(src.truth) == 3 and src.stats.frames >= n and src.stats.resyncs == 0


def test_duration_rate_and_channel_subset_follow_the_device_config():
    dev = DeviceConfig(sample_rate_hz=2000, n_emg=2, n_motion=1)
    src = SimulatedSource(CFG, dev, realtime=False, duration_s=1.5)
    got = _run(src)
    assert got.info.sample_rate_hz == 2000
    assert got.info.names == ("left_glute", "left_erector", "accel_x")
    assert sum(b.n for b in got.blocks) == 3000
    assert src.athlete.fs == 2000


def test_envelope_mode_publishes_envelope_channels():
    src = SimulatedSource(replace(CFG, envelope_output=True), realtime=False, duration_s=2.0)
    got = _run(src)
    assert [c.kind for c in got.info.channels[:4]] == [Kind.ENVELOPE] * 4
    assert got.info.channels[0].unit == "mV"
    data = np.vstack([b.data for b in got.blocks])
    assert data[:, :4].min() >= 0


def test_dropped_frames_are_counted_and_indexed():
    src = SimulatedSource(CFG, realtime=False, duration_s=2.0, drop_every=100)
    got = _run(src)
    assert src.stats.lost_samples == 19                  # the 20th drop is the very last sample
    last = got.blocks[-1]
    assert last.first_index + last.n == 1999
    assert sum(b.n for b in got.blocks) == 1980


def test_realtime_is_paced_and_runs_past_the_session():
    src = SimulatedSource(replace(CFG, sets=1, reps_per_set=1), realtime=True, speed=50.0)
    got = Collect()
    rd = Notifier(src)
    rd.add_listener(got)
    rd.start()
    deadline = time.monotonic() + 10
    end = int(src.athlete.duration_s * 1000) + 2000
    while time.monotonic() < deadline and sum(b.n for b in got.blocks) < end:
        time.sleep(0.02)
    rd.stop()
    rd.raise_error()
    assert sum(b.n for b in got.blocks) >= end          # quiet standing after the plan
    assert all(e.kind != EventKind.END for e in got.events)
    sizes = [b.n for b in got.blocks]
    assert max(sizes) <= 250                            # even after a stall: <= 0.25 s per block


def test_cli_monitor_simulate_prints_live_values(capsys):
    rc = main(["monitor", "--simulate", "--seconds", "1.2", "--sets", "1", "--reps", "1"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "left_glute rms" in out and "Hz lost" in out


def test_cli_bad_choices_are_one_line_errors(capsys):
    assert main(["monitor", "--simulate", "--seconds", "0.1",
                 "--electrode-off", "nose"]) == 2
    assert "no EMG channel 'nose'" in capsys.readouterr().err


def test_cli_simulate_pty_prints_the_device(capsys, tmp_path):
    pytest.importorskip("tty")
    link = tmp_path / "board"
    assert main(["simulate", "--pty", "--link", str(link), "--seconds", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "/dev/" in out and str(link) in out
    assert not link.exists()


@pytest.mark.parametrize("drop_every", [0, 37])
def test_paced_blocks_are_the_same_stream_as_unpaced_in_small_slices(drop_every):
    """The paced source makes its signal 0.1 s at a time and hands it out in block-sized
    slices at wall-clock pace: the stream (indices, losses, values) is the one the unpaced
    source makes, the slices are as small as before, and each is stamped when handed out."""
    fast = _run(SimulatedSource(CFG, realtime=False, duration_s=3.0, drop_every=drop_every))
    paced = _run(SimulatedSource(CFG, realtime=True, speed=2.0, duration_s=3.0,
                                 drop_every=drop_every))
    index = [np.arange(b.first_index, b.first_index + b.n) for b in paced.blocks]
    assert np.array_equal(np.concatenate(index),
                          np.concatenate([np.arange(b.first_index, b.first_index + b.n)
                                          for b in fast.blocks]))
    assert np.array_equal(np.vstack([b.data for b in paced.blocks]),
                          np.vstack([b.data for b in fast.blocks]))
    assert sum(b.lost_before for b in paced.blocks) == sum(b.lost_before for b in fast.blocks)
    assert [e.sample_index for e in paced.events] == [e.sample_index for e in fast.events]
    # slices of ~20 ms of wall time (40 samples at 2x speed), not the 100-sample batches
    assert np.median([b.n for b in paced.blocks]) < 90
    stamps = [b.host_time_s for b in paced.blocks]
    assert stamps[-1] - stamps[0] >= 0.5                             # paced, not at once


def test_paced_imu_stream_and_its_messages_are_the_unpaced_ones():
    """With IMUs (rows wait for their IMU reads; a silent IMU is said as an INFO event):
    the paced stream carries the same rows and says the same messages at the same
    indices, each with the read that hands out its samples."""
    cfg = DeviceConfig(sample_rate_hz=1000, n_emg=4, n_motion=0,
                       imu_segments=("pelvis", "thigh", "thorax"))
    runs = []
    for realtime in (False, True):
        src = SimulatedSource(CFG, cfg, realtime=realtime, duration_s=1.5)
        src.emulator.imu_silent_from = {"pelvis": 555, "thigh": 700, "thorax": 843}
        runs.append((src, _run(src)))
    (_, fast), (src, paced) = runs
    assert np.array_equal(np.vstack([b.data for b in paced.blocks]),
                          np.vstack([b.data for b in fast.blocks]), equal_nan=True)
    said = [(e.kind, e.sample_index, e.detail) for e in paced.events]
    assert said == [(e.kind, e.sample_index, e.detail) for e in fast.events]
    info = [k for k, e in enumerate(paced.events) if e.kind == EventKind.INFO]
    assert len(info) == 3
    for k in info:      # said with the read of its samples, not a 0.1 s batch ahead of them
        i, before = paced.events[k].sample_index, paced.blocks[:paced.blocks_at_event[k]]
        same_read = [b for b in paced.blocks[len(before):]
                     if b.host_time_s == paced.blocks[len(before)].host_time_s]
        assert before[-1].first_index + before[-1].n <= i        # after the samples before it
        assert i < same_read[-1].first_index + same_read[-1].n   # with the read of its sample
