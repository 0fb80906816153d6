"""What a lifter and a physiotherapist see at each window size: no text cut off, every
trace row readable, and no control that promises what it cannot do.

Checked on the laid-out widgets (sizes and positions), not on pixels: a label is cut
when its text needs more room than it has (its size hint, or its height for its width
when it wraps), or when part of it lies outside the window.
"""
import numpy as np
import pytest
from PyQt6.QtCore import QRect, QRectF
from PyQt6.QtWidgets import QAbstractButton, QLabel, QScrollArea, QWidget

from emg_monitor.model import Verdict
from emg_monitor.sets import SetEnd, SetRecord
from emg_monitor.ui.app import DashboardOptions, build_window, make_session
from emg_monitor.ui.main_window import DashboardWindow
from emg_monitor.ui.traces import GAP_PX
from emg_monitor.ui.widgets import ElidedLabel

from ui_support import ScheduledSource, rep

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints", "QFont::setPointSize")]

SIZES = [(1024, 600), (1280, 720), (1920, 1080)]

#: one rep of each kind the card and the summary must hold, the longest texts first
REPS = [(0.49, Verdict.LUMBAR_DOMINANT), (1.05, Verdict.BORDERLINE),
        (1.62, Verdict.GLUTES_FINISHED), (0.31, Verdict.LUMBAR_DOMINANT)]


def cut_off(window: QWidget) -> list[tuple[str, str]]:
    """Visible labels and buttons whose text does not fit where they are drawn (a label in
    a scroll area may lie below the fold: it is reached by scrolling, not cut)."""
    found = []
    for w in window.findChildren(QLabel) + window.findChildren(QAbstractButton):
        if not w.isVisibleTo(window) or not w.text() or isinstance(w, ElidedLabel):
            continue                # an ElidedLabel ends in "…" by design, whole on hover
        size = w.size()
        if isinstance(w, QLabel) and w.wordWrap():
            need_w, need_h = 0, w.heightForWidth(size.width())
        else:
            need_w, need_h = w.sizeHint().width(), w.sizeHint().height()
        where = QRect(w.mapTo(window, w.rect().topLeft()), size)
        outside = not window.rect().contains(where) and not _scrolls(w, window)
        if need_w > size.width() or need_h > size.height() or outside:
            found.append((w.text()[:50], f"{size.width()}x{size.height()} needs {need_w}x{need_h}"))
    return found


def _scrolls(w: QWidget, window: QWidget) -> bool:
    parent = w.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


@pytest.fixture
def window(qtbot):
    made = []

    def make(size):
        src = ScheduledSource(lambda t: (60.0 + 40.0 * np.sin(t), 50.0), seconds=600.0)
        w = DashboardWindow(make_session(src, DashboardOptions(), record=False),
                            athlete="Ana", exercises=("deadlift",))
        qtbot.addWidget(w)
        w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(lambda: len(w.traces.emg_rows) == 4, timeout=10000)
        made.append(w)
        return w
    yield make
    for w in made:
        w.close()


def lift_a_set(qtbot, w) -> tuple:
    reps = tuple(rep(k, ratio, verdict) for k, (ratio, verdict) in enumerate(REPS, 1))
    for r in reps:
        w.on_rep(r)
    qtbot.wait(300)                                   # a few frames: the traces are drawn
    return reps


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_set_nothing_cut_off_and_every_trace_row_readable(qtbot, window, size):
    w = window(size)
    lift_a_set(qtbot, w)
    w.banner.show_notice("Calibration saved to Ana's profile — envelopes now in %MVC")
    qtbot.wait(100)
    assert cut_off(w) == []
    assert "0.31" in w.last_rep.value.text()             # the whole number, on the card
    # every row (four muscles, the trunk angle) is as tall as the others: the time axis has
    # its own row, and the angle row is not squashed under it
    t = w.traces
    heights = [row.rect.height() for row in t.rows]
    assert len(t.rows) == 5 and t.angle_row is not None
    assert min(heights) >= 0.95 * max(heights) and min(heights) >= 30, heights
    assert QRectF(t.rect()).contains(t.time_axis_rect)
    assert all(r.rect.bottom() <= t.time_axis_rect.top() for r in t.rows)
    # no two value labels of a row overlap, nor reach into the next row
    for row in t.rows:
        px = sorted(y for _, y in t.y_ticks(row))
        assert len(px) >= 2                           # 0 and a value: the scale is readable
        assert all(b - a >= GAP_PX - 1e-6 or len(px) == 2 for a, b in zip(px, px[1:]))
        assert px[0] >= row.rect.top() + GAP_PX / 2 - 1e-6 and px[-1] <= row.rect.bottom() + 1e-6


def test_with_the_hip_card_the_bars_and_the_cue_still_fit_1024x600(qtbot, window):
    from dataclasses import replace
    w = window((1024, 600))
    w.hip_gap.setVisible(True)                # what the draw timer does on a board with IMUs
    w.top_row.layout().setStretchFactor(w.bars, 2)
    w.on_rep(replace(rep(1, 2.23, Verdict.BORDERLINE), hip_short_of_neutral_deg=17.0,
                     cue="hips short of neutral: squeeze to full extension"))
    qtbot.wait(200)
    assert cut_off(w) == []
    assert w.bars.width() >= 170 and "HIPS SHORT" in w.cue.text()


@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_set_summary_fits_with_its_verdict_row_inside(qtbot, window, size):
    w = window(size)
    reps = lift_a_set(qtbot, w)
    w.banner.show_error("BOARD DISCONNECTED from /dev/ttyUSB0 — check the USB cable; "
                        "reconnecting automatically…")
    w.on_set(SetRecord(1, 3.0, 14.0, reps, "deadlift", manual=True, closed=True,
                       end_reason=SetEnd.MANUAL))
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=2000)
    qtbot.wait(100)
    assert cut_off(w) == []
    verdicts = w.summary.fields["verdicts"]
    for word in ("2 lumbar", "1 borderline", "1 glutes"):
        assert word in verdicts.text().replace("&nbsp;", " ")
    inside = QRect(verdicts.mapTo(w.summary, verdicts.rect().topLeft()), verdicts.size())
    assert w.summary.contentsRect().contains(inside)
    assert inside.height() >= verdicts.heightForWidth(verdicts.width())
    # a long name never wraps the trend's title onto the chart's axis
    w.summary.show_trend("Maximilian Mustermann-Schulz", "deadlift", [])
    qtbot.wait(50)
    chart = w.summary.trend
    assert w.summary.contentsRect().contains(QRect(chart.mapTo(w.summary, chart.rect().topLeft()),
                                                   chart.size()))
    assert "Mustermann" in w.summary.trend_title.toolTip()


def promises_space(w) -> list[str]:
    """Visible texts that tell the lifter to press SPACE for a set."""
    return [lbl.text() for lbl in w.findChildren(QLabel)
            if lbl.isVisibleTo(w) and "SPACE" in lbl.text().upper()]


def test_press_space_is_only_said_where_the_set_button_can_act(qtbot, window, tmp_path):
    from pathlib import Path
    w = window((1920, 1080))                        # the full layout shows the hint
    reps = lift_a_set(qtbot, w)
    # live: the button starts and stops sets, and the screen may say so
    assert w.set_button.isVisible() and w.set_button.isEnabled()
    w.on_set(SetRecord(1, 3.0, 14.0, reps, "deadlift", manual=True, closed=True,
                       end_reason=SetEnd.MANUAL))
    assert promises_space(w)
    # a replay's sets are the recorded ones: no set button, and nothing says SPACE
    demo = Path(__file__).resolve().parents[1] / "seeds" / "demo"
    r = build_window(DashboardOptions(replay=str(demo), speed=16.0, home=str(tmp_path / "h"),
                                      sessions_root=str(tmp_path / "s")))
    qtbot.addWidget(r)
    r.resize(1280, 720)
    r.show()
    try:
        qtbot.waitUntil(lambda: len(r.bars.reps) >= 2, timeout=20000)
        assert not r.set_button.isVisible() and promises_space(r) == []
        qtbot.waitUntil(lambda: r.pages.currentWidget() is r.summary, timeout=30000)
        assert promises_space(r) == [] and not r.calibrate_button.isVisible()
    finally:
        r.close()
    # no source: the set and calibration buttons cannot act, so they are disabled
    s = build_window(DashboardOptions(home=str(tmp_path / "h2"), sessions_root=str(tmp_path / "s2")),
                     None)
    qtbot.addWidget(s)
    s.show()
    try:
        assert s.pages.currentWidget() is s.start_screen
        assert not s.set_button.isEnabled() and not s.calibrate_button.isEnabled()
        assert promises_space(s) == []
    finally:
        s.close()


def test_an_uncalibrated_set_summary_says_relative_not_no_reading(qtbot, window):
    w = window((1024, 600))
    reps = tuple(rep(k, raw, Verdict.UNKNOWN, calibrated=False, ratio_relative=rel,
                     verdict_basis="relative", no_verdict_reason="uncalibrated")
                 for k, (raw, rel) in enumerate([(2.3, 1.1), (0.4, 0.3), (1.7, 0.9)], 1))
    reps += (rep(4, float("nan"), Verdict.UNKNOWN, calibrated=False,
                 no_verdict_reason="R glute electrode off"),)
    for r in reps:
        w.on_rep(r)
    w.on_set(SetRecord(1, 3.0, 14.0, reps, "deadlift", closed=True, end_reason=SetEnd.BAR_DOWN))
    qtbot.wait(100)
    text = w.summary.fields["verdicts"].text().replace("&nbsp;", " ")
    assert "3 relative" in text and "1 no reading" in text
    assert "uncalibrated" in w.summary.fields["mean"].text()
    assert cut_off(w) == []


def test_the_wizard_at_1024x600_scrolls_rather_than_cutting_its_text(qtbot, tmp_path):
    from emg_monitor.ui.calibration_wizard import RecordStep
    from test_ui_calibration import SPEED, open_wizard, record
    opts = DashboardOptions(simulate=True, athlete="", sessions_root=str(tmp_path / "s"),
                            home=str(tmp_path / "h"), speed=SPEED)
    w, wizard, _, _ = open_wizard(qtbot, opts)
    try:
        w.resize(1024, 600)
        wizard.resize(1024, 560)
        wizard.step.name.setText("Bo")
        seen = []
        while not isinstance(wizard.step, RecordStep) or wizard.step.level_muscle is None:
            qtbot.wait(50)
            seen.append((type(wizard.step).__name__, cut_off(wizard)))
            if isinstance(wizard.step, RecordStep):
                record(qtbot, wizard)                 # the rest, before the first hold
            qtbot.waitUntil(lambda: wizard.next_button.isEnabled(), timeout=30000)
            wizard.next_button.click()
        # the hold's Start button is in view without scrolling (the lifter stands back)
        start = wizard.step.start_button
        at = QRect(start.mapTo(wizard, start.rect().topLeft()), start.size())
        assert start.isVisibleTo(wizard) and not _scrolls(start, wizard)
        assert wizard.rect().contains(at), (at, wizard.rect())
        step = record(qtbot, wizard)                  # a hold: instructions, level bar, result
        qtbot.wait(50)
        seen.append((type(step).__name__, cut_off(wizard)))
        assert all(found == [] for _, found in seen), seen
        assert len(seen) >= 6
    finally:
        w.close()
