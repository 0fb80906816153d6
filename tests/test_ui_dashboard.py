"""The dashboard on real sources (simulated athlete, replay, a failing source), offscreen.

Reps must reach the counter and the bar chart through queued signals, the space
bar must start and stop sets, a set summary must appear, errors and
disconnects must be shown, and no DSP may ever run on the GUI thread.
"""
import threading
import time

import numpy as np
import pytest
from PyQt6.QtCore import Qt, QTimer

from emg_monitor.model import Channel, DeviceInfo, EventKind, Kind, SampleBlock  # noqa: E402
from emg_monitor.sim.athlete import AthleteConfig  # noqa: E402
from emg_monitor.sources.base import Source  # noqa: E402
from emg_monitor.sources.simulated import SimulatedSource  # noqa: E402
from emg_monitor.ui.app import DashboardOptions, build_window, make_session  # noqa: E402
from emg_monitor.ui.main_window import DashboardWindow  # noqa: E402

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]


def sim(speed=8.0, realtime=True, **cfg):
    base = dict(sets=1, reps_per_set=5, setup_s=1.0, rest_between_sets_s=3.0,
                lumbar_pattern=(False, True, False, False, False), seed=2)
    base.update(cfg)
    return SimulatedSource(AthleteConfig(**base), realtime=realtime, speed=speed)


@pytest.fixture
def opts(tmp_path):
    return DashboardOptions(simulate=True, athlete="ana", sessions_root=str(tmp_path / "sessions"),
                            home=str(tmp_path / "home"), speed=8.0)


@pytest.fixture
def window_on(qtbot):
    made = []

    def make(session, **kw):
        w = DashboardWindow(session, exercises=("deadlift",), **kw)
        qtbot.addWidget(w)
        w.resize(1400, 900)
        w.show()
        made.append(w)
        return w
    yield make
    for w in made:
        w.close()


def test_reps_reach_counter_bars_and_summary_via_space_bar(qtbot, window_on, opts):
    session = make_session(sim(), opts)
    w = window_on(session)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.set_active, timeout=5000)
    assert w.set_button.text().startswith("STOP")
    qtbot.waitUntil(lambda: len(w.bars.reps) >= 4, timeout=30000)
    assert w.counter.reps == max(r.rep for r in w.bars.reps)
    assert w.counter.count.text() == str(w.counter.reps)
    assert w.cue.verdict is not None                   # a cue was shown for the last rep
    # uncalibrated: no absolute verdict; the lumbar-compensated 2nd rep stands out relative
    # to the athlete's own reps (docs/reps-and-ratio.md)
    assert {(r.verdict.value, r.verdict_basis) for r in w.bars.reps} == {("unknown", "relative")}
    assert w.bars.reps[1].ratio_relative < 0.7 < w.bars.reps[2].ratio_relative
    assert w.frames > 0 and w.traces.rows               # the timer draws traces
    from PyQt6.QtWidgets import QLabel
    shown = [lab.text() for lab in w.findChildren(QLabel) if lab.isVisible()]
    shown += w.traces.titles
    assert any("µV" in t for t in shown) and not any("uV" in t for t in shown), shown
    x = w.traces.rows[0].x_s
    assert x is not None and len(x) > 10
    qtbot.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not w.set_active, timeout=5000)
    assert w.pages.currentWidget() is w.summary
    s = w.summary.summary
    assert s.reps == len([r for r in w.reps if r.set_index == w.set_index]) >= 4
    assert w.summary.fields["reps"].text() == str(s.reps)
    assert "glutes first" in s.onset_text or "erectors first" in s.onset_text
    # recorded from the source thread, independent of the GUI
    assert session.recorder is not None and session.recorder.samples_written > 0


def test_gui_thread_never_runs_dsp_and_keeps_ticking(qtbot, window_on, opts):
    src = sim(realtime=False, sets=2)                   # as fast as the CPU allows
    session = make_session(src, opts, record=False)
    dsp_threads = set()
    original = session.engine.on_block

    def spy(block):
        dsp_threads.add(threading.get_ident())
        return original(block)
    session.engine.on_block = spy
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    w = window_on(session)
    qtbot.waitUntil(lambda: src.stats.frames > 0, timeout=5000)
    frames_before = w.frames
    qtbot.waitUntil(lambda: not session.reader.running, timeout=60000)
    timer.stop()
    assert dsp_threads and threading.get_ident() not in dsp_threads
    # the event loop kept turning while the source pushed at full speed
    assert len(ticks) >= 3 and w.frames > frames_before
    assert w.session.display.reps_snapshot()            # and the engine did its job


class FlakySource(Source):
    """A real Source that sends a few blocks, reports a disconnection, then fails."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def _open(self):
        return DeviceInfo(1000.0, (Channel("left_glute", Kind.RAW_EMG, "uV"),
                                   Channel("left_erector", Kind.RAW_EMG, "uV")), device="flaky")

    def _read(self, timeout_s):
        time.sleep(0.01)
        self.n += 1
        if self.n == 5:
            self._event(EventKind.DISCONNECTED, self.n * 20,
                        "/dev/ttyUSB0: device reports readiness to read but returned no data")
        if self.n == 30:
            raise OSError("device vanished")
        rng = np.random.default_rng(self.n)
        return [SampleBlock(self.n * 20, rng.normal(0, 20, (20, 2)))]


def test_disconnect_and_source_error_are_shown(qtbot, window_on, opts):
    w = window_on(make_session(FlakySource(), opts, record=False))
    qtbot.waitUntil(lambda: any("DISCONNECTED" in h for h in w.banner.history), timeout=5000)
    said = next(h for h in w.banner.history if "DISCONNECTED" in h)
    # what happened and what to do, in the lifter's words; pyserial's wording only on hover
    assert "/dev/ttyUSB0" in said and "USB cable" in said and "readiness" not in said
    assert any("readiness" in d for d in w.banner.details)        # on hover
    assert w.stale_reason == "disconnect" and not w.live.showing_ratio
    qtbot.waitUntil(lambda: any("device vanished" in h for h in w.banner.history), timeout=5000)
    assert w.banner.isVisible() and "device vanished" in w.banner.text()
    assert w.status_device.text() == "source failed"


def test_replay_in_the_same_screens_with_pause_and_seek(qtbot, window_on, tmp_path, opts):
    from emg_monitor.sources.replay import ReplaySource
    src = sim(realtime=False, sets=1)
    rec_session = make_session(src, opts)
    rec_session.engine.start_set()
    rec_session.start()
    assert rec_session.reader.wait(60)
    rec_session.close()
    folder = rec_session.recording_path
    replay = ReplaySource(folder, speed=8.0)
    w = window_on(make_session(replay, opts, record=False))
    assert w.pause_button.isVisibleTo(w) and w.seek_slider.isVisibleTo(w)
    qtbot.waitUntil(lambda: len(w.reps) >= 2, timeout=30000)
    qtbot.waitUntil(lambda: w.seek_slider.maximum() > 0, timeout=5000)
    w.pause_button.click()
    assert replay.paused
    w.seek_slider.setValue(10)
    w._seek_released()
    qtbot.waitUntil(lambda: abs(replay.position_s - 1.0) < 0.2, timeout=5000)
    w.pause_button.click()
    assert not replay.paused


def test_no_board_offers_the_simulator(qtbot, opts):
    opts.simulate = False
    w = build_window(opts, None)
    qtbot.addWidget(w)
    assert w.session is None
    assert "Simulated athlete" in w.cue.text()
    w.source_buttons["Simulated athlete"].click()
    try:
        qtbot.waitUntil(lambda: w.session is not None, timeout=10000)   # opened on a worker
        qtbot.waitUntil(lambda: w.session.bridge.counters()[0] > 0, timeout=10000)
    finally:
        w.close()


def test_cli_reports_a_bad_port_as_one_line(capsys):
    from emg_monitor.cli import main
    assert main(["dashboard", "--exercise", "curls"]) == 2
    assert "unknown exercise" in capsys.readouterr().err


def test_a_window_that_let_go_of_its_session_is_never_called_again(qtbot, window_on, opts):
    """Closing the window leaves the source's thread to stop on its own (the GUI never
    waits). Whatever happens to the window's bridge meanwhile (Qt deletes it at exit), the
    stopping source must not call into it: that was a traceback on closing a replay."""
    from PyQt6 import sip
    session = make_session(SimulatedSource(AthleteConfig(sets=1, seed=3)), opts, record=False)
    w = window_on(session)
    qtbot.waitUntil(lambda: w.frames > 3, timeout=10000)
    assert session.reader.running                # the thread is still reading when we let go
    bridge = session.bridge
    w.detach()
    sip.delete(bridge)                       # the C++ object goes while the thread stops
    assert session.close(block=False).wait(10)
    assert session.reader.failures == [] and session.engine.failures == []
