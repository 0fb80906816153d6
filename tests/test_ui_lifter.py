"""The lifter's screen as the lifter reads it: the biggest thing is the last rep's verdict,
the live ratio only shows while the muscles work and the data are live, labels never
collide, and the window fits a 1024x600 screen."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PyQt6.QtCore import QPointF, QRectF
from PyQt6.QtWidgets import QLabel

from emg_monitor.model import Muscle, RepStatus, TopCue, Verdict
from emg_monitor.ui import theme
from emg_monitor.ui.app import DashboardOptions, make_session
from emg_monitor.ui.main_window import DashboardWindow
from emg_monitor.ui.present import LiveGate, rep_look

from ui_support import ScheduledSource, pixels_of, rep

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]


@pytest.fixture
def window(qtbot):
    made = []

    def make(session=None, size=(1280, 720)):
        w = DashboardWindow(session, exercises=("deadlift",))
        qtbot.addWidget(w)
        w.resize(*size)
        w.show()
        made.append(w)
        return w
    yield make
    for w in made:
        w.close()


def test_the_biggest_element_is_the_last_reps_verdict_and_follows_every_rep(qtbot, window):
    w = window(make_session(ScheduledSource(lambda t: (10.0, 10.0)), DashboardOptions(),
                            record=False))
    for r in (rep(1, 1.40, Verdict.GLUTES_FINISHED), rep(2, 0.49, Verdict.LUMBAR_DOMINANT),
              rep(3, 1.05, Verdict.BORDERLINE)):
        w.on_rep(r)
        look = rep_look(r)
        assert w.last_rep.rep is r and look.number in w.last_rep.value.text()
        assert look.symbol in w.last_rep.value.text() and look.colour in w.last_rep.styleSheet()
        assert w.last_rep.colour_filled
    assert "0.49" not in w.last_rep.value.text()          # held until the next rep, then replaced
    # the largest text on screen is the card's number (the live ratio and counter are smaller)
    sizes = {lbl: lbl.font().pixelSize() for lbl in w.findChildren(QLabel) if lbl.isVisible()}
    biggest = max(sizes, key=sizes.get)
    assert biggest is w.last_rep.value, (biggest.text(), sizes[biggest], sizes[w.last_rep.value])
    assert sizes[w.live.value] < sizes[w.last_rep.value] and sizes[w.counter.count] < sizes[biggest]


def test_big_element_on_a_real_stream_is_the_newest_rep(qtbot, window, tmp_path):
    from emg_monitor.sim.athlete import AthleteConfig
    from emg_monitor.sources.simulated import SimulatedSource
    opts = DashboardOptions(sessions_root=str(tmp_path / "s"), home=str(tmp_path / "h"))
    src = SimulatedSource(AthleteConfig(sets=1, reps_per_set=4, setup_s=1.0, seed=3,
                                        lumbar_pattern=(False, True)), realtime=True, speed=10.0)
    w = window(make_session(src, opts, record=False))
    qtbot.waitUntil(lambda: bool(w.traces.names), timeout=10000)
    w.toggle_set()
    seen = []
    for k in range(1, 4):
        qtbot.waitUntil(lambda k=k: len(w.reps) >= k, timeout=30000)
        newest = w.reps[-1]
        seen.append(newest.session_rep or newest.rep)
        assert w.last_rep.rep == newest
        assert rep_look(newest).number in w.last_rep.value.text()
        assert w.bars.reps[-1] == newest and w.counter.reps == newest.rep


def test_live_ratio_is_hidden_at_rest_and_shown_while_the_muscles_work(qtbot, window):
    # 0-6 s: resting noise (~10 µV everywhere), 6-12 s: glutes 200 µV, erectors 100 µV
    src = ScheduledSource(lambda t: (10.0, 10.0) if t < 6.0 or t >= 12.0 else (200.0, 100.0),
                          seconds=14.0)
    w = window(make_session(src, DashboardOptions(), record=False))
    qtbot.waitUntil(lambda: src.i > 4000, timeout=20000)
    assert w.live.reading.state == "rest" and not w.live.showing_ratio
    assert "at rest" in w.live.note.text() and w.live.value.text() == "—"
    qtbot.waitUntil(lambda: src.i > 8000, timeout=20000)
    qtbot.waitUntil(lambda: w.live.showing_ratio, timeout=3000)
    assert float(w.live.value.text()) == pytest.approx(2.0, rel=0.25)
    qtbot.waitUntil(lambda: src.i > 13500, timeout=20000)
    qtbot.waitUntil(lambda: not w.live.showing_ratio, timeout=3000)


def test_after_a_disconnect_nothing_stale_is_shown(qtbot, window):
    src = ScheduledSource(lambda t: (200.0, 100.0), seconds=60.0, disconnect_s=2.0)
    w = window(make_session(src, DashboardOptions(), record=False))
    w.on_rep(rep(1, 1.6, Verdict.GLUTES_FINISHED))
    assert w.last_rep.colour_filled and "✔" in w.cue.text()
    qtbot.waitUntil(lambda: w.stale_reason == "disconnect", timeout=10000)
    assert not w.live.showing_ratio and w.live.value.text() == "—"
    assert not w.last_rep.colour_filled and "not live" in w.last_rep.words.text()
    assert "✔" not in w.cue.text() and "Errno" not in w.banner.text()
    w.on_top(TopCue(9.0, 50, 20, 2.5, Verdict.GLUTES_FINISHED, "pct_mvc", True))
    assert w.live.cue is None                   # no cue drawn from a stream that is not live


def test_lockout_cue_shows_while_at_the_top_then_gives_way_to_the_verdict(qtbot, window):
    w = window(make_session(ScheduledSource(lambda t: (10.0, 10.0)), DashboardOptions(),
                            record=False))
    w.on_top(TopCue(4.0, 20.0, 40.0, 0.5, Verdict.LUMBAR_DOMINANT, "pct_mvc", True))
    assert w.live.cue is not None and "SQUEEZE" in w.cue.text()
    assert theme.VERMILLION in w.live.styleSheet()
    w.on_rep(rep(1, 0.5, Verdict.LUMBAR_DOMINANT))
    assert w.live.cue is None and "0.50" in w.last_rep.value.text()


def test_uncalibrated_flagged_and_partial_reps_have_no_absolute_verdict():
    rel = rep_look(rep(1, 2.3, Verdict.GLUTES_FINISHED, calibrated=False, ratio_relative=1.12,
                       verdict_basis="relative"))
    assert not rel.judged and "×1.12" == rel.number and "calibrate" in rel.words.lower()
    assert rel.colour not in (theme.BLUISH_GREEN, theme.VERMILLION, theme.ORANGE)
    flagged = rep_look(rep(2, 1.5, Verdict.UNKNOWN, no_verdict_reason="R glute electrode off"))
    assert not flagged.judged and flagged.words == "NO VERDICT: R glute electrode off"
    partial = rep_look(rep(3, 1.5, Verdict.GLUTES_FINISHED, status=RepStatus.PARTIAL))
    assert not partial.judged and "PARTIAL" in partial.words
    one_side = rep_look(rep(4, 1.5, Verdict.GLUTES_FINISHED, verdict_basis="left side only"))
    assert one_side.judged and "left side only" in one_side.words


@settings(max_examples=60, deadline=None)
@given(rest=st.floats(1.0, 50.0), gain=st.floats(5.0, 40.0), calibrated=st.booleans())
def test_gate_hides_rest_and_shows_work(rest, gain, calibrated):
    """Any resting level is 'rest' once its floor is known; a contraction many times above it
    is 'active'; stale data are never 'active'."""
    work = rest * gain
    if calibrated:                     # %MVC: rest is a few %, work well above 10 %
        rest, work = min(rest, 5.0), max(work, 12.0)
    names = (Muscle.GLUTE, Muscle.ERECTOR)
    gate = LiveGate()
    t = np.arange(0, 20, 0.01)
    level = np.where(t < 10, rest, work)
    rows = np.column_stack([t, level, level * 0.8, np.zeros_like(t)])
    for end in range(50, 1000, 10):
        r = gate.reading(rows[:end], names, calibrated, stale=False)
    assert r.state == "rest" and not r.shown
    for end in range(1000, 2000, 10):
        r = gate.reading(rows[:end], names, calibrated, stale=False)
    assert r.state == "active" and r.shown and r.ratio == pytest.approx(1.25)
    assert gate.reading(rows, names, calibrated, stale=True).state == "stale"


@settings(max_examples=80, deadline=None)
@given(steps=st.lists(st.tuples(st.floats(-40.0, 2.0), st.floats(0.01, 500.0)),
                      min_size=1, max_size=120))
def test_the_resting_floor_is_the_lowest_level_of_the_last_30_s(steps):
    """The gate's floor (a sliding-window minimum) equals a plain minimum over the frames of
    the last FLOOR_WINDOW_S of stream time, through pauses, jumps and seeks backwards."""
    from emg_monitor.ui.present import FLOOR_WINDOW_S
    gate, seen, t = LiveGate(), [], 0.0
    names = (Muscle.GLUTE, Muscle.ERECTOR)
    for dt, level in steps:
        t = max(0.0, t + dt)                   # dt < 0: a seek backwards in a replay
        if seen and t < seen[-1][0]:
            seen = []
        rows = np.array([[t, level, level, 0.0]])
        gate.reading(rows, names, calibrated=False, stale=False)
        seen.append((t, level))
        want = min(lvl for ts, lvl in seen if ts >= t - FLOOR_WINDOW_S)
        assert gate.floor() == pytest.approx(want)


@pytest.mark.parametrize("n", [1, 8, 20, 30])
def test_bar_labels_never_collide_or_cover_the_target(qtbot, n):
    from emg_monitor.ui.widgets import RepBarChart
    import pyqtgraph as pg
    chart = RepBarChart()
    qtbot.addWidget(chart)
    chart.resize(520, 220)
    chart.show()
    chart.set_target(1.0)
    rng = np.random.default_rng(n)
    for k in range(1, n + 1):
        chart.add_rep(rep(k, float(rng.uniform(0.3, 2.0)),
                          Verdict.GLUTES_FINISHED if k % 3 else Verdict.LUMBAR_DOMINANT))
    qtbot.wait(50)
    chart._redraw()
    texts = [i for i in chart._items if isinstance(i, pg.TextItem) and "." in i.toPlainText()]
    assert texts and n in chart.labelled                  # the newest rep is always labelled
    rects = [t.sceneBoundingRect() for t in texts]
    for i in range(len(rects)):
        for j in range(i + 1, len(rects)):
            assert not rects[i].intersects(rects[j]), (texts[i].toPlainText(), texts[j].toPlainText())
    view = chart.getPlotItem().vb.sceneBoundingRect()
    axis = chart.getPlotItem().getAxis("right")           # its own strip, not the grid it draws
    right_axis = axis.mapRectToScene(QRectF(0, 0, axis.width(), axis.height()))
    assert all(not r.intersects(right_axis) for r in rects)   # the target's label lives there
    assert all(view.left() - 1 <= r.left() and r.right() <= view.right() + 1 for r in rects)


def test_no_earlier_sessions_is_said_in_the_title_and_nothing_in_the_chart_collides(qtbot):
    from emg_monitor.ui.widgets import SetSummaryPanel
    import pyqtgraph as pg
    panel = SetSummaryPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 260)
    panel.show()
    panel.show_trend("Ana", "deadlift", [])
    assert "none yet" in panel.trend_title.toolTip() and "Ana · deadlift" in panel.trend_title.toolTip()
    chart = panel.trend
    for target, current in ((1.0, 1.3), (1.2, 0.4), (2.0, 2.0)):
        chart.set_target(target)
        chart.set_current(current)
        qtbot.wait(20)
        texts = [i for i in chart.getPlotItem().items if isinstance(i, pg.TextItem)
                 and i.toPlainText()]
        assert [t.toPlainText() for t in texts] == [f"this set {current:.2f}"]
        vb = chart.getPlotItem().vb
        y_line = vb.mapViewToScene(QPointF(1.0, target)).y()
        rect = texts[0].sceneBoundingRect()
        assert not (rect.top() <= y_line <= rect.bottom())          # never struck through


def test_window_fits_1024x600_and_badges_keep_their_size(qtbot, window):
    w = window(size=(1024, 600))
    hint = w.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 600
    w.badges.set_channels(("left_glute", "right_glute"))
    before = {n: b.size() for n, b in w.badges.badges.items()}

    class Issue:
        flag, reason = "electrode_off", "flat signal: the electrode is off or the cable is loose"
    w.badges.set_issues({"right_glute": (Issue(),)})
    assert {n: b.size() for n, b in w.badges.badges.items()} == before
    assert "electrode off" in w.badges.badges["right_glute"].text()
    assert "cable is loose" in w.badges.reasons.text()     # the full reason, on screen


def test_dead_channel_is_drawn_dead_not_autoscaled(qtbot):
    from emg_monitor.ui.traces import TracesView
    view = TracesView()
    qtbot.addWidget(view)
    view.configure(("left_glute", "right_glute"), "uV", calibrated=False)   # neither orange
    t = np.arange(0, 12, 0.01)
    rows = np.column_stack([t, 1e-11 * np.sin(t), 20 + np.sin(t), 10 * t])
    view.draw(rows, None)
    lo, hi = view.rows[0].y_range
    assert hi - lo >= view.MIN_SPAN                         # never a 1e-11 axis
    assert view.dead == {0: True, 1: False}
    view.resize(900, 400)
    # the words are painted in the dead row, and only there
    assert pixels_of(view, view.rows[0].rect, theme.ORANGE) > 200
    assert pixels_of(view, view.rows[1].rect, theme.ORANGE) == 0


def test_an_uncalibrated_rep_shows_its_relative_ratio_not_question_marks():
    """What the detector gives an uncalibrated rep (no absolute verdict, the reason
    "uncalibrated", a relative ratio): the big card shows the number, in the relative colour."""
    from dataclasses import replace

    from session_support import rep as make_rep
    from emg_monitor.ui.present import cue_look, rep_look
    rep = replace(make_rep(1, 3, 0.8, Verdict.UNKNOWN, 10.0, calibrated=False),
                  verdict_basis="relative", ratio_relative=0.62,
                  no_verdict_reason="uncalibrated: ratio relative to recent reps")
    look = rep_look(rep)
    assert look.number == "×0.62" and look.colour == theme.SKY_BLUE
    dead = replace(rep, ratio=float("nan"), no_verdict_reason="R glute electrode off")
    assert rep_look(dead).number == "?" and "R glute electrode off" in rep_look(dead).words
    cue = TopCue(9.0, 40.0, 50.0, 0.8, Verdict.UNKNOWN, "uV", False,
                 no_verdict_reason="uncalibrated", verdict_basis="relative")
    assert cue_look(cue).colour == theme.SKY_BLUE


def test_bars_say_the_number_the_card_says(qtbot, window):
    """Uncalibrated, the card reads "≈ ×0.86" (relative to recent reps): the bar of that rep
    stands for the same number, on a "× your recent reps" scale; calibrated, the ratio."""
    import pyqtgraph as pg
    w = window(make_session(ScheduledSource(lambda t: (10.0, 10.0)), DashboardOptions(),
                            record=False))
    w.bars.set_target(1.0)
    for k, (raw, rel) in enumerate([(2.37, 1.10), (0.45, 0.31), (1.71, 0.86)], 1):
        w.on_rep(rep(k, raw, Verdict.UNKNOWN, calibrated=False, ratio_relative=rel,
                     verdict_basis="relative", no_verdict_reason="uncalibrated"))
    card = w.last_rep.value.text()
    assert "×0.86" in card
    texts = [i.toPlainText() for i in w.bars._items if isinstance(i, pg.TextItem)]
    assert any("×0.86" in t for t in texts) and not any("1.71" in t for t in texts)
    heights = sorted(h for b in w.bars._items if isinstance(b, pg.BarGraphItem)
                     for h in b.opts["height"])
    assert heights == pytest.approx([0.31, 0.86, 1.10])
    assert "recent" in w.bars.getPlotItem().getAxis("left").labelText
    from dataclasses import replace
    w.on_rep(replace(rep(1, 1.62, Verdict.GLUTES_FINISHED), set_index=2, session_rep=4))
    texts = [i.toPlainText() for i in w.bars._items if isinstance(i, pg.TextItem)]
    assert any("1.62" in t for t in texts) and "1.62" in w.last_rep.value.text()
    assert w.bars.getPlotItem().getAxis("left").labelText == "glute : erector"
    assert w.bars.target_line.value() == pytest.approx(1.0) and w.bars.target == 1.0


def test_a_top_cue_with_no_rep_after_it_gives_way_to_the_live_ratio(qtbot):
    """A top the detector never turned into a rep must not hide the live ratio for good."""
    from emg_monitor.ui.lifter import LivePanel
    from emg_monitor.ui.present import CUE_HOLD_S, LiveReading
    panel = LivePanel()
    qtbot.addWidget(panel)
    cue = TopCue(10.0, 50.0, 20.0, 2.5, Verdict.GLUTES_FINISHED, "pct_mvc", True)
    panel.show_cue(cue)
    panel.set_reading(LiveReading(1.8, "active", 30.0, 10.0 + CUE_HOLD_S / 2))
    assert panel.cue is cue and "AT THE TOP" in panel.title.text()   # still at the top
    panel.set_reading(LiveReading(1.8, "active", 30.0, 10.0 + CUE_HOLD_S + 0.1))
    assert panel.cue is None and panel.showing_ratio and panel.value.text() == "1.80"
    panel.show_cue(cue)
    panel.set_reading(LiveReading(1.0, "rest", 3.0, 11.0))             # the bar is down
    assert panel.cue is None and panel.value.text() == "—"
