"""The reading/fan-out split: one notifier thread per source, listeners isolated.

A listener that raises (the engine, an outlet, a display) is reported and detached,
and reading and recording go on: the session on disk holds every sample.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from emg_monitor.engine import Engine, EngineListener, EngineSettings
from emg_monitor.fanout import FanOut, ListenerFailure
from emg_monitor.model import DeviceInfo, EventKind, SampleBlock
from emg_monitor.session import Recorder, SessionMeta, load_session
from emg_monitor.sim.athlete import AthleteConfig
from emg_monitor.sources.base import (GroundTruth, Listener, Paced, Pausable, Recording,
                                      ScriptedCalibration, Seekable, Source, SourceError)
from emg_monitor.sources.notifier import Notifier
from emg_monitor.sources.replay import ReplaySource
from emg_monitor.sources.serial_source import SerialSource
from emg_monitor.sources.simulated import SimulatedSource

from session_support import device_info, values

CFG = AthleteConfig(seed=5, sets=1, reps_per_set=3, setup_s=1.0)


class TableSource(Source):
    """A finite in-memory source: ``n_blocks`` blocks of 20 samples, then END."""

    def __init__(self, n_blocks: int = 50, fail_at: int | None = None) -> None:
        super().__init__()
        self.n_blocks, self.fail_at, self.k = n_blocks, fail_at, 0

    def _open(self) -> DeviceInfo:
        return device_info()

    def _read(self, timeout_s: float) -> list[SampleBlock]:
        if self.k == self.fail_at:
            self._event(EventKind.DISCONNECTED, self.k * 20, "cable pulled")
            raise OSError("device vanished")
        if self.k >= self.n_blocks:
            raise StopIteration
        first = self.k * 20
        self.k += 1
        return [SampleBlock(first, values(np.arange(first, first + 20)))]

    def _end_index(self) -> int:
        return self.n_blocks * 20


class Collect(Listener):
    def __init__(self) -> None:
        self.blocks: list[SampleBlock] = []
        self.events: list = []
        self.failures: list[ListenerFailure] = []
        self.errors: list[BaseException] = []
        self.infos = 0
        self.stopped = threading.Event()

    def on_info(self, info):
        self.infos += 1

    def on_block(self, block):
        self.blocks.append(block)

    def on_event(self, event):
        self.events.append(event)

    def on_error(self, exc):
        self.errors.append(exc)

    def on_stop(self):
        self.stopped.set()

    def on_listener_failed(self, failure):
        self.failures.append(failure)


class Bomb(Listener):
    """Raises on the ``at``-th call of ``method``."""

    def __init__(self, method: str = "on_block", at: int = 1) -> None:
        self.method, self.at, self.calls = method, at, 0

    def __getattribute__(self, name):
        if name == object.__getattribute__(self, "method"):
            def call(*args):
                self.calls += 1
                if self.calls >= self.at:
                    raise RuntimeError(f"{name} exploded")
            return call
        return object.__getattribute__(self, name)


def run(source: Source, *listeners: Listener) -> Notifier:
    rd = Notifier(source, list(listeners))
    rd.start()
    assert rd.wait(60)
    rd.stop()
    return rd


@settings(max_examples=40, deadline=None)
@given(method=st.sampled_from(["on_info", "on_block", "on_event", "on_stop"]),
       at=st.integers(1, 60), position=st.integers(0, 2))
def test_a_failing_listener_is_detached_reported_and_the_others_get_everything(method, at,
                                                                               position):
    before, after = Collect(), Collect()
    bomb = Bomb(method, at)
    listeners: list[Listener] = [before, after]
    listeners.insert(position, bomb)
    rd = run(TableSource(50), *listeners)
    for c in (before, after):
        assert sum(b.n for b in c.blocks) == 1000          # nothing lost for the others
        assert [e.kind for e in c.events] == [EventKind.END]
        assert c.stopped.is_set() and c.infos == 1
    fired = bomb.calls >= at
    assert [f.listener for f in rd.failures] == ([bomb] if fired else [])
    if fired:
        f = rd.failures[0]
        assert f.method == method and "exploded" in str(f) and "detached" in str(f)
        assert bomb not in rd.listeners
        assert before.failures == after.failures == [f]    # surfaced to the others
        assert bomb.calls == at                              # never called again
    assert rd.error is None


def test_the_engine_failing_never_stops_the_recorder(tmp_path):
    """Issue 11 item 2: an exception in the engine must not cost the recording."""
    engine = Engine(EngineSettings())
    src = SimulatedSource(CFG, realtime=False)
    info = src.open()
    n = int(round(src.athlete.duration_s * info.sample_rate_hz))
    rec = Recorder(tmp_path / "s", SessionMeta(athlete="a", exercise="deadlift"))
    calls = []

    def broken(block):
        calls.append(block.n)
        if len(calls) == 30:
            raise ZeroDivisionError("pipeline bug")
    engine.on_block = broken                                # an engine bug
    rd = run(src, rec, engine)
    rec.close()
    assert len(calls) == 30 and [f.name for f in rd.failures] == ["Engine"]
    session = load_session(tmp_path / "s")
    assert len(session.data) == n                           # every sample on disk
    assert any("pipeline bug" in e["detail"] for e in session.errors)   # and why reps stop


def test_an_engine_listener_failing_is_isolated_like_an_lsl_outlet(tmp_path):
    engine = Engine(EngineSettings())
    good = Collect()
    reps: list = []

    class Outlet(EngineListener):
        def on_processed(self, chunk):
            raise OSError("network is unreachable")

    class Reps(EngineListener):
        def on_rep(self, rep):
            reps.append(rep)

        def on_listener_failed(self, failure):
            good.failures.append(failure)
    engine.add_listener(Outlet())
    engine.add_listener(Reps())
    engine.start_set()
    rd = run(SimulatedSource(CFG, realtime=False), engine)
    assert rd.failures == []
    assert [f.name for f in engine.failures] == ["Outlet"] == [f.name for f in good.failures]
    assert len(reps) == 3                                   # the detector went on


def test_a_source_error_comes_after_the_events_before_it_and_ends_the_thread():
    got = Collect()
    rd = run(TableSource(50, fail_at=10), got)
    assert sum(b.n for b in got.blocks) == 200
    assert [e.kind for e in got.events] == [EventKind.DISCONNECTED]
    assert isinstance(rd.error, OSError) and got.errors == [rd.error]
    with pytest.raises(OSError):
        rd.raise_error()
    assert got.stopped.is_set()


def test_a_listener_added_before_and_after_open_hears_info_once():
    early, late = Collect(), Collect()
    src = TableSource(3)
    rd = Notifier(src, [early])
    src.open()
    rd.add_listener(late)
    rd.start()
    assert rd.wait(10)
    rd.stop()
    assert early.infos == late.infos == 1
    assert not src.is_open                                  # stop closes the source


def test_read_before_open_is_a_clear_error():
    with pytest.raises(SourceError, match="not open"):
        TableSource().read(0.01)


def test_fanout_reports_a_failing_reporter_without_recursing():
    fan: FanOut[object] = FanOut("test")

    class BadReporter:
        def on_x(self):
            raise ValueError("first")

        def on_listener_failed(self, failure):
            raise ValueError("second")

    class Fine:
        def __init__(self):
            self.got = []

        def on_x(self):
            pass

        def on_listener_failed(self, failure):
            self.got.append(failure)
    bad1, bad2, fine = BadReporter(), BadReporter(), Fine()
    for x in (bad1, bad2, fine):
        fan.add(x)
    fan.notify("on_x")
    assert [f.listener for f in fan.failures] == [bad1, bad2]
    assert [f.listener for f in fine.got] == [bad1, bad2]


def test_capabilities_are_explicit_protocols(tmp_path):
    sim = SimulatedSource(CFG, realtime=False)
    assert isinstance(sim, (Paced, ScriptedCalibration, GroundTruth))
    assert not isinstance(sim, (Seekable, Pausable, Recording))
    assert sim.calibration_tasks == ()
    scripted = SimulatedSource(AthleteConfig(calibration=True, sets=1, reps_per_set=1))
    assert {t.kind for t in scripted.calibration_tasks} >= {"rest", "glute_mvc", "erector_mvc"}
    path = tmp_path / "t.csv"
    path.write_text("t_s,left_glute_uv\n0,1\n0.001,2\n0.002,3\n")
    replay = ReplaySource(path)
    assert isinstance(replay, (Seekable, Pausable, Paced, Recording))
    assert not isinstance(replay, (ScriptedCalibration, GroundTruth))
    serial = SerialSource("/dev/null")
    for cap in (Seekable, Pausable, Paced, Recording, ScriptedCalibration, GroundTruth):
        assert not isinstance(serial, cap)


def test_a_listener_without_a_newer_notification_is_skipped_not_detached():
    class Old:                                  # predates on_listener_failed and on_event
        def __init__(self):
            self.n = 0

        def on_block(self, block):
            self.n += block.n
    old = Old()
    rd = run(TableSource(10), old, Bomb("on_block", 3))
    assert old.n == 200 and old in rd.listeners
    assert [f.name for f in rd.failures] == ["Bomb"]
