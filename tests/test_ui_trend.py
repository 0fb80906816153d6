"""The athlete's ratio trend across sessions recorded into a temporary root."""
import math

import pytest

from emg_monitor.cli import main
from emg_monitor.session.history import ratio_trend
from emg_monitor.sim.athlete import AthleteConfig
from emg_monitor.sources.simulated import SimulatedSource
from emg_monitor.ui.app import DashboardOptions, build_window

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("sessions")
    for i, (athlete, exercise, seed) in enumerate([("Ana", "deadlift", 4), ("Ana", "deadlift", 5),
                                                   ("Ana", "squat", 6), ("Bo", "deadlift", 7)]):
        assert main(["record", "--simulate", "--athlete", athlete, "--exercise", exercise,
                     "--seconds", "12", "--speed", "50", "--sets", "1", "--reps", "3",
                     "--seed", str(seed), "--out", str(root / f"s{i}")]) == 0
    return root


def test_trend_per_athlete_and_exercise(root):
    pts = ratio_trend("ana", root, "deadlift")
    assert len(pts) == 2
    assert all(math.isfinite(p.mean_ratio) and p.reps > 0 for p in pts)
    assert len(ratio_trend("Ana", root, None)) == 3
    assert [p.path.name for p in ratio_trend("Bo", root, "deadlift")] == ["s3"]
    assert ratio_trend("Ana", root, "deadlift", exclude=root / "s0")[0].path.name == "s1"
    assert [p.path.name for p in ratio_trend("Ana", root, None, last=1)] == ["s2"]
    assert ratio_trend("", root) == []


def test_summary_shows_past_sessions_and_this_set_against_the_target(qtbot, root, tmp_path):
    opts = DashboardOptions(simulate=True, athlete="Ana", exercise="deadlift",
                            sessions_root=str(root), home=str(tmp_path / "home"), speed=25.0)
    src = SimulatedSource(AthleteConfig(sets=1, reps_per_set=3, setup_s=1.0, seed=2),
                          realtime=True, speed=25.0)
    w = build_window(opts, src)
    qtbot.addWidget(w)
    w.show()
    try:
        expected = [p.mean_ratio for p in ratio_trend("Ana", root, "deadlift")]
        qtbot.waitUntil(lambda: len(w.trend_points) == 2, timeout=10000)
        x, y = w.summary.trend.past_curve.getData()
        assert list(y) == pytest.approx(expected)
        assert w.summary.trend.target_line.isVisible()
        assert "Ana" in w.summary.trend_title.text()
        w.toggle_set()
        qtbot.waitUntil(lambda: w.set_active, timeout=5000)
        qtbot.waitUntil(lambda: len(w.bars.reps) >= 2, timeout=30000)
        loads_during_set = w.trend_loads
        frames = w.frames
        w.toggle_set()
        qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=5000)
        # an uncalibrated set has no absolute ratio to put beside the trend (its reps are
        # relative, docs/reps-and-ratio.md): no "this set" point; a judged set's mean is drawn
        assert math.isnan(w.summary.summary.mean_ratio)
        cx, cy = w.summary.trend.current_curve.getData()
        assert cx is None or len(cx) == 0
        w.summary.trend.set_current(1.25)
        cx, cy = w.summary.trend.current_curve.getData()
        assert list(cx) == [3] and list(cy) == pytest.approx([1.25])
        assert "this set" in w.summary.trend.current_text.toPlainText()
        # reread once at the set's end; the session being recorded is not a past session
        qtbot.waitUntil(lambda: w.trend_loads == loads_during_set + 1 and w._trend_future is None,
                        timeout=10000)
        assert len(w.trend_points) == 2
        assert w.frames > frames and loads_during_set <= 2   # never per frame
        # another athlete: their own history
        w.athlete_box.setCurrentText("Bo")
        w._athlete_changed()
        qtbot.waitUntil(lambda: len(w.trend_points) == 1, timeout=10000)
    finally:
        w.close()
