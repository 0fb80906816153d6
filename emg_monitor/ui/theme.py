"""Colours, fonts and the dark style sheet.

Verdict colours come from the Okabe-Ito palette (Okabe & Ito 2008, "Color
Universal Design"), which stays distinguishable with the common colour-vision
deficiencies; every verdict also carries a symbol and a word, so colour is
never the only cue.
"""
from __future__ import annotations

from pathlib import Path

from ..model import Verdict

BACKGROUND = "#15171c"
PANEL = "#1f232b"
TEXT = "#e8e8e8"
MUTED = "#9aa0a6"
GRID_ALPHA = 0.25

BLUISH_GREEN = "#009E73"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
SKY_BLUE = "#56B4E9"
BLUE = "#0072B2"
YELLOW = "#F0E442"
PURPLE = "#CC79A7"
GREY = "#8c8c8c"

VERDICT_COLOUR = {
    Verdict.GLUTES_FINISHED: BLUISH_GREEN,
    Verdict.BORDERLINE: ORANGE,
    Verdict.LUMBAR_DOMINANT: VERMILLION,
    Verdict.UNKNOWN: GREY,
}
#: shape cue drawn above each bar and beside the cue text
VERDICT_SYMBOL = {
    Verdict.GLUTES_FINISHED: "✔",
    Verdict.BORDERLINE: "▲",
    Verdict.LUMBAR_DOMINANT: "✖",
    Verdict.UNKNOWN: "?",
}
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
VERDICT_SHORT = {
    Verdict.GLUTES_FINISHED: "glutes",
    Verdict.BORDERLINE: "borderline",
    Verdict.LUMBAR_DOMINANT: "lumbar",
    Verdict.UNKNOWN: "no reading",
}

#: trace colours by channel role (glutes warm-free blues/greens, erectors orange/purple)
TRACE_COLOURS = {
    "left_glute": SKY_BLUE,
    "right_glute": BLUISH_GREEN,
    "left_erector": ORANGE,
    "right_erector": PURPLE,
}
FALLBACK_TRACE_COLOURS = (SKY_BLUE, ORANGE, BLUISH_GREEN, PURPLE, YELLOW, BLUE)
ANGLE_COLOUR = YELLOW


def trace_colour(name: str, index: int) -> str:
    return TRACE_COLOURS.get(name, FALLBACK_TRACE_COLOURS[index % len(FALLBACK_TRACE_COLOURS)])


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
