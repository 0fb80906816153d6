"""The recorded demo session replayed in the live screens: reps, verdicts, pause, seek."""
import time
from pathlib import Path

import pytest

from emg_monitor.model import Verdict
from emg_monitor.session import load_session
from emg_monitor.ui.app import DashboardOptions, build_window

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]

DEMO = Path(__file__).resolve().parents[1] / "seeds" / "demo"


@pytest.fixture
def replay_window(qtbot, tmp_path):
    opts = DashboardOptions(replay=str(DEMO), speed=16.0, home=str(tmp_path / "home"),
                            sessions_root=str(tmp_path / "sessions"))
    w = build_window(opts)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    yield w
    w.close()


def wait_still(qtbot, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qtbot.wait(20)


def test_demo_replays_its_reps_and_verdicts_into_the_bar_chart(qtbot, replay_window):
    w = replay_window
    recorded = load_session(DEMO)
    qtbot.waitUntil(lambda: "finished" in w.status_rate.text(), timeout=20000)
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=5000)
    assert [r.rep for r in w.bars.reps] == [1, 2, 3, 4, 5, 6]
    assert [r.verdict for r in w.bars.reps] == [r.verdict for r in recorded.reps]
    lumbar = [r.rep for r in w.bars.reps if r.verdict == Verdict.LUMBAR_DOMINANT]
    assert lumbar == [3, 6]
    assert [r.ratio for r in w.bars.reps] == pytest.approx([r.ratio for r in recorded.reps],
                                                           rel=0.05)
    assert w.counter.count.text() == "6"
    assert w.summary.summary.reps == 6
    assert "replay demo" in w.status_recording.text() and "REC" not in w.status_recording.text()
    assert "replay" in w.status_device.text()
    assert w.athlete == recorded.meta.athlete           # the session's own athlete
    assert w.calibrated                                  # judged with the recorded calibration
    assert not w.set_button.isEnabled()                  # sets come from the recording


def test_pause_holds_the_position_and_seek_moves_it(qtbot, replay_window):
    w = replay_window
    src = w.session.source
    qtbot.waitUntil(lambda: "finished" in w.status_rate.text(), timeout=20000)
    w.pause_button.click()
    assert src.paused and "paused" in w.status_recording.text()
    w.seek_to(10.0)                                      # after the end: plays again from 10 s
    qtbot.waitUntil(lambda: w.session.reader.running, timeout=2000)
    assert src.position_s == pytest.approx(10.0, abs=0.01)
    wait_still(qtbot, 0.4)
    assert src.position_s == pytest.approx(10.0, abs=0.01)
    assert w.position_label.text().startswith("0:10.0 / 0:32.2")
    w.pause_button.click()                               # resume
    assert not src.paused
    qtbot.waitUntil(lambda: src.position_s > 12.0, timeout=5000)
    w.pause_button.click()
    wait_still(qtbot, 0.1)                               # a read already in flight lands
    held = src.position_s
    wait_still(qtbot, 0.4)
    assert src.position_s == held and held < 20.0
    frames, drawn = w.frames, w.traces.rows[0].x_s
    wait_still(qtbot, 0.2)
    assert w.frames > frames                             # the timer keeps ticking,
    assert w.traces.rows[0].x_s is drawn              # but nothing new: no redraw
    w.seek_slider.setValue(250)
    w._seek_released()
    assert src.position_s == pytest.approx(25.0, abs=0.01)
    qtbot.waitUntil(lambda: w.position_label.text().startswith("0:25.0"), timeout=2000)


def test_seeks_keep_the_recorded_rep_and_set_numbers_and_controls_say_what_they_can_do(
        qtbot, replay_window):
    """Seeking back and forth never renumbers: the demo stays one set of reps 1-6, and a
    replay offers no set button, no calibration and no "press SPACE" hint."""
    w = replay_window
    recorded = load_session(DEMO)
    assert not w.set_button.isVisible() and not w.calibrate_button.isVisible()
    qtbot.waitUntil(lambda: "finished" in w.status_rate.text(), timeout=20000)
    for t_s in (2.0, 15.0, 0.0):
        w.seek_to(t_s)
        qtbot.waitUntil(lambda: "finished" in w.status_rate.text(), timeout=30000)
        qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=5000)
        assert {r.set_index for r in w.reps} == {1}
        assert sorted({r.session_rep for r in w.reps}) == sorted(r.session_rep for r in recorded.reps)
        assert [r.rep for r in w.bars.reps] == [1, 2, 3, 4, 5, 6]
        assert w.counter.set_label.text().startswith("SET 1")
        assert w.summary.summary.reps == 6 and "Set 1" in w.summary.title.text()
        assert w.last_rep.rep.rep == 6                        # the card shows the newest rep
        assert not w.summary.hint.isVisible()
