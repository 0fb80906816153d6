"""Fonts, the dark style sheet and the cue words; the colours come from ``palette``
(Okabe-Ito, shared with the report)."""
from __future__ import annotations

from pathlib import Path

from ..model import Verdict
from ..palette import (BLUE, BLUISH_GREEN, GREY, ORANGE, PURPLE, SKY_BLUE,  # noqa: F401
                       TRACE_COLOURS, VERDICT_COLOUR, VERDICT_SHORT, VERDICT_SYMBOL, VERMILLION,
                       YELLOW, trace_colour)

BACKGROUND = "#15171c"
PANEL = "#1f232b"
TEXT = "#e8e8e8"
MUTED = "#9aa0a6"
GRID_ALPHA = 0.25

VERDICT_CUE = {
    Verdict.GLUTES_FINISHED: "GLUTES FINISHED",
    Verdict.BORDERLINE: "BORDERLINE — drive the hips through",
    Verdict.LUMBAR_DOMINANT: "SQUEEZE YOUR GLUTES — lower back finished",
    Verdict.UNKNOWN: "NO READING — check the electrodes",
}
#: the live lockout state the moment the top is reached (model.TopCue): there is still
#: time to squeeze in this rep, so it says what to do now
TOP_CUE = {
    Verdict.GLUTES_FINISHED: "GLUTES CARRYING IT — hold the squeeze",
    Verdict.BORDERLINE: "SQUEEZE — drive the hips through",
    Verdict.LUMBAR_DOMINANT: "ERECTORS TAKING OVER — SQUEEZE YOUR GLUTES",
    Verdict.UNKNOWN: "AT THE TOP — no reading",
}

ANGLE_COLOUR = YELLOW


#: the tick drawn in a checked box (style sheets draw no native tick once the indicator is styled)
CHECK_SVG = (Path(__file__).with_name("check.svg")).as_posix()

STYLE_SHEET = f"""
QWidget {{ background: {BACKGROUND}; color: {TEXT}; }}
QLabel, QCheckBox {{ background: transparent; }}
QFrame#panel {{ background: {PANEL}; border-radius: 8px; }}
QPushButton {{ background: #2d3340; border: 1px solid #3d4452; border-radius: 8px;
              padding: 8px 14px; }}
QPushButton:hover {{ background: #384051; }}
QPushButton:checked {{ background: {BLUE}; }}
QPushButton:disabled {{ color: #5f6670; }}
QPushButton#bigStart {{ background: {BLUISH_GREEN}; color: black; }}
QPushButton#bigStop {{ background: {VERMILLION}; color: black; }}
QPushButton#bigStart:disabled {{ background: #2d3340; color: {MUTED}; }}
QComboBox, QLineEdit {{ background: #2d3340; border: 1px solid #3d4452; border-radius: 6px;
                        padding: 6px; min-height: 28px; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#banner {{ background: {VERMILLION}; color: black; padding: 8px; border-radius: 6px; }}
QLabel#bannerInfo {{ background: {SKY_BLUE}; color: black; padding: 8px; border-radius: 6px; }}
QStatusBar {{ background: {PANEL}; color: {TEXT}; }}
QStatusBar QLabel {{ background: {PANEL}; padding: 0 10px; }}
QCheckBox {{ spacing: 8px; }}
QCheckBox::indicator {{ width: 20px; height: 20px; border: 2px solid {MUTED}; border-radius: 4px;
                        background: #2d3340; }}
QCheckBox::indicator:checked {{ background: {SKY_BLUE}; border-color: {SKY_BLUE};
                                image: url({CHECK_SVG}); }}
QCheckBox::indicator:hover {{ border-color: {TEXT}; }}
QToolTip {{ background: {PANEL}; color: {TEXT}; border: 1px solid {MUTED}; }}
"""

#: base text size; big numbers and cues set their own pixel sizes (style sheets must not
#: set font-size on QWidget, or they would override every setFont below them)
BASE_FONT_PX = 15


def fill_card(widget, background: str, text: str) -> None:
    """A colour-filled card (QFrame named "card") with its labels in ``text``.

    Set only on a change: a style sheet re-polishes the widget and its children
    (~1 ms), and the live panel asks for its colours on every frame."""
    sheet = (f"QFrame#card {{ background: {background}; border-radius: 10px; }}"
             f"QLabel {{ color: {text}; background: transparent; }}")
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)
