"""Dashboard widgets and the set summary, fed with hand-made reps (no source needed)."""
import math

import numpy as np
import pytest

from emg_monitor.model import RepResult, Verdict


def make_rep(rep, ratio, verdict, set_index=1, lag=0.05):
    return RepResult(rep=rep, set_index=set_index, t_start_s=rep * 3.0, t_top_s=rep * 3.0 + 1,
                     t_end_s=rep * 3.0 + 2, window_start_s=0, window_end_s=0, lockout_s=0.4,
                     glute_left=ratio, glute_right=ratio, erector_left=1, erector_right=1,
                     glute=ratio, erector=1.0, ratio=ratio, verdict=verdict,
                     amplitude_unit="pct_mvc", calibrated=True, onset_lag_s=lag,
                     exercise="deadlift")


def test_bar_chart_colours_and_marks_by_verdict(qtbot):
    from emg_monitor.ui import theme
    from emg_monitor.ui.widgets import RepBarChart
    chart = RepBarChart()
    qtbot.addWidget(chart)
    chart.set_target(1.2)
    chart.add_rep(make_rep(1, 1.5, Verdict.GLUTES_FINISHED))
    chart.add_rep(make_rep(2, 0.5, Verdict.LUMBAR_DOMINANT))
    import pyqtgraph as pg
    bars = [i for i in chart._items if isinstance(i, pg.BarGraphItem)]
    texts = [i.toPlainText() for i in chart._items if isinstance(i, pg.TextItem)]
    assert len(bars) == 2
    brushes = {b.opts["brush"] for b in bars}
    assert brushes == {theme.BLUISH_GREEN, theme.VERMILLION}
    assert any(theme.VERDICT_SYMBOL[Verdict.LUMBAR_DOMINANT] in t for t in texts)
    assert chart.target_line.value() == pytest.approx(1.2)
    chart.clear_reps()
    assert not chart._items


def test_cue_and_quality_badges(qtbot):
    from emg_monitor.ui.widgets import CueBanner, QualityBadges
    cue = CueBanner()
    qtbot.addWidget(cue)
    cue.show_rep(make_rep(1, 0.5, Verdict.LUMBAR_DOMINANT))
    assert "SQUEEZE YOUR GLUTES" in cue.text()
    cue.show_rep(make_rep(2, 1.5, Verdict.GLUTES_FINISHED))
    assert "GLUTES FINISHED" in cue.text()

    class Issue:
        def __init__(self, flag, reason):
            self.flag, self.reason, self.channel = flag, reason, "left_glute"
    badges = QualityBadges()
    qtbot.addWidget(badges)
    badges.set_channels(("left_glute", "left_erector"))
    badges.set_issues({"left_glute": (Issue("saturated", "ADC at full scale for 12% of samples"),)})
    assert "saturated" in badges.badges["left_glute"].text()
    assert "full scale" in badges.badges["left_glute"].toolTip()
    assert "OK" in badges.badges["left_erector"].text()


def test_live_ratio_uses_recent_glute_and_erector_columns():
    from emg_monitor.ui.present import live_ratio
    t = np.arange(0, 2, 0.01)
    rows = np.column_stack([t, np.full_like(t, 30.0), np.full_like(t, 20.0), np.full_like(t, 10.0)])
    rows[:-60, 1] = 1000.0   # old data outside the last 0.5 s must not count
    from emg_monitor.model import Muscle
    r = live_ratio(rows, (Muscle.GLUTE, Muscle.ERECTOR, None))
    assert r == pytest.approx(1.5)
    # the role, not the name: a channel called "glute_ref" with no muscle is not a glute
    assert live_ratio(rows, (None, Muscle.ERECTOR, Muscle.GLUTE)) == pytest.approx(0.5)
    assert math.isnan(live_ratio(rows, (None, None, None)))


def test_traces_label_uncalibrated_unit(qtbot):
    from emg_monitor.ui.traces import TracesView
    view = TracesView()
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.configure(("left_glute", "left_erector"), "uV", calibrated=False)
    # name and unit in the row label beside the plot, never inside it over the trace
    assert "µV" in view.titles[0] and "uncalibrated" in view.titles[0]
    assert "uV" not in view.titles[0]                  # people read µV
    for row in view.rows:
        assert not row.label_rect.intersects(row.rect) and row.label_rect.right() < row.rect.left()
    t = np.arange(0, 12, 0.01)
    rows = np.column_stack([t, np.sin(t), np.cos(t), 10 * t])
    view.draw(rows, None)
    x, y = view.rows[1].x_s, view.rows[1].y
    newest = t > t[-1] - view.window_s                 # the last 10 s, at t - t_newest
    assert np.allclose(y, np.cos(t[newest]))
    assert np.allclose(x, t[newest] - t[-1]) and x[-1] == 0.0
    view.configure(("left_glute",), "pct_mvc", calibrated=True)
    assert "%MVC" in view.titles[0]


def test_filtered_view_draws_min_max_pairs_on_a_fixed_time_axis(qtbot):
    """Peak rows (t, minima, maxima) become a min-max zigzag; the x range never scrolls."""
    from emg_monitor.ui.traces import TracesView
    view = TracesView(window_s=10.0)
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.configure(("left_glute", "left_erector"), "uV", calibrated=False)
    view.set_show_filtered(True)
    for end in (12.0, 12.5):
        t = np.arange(0.01, end + 1e-9, 0.01)
        env = np.column_stack([t, np.ones_like(t), 2 * np.ones_like(t), 30 + 0 * t])
        peaks = np.column_stack([t, -np.sin(t) - 1, -3 - 0 * t, np.sin(t) + 1, 3 + 0 * t])
        view.draw(env, peaks)
    x, y = view.rows[0].x_s, view.rows[0].y
    keep = t > t[-1] - 10.0
    assert np.allclose(x[0::2], t[keep] - t[-1]) and np.array_equal(x[0::2], x[1::2])
    assert np.allclose(y[0::2], -np.sin(t[keep]) - 1) and np.allclose(y[1::2], np.sin(t[keep]) + 1)
    assert set(np.unique(view.rows[1].y)) == {-3.0, 3.0}
    ticks = [v for v, _ in view.time_ticks()]
    assert (ticks[0], ticks[-1]) == (-10.0, 0.0)          # the axis reads the last 10 s
    lo, hi = view.rows[1].y_range
    assert lo <= -3 and hi >= 3                        # symmetric range around the band
    assert np.allclose(view.angle_row.y, 30.0)                    # the angle still comes from the envelope rows
    view.set_show_filtered(False)
    view.draw(env, peaks)
    assert np.allclose(view.rows[1].y, 2.0)


def test_y_range_moves_only_when_the_data_leave_it_or_shrink_to_half(qtbot):
    from emg_monitor.ui.traces import TracesView
    view = TracesView()
    qtbot.addWidget(view)
    view.configure(("left_glute",), "uV", calibrated=False, has_angle=False)
    view.y_every = 1
    t = np.arange(0, 5, 0.01)

    def draw(level):
        view.draw(np.column_stack([t, np.full_like(t, level), np.zeros_like(t)]), None)
        return view.rows[0].y_range[1]

    top = draw(100.0)
    assert top >= 100.0
    assert draw(80.0) == top                           # still uses more than half: unchanged
    assert 120.0 <= draw(120.0) < 2 * 120.0            # leaves the range: grows
    assert draw(20.0) < 50.0                           # less than half used: shrinks
