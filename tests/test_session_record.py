"""``emg-monitor record`` in a real process: SIGTERM / Ctrl-C close the session cleanly."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from emg_monitor.cli import main
from emg_monitor.session import load_session
from emg_monitor.sources.notifier import Notifier

ROOT = Path(__file__).resolve().parents[1]


def start(tmp_path, *extra):
    env = dict(os.environ, EMG_MONITOR_HOME=str(tmp_path / "home"))
    return subprocess.Popen([sys.executable, "-m", "emg_monitor", "record", "--simulate",
                             "--athlete", "Ana", *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_closes_the_session_cleanly(tmp_path, sig):
    out = tmp_path / "session"
    proc = start(tmp_path, "--out", str(out), "--speed", "4")
    try:
        line = proc.stderr.readline()            # printed once the source is running
        assert "recording to" in line, line
        # let some data flow: wait until the recorder has flushed samples to disk
        samples = out / "samples.bin"
        for _ in range(400):
            if samples.exists() and samples.stat().st_size > 0:
                break
            time.sleep(0.05)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    s = load_session(out)
    assert s.closed and len(s.sample_index) > 0
    np.testing.assert_array_equal(s.sample_index, np.arange(len(s.sample_index)))
    assert s.info.sample_rate_hz == 1000.0 and len(s.info.channels) == 6


def test_seconds_and_default_folder_under_home(tmp_path, monkeypatch):
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path / "home"))
    assert main(["record", "--simulate", "--athlete", "Bo Bo", "--seconds", "1",
                 "--speed", "10"]) == 0
    folders = list((tmp_path / "home" / "sessions").iterdir())
    assert len(folders) == 1 and folders[0].name.endswith("_Bo-Bo")
    s = load_session(folders[0])
    assert s.meta.athlete == "Bo Bo" and s.closed
    assert s.duration_s == pytest.approx(1.0, abs=0.002)   # stream seconds, not wall time


def test_unwritable_out_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["record", "--simulate", "--athlete", "A", "--seconds", "1",
                 "--out", str(blocker / "s")]) == 2
    err = capsys.readouterr().err
    assert "cannot write the session" in err


def test_recorded_reps_come_back_when_the_session_is_replayed_through_the_engine(tmp_path):
    from emg_monitor.engine import Engine, EngineSettings, EngineListener
    from emg_monitor.sources.replay import ReplaySource
    out = tmp_path / "s"
    assert main(["record", "--simulate", "--athlete", "Ana", "--seconds", "25", "--speed", "50",
                 "--sets", "1", "--reps", "5", "--seed", "3", "--out", str(out)]) == 0
    s = load_session(out)
    assert len(s.reps) >= 4 and [m["kind"] for m in s.marks] == ["set_start", "set_stop"]

    class Reps(EngineListener):
        def __init__(self):
            self.reps = []

        def on_rep(self, rep):
            self.reps.append(rep)

    engine = Engine(EngineSettings(exercise="deadlift"))
    sink = Reps()
    engine.add_listener(sink)
    src = ReplaySource(out, speed=None)
    rd = Notifier(src)
    rd.add_listener(engine)
    engine.start_set()
    rd.start()
    assert rd.wait(60)
    rd.stop()
    assert [r.rep for r in sink.reps] == [r.rep for r in s.reps]
    assert [r.verdict for r in sink.reps] == [r.verdict for r in s.reps]
    np.testing.assert_allclose([r.ratio for r in sink.reps], [r.ratio for r in s.reps], rtol=1e-3)
    np.testing.assert_allclose([r.t_top_s for r in sink.reps], [r.t_top_s for r in s.reps],
                               atol=0.002)


def test_a_failing_engine_is_reported_and_the_recording_goes_on(tmp_path, monkeypatch, capsys):
    """Issue 11 item 2: the engine raising mid-session costs no sample; the CLI says so."""
    from emg_monitor.engine import Engine
    calls = []
    original = Engine.on_block

    def broken(self, block):
        calls.append(block.n)
        if len(calls) == 3:
            raise ZeroDivisionError("pipeline bug")
        return original(self, block)
    monkeypatch.setattr(Engine, "on_block", broken)
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path / "home"))
    out = tmp_path / "s"
    assert main(["record", "--simulate", "--athlete", "A", "--seconds", "3", "--speed", "20",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Engine.on_block failed and was detached: pipeline bug" in err
    assert "recording goes on" in err and "recorded in full" in err
    assert "Traceback" not in err
    s = load_session(out)
    assert s.closed and len(s.data) == 3000 and len(calls) == 3
