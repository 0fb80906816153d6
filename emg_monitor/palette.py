"""The one colour palette of the dashboard and the report (no Qt: the report uses it too).

Verdict colours come from the Okabe-Ito palette (Okabe & Ito 2008, "Color
Universal Design"), which stays distinguishable with the common colour-vision
deficiencies; every verdict also carries a symbol and a word, so colour is
never the only cue.
"""
from __future__ import annotations

from .model import Verdict

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
VERDICT_SHORT = {
    Verdict.GLUTES_FINISHED: "glutes",
    Verdict.BORDERLINE: "borderline",
    Verdict.LUMBAR_DOMINANT: "lumbar",
    Verdict.UNKNOWN: "no reading",
}

#: trace colours by channel role (glutes blue/green, erectors orange/purple)
TRACE_COLOURS = {
    "left_glute": SKY_BLUE,
    "right_glute": BLUISH_GREEN,
    "left_erector": ORANGE,
    "right_erector": PURPLE,
}
FALLBACK_TRACE_COLOURS = (SKY_BLUE, ORANGE, BLUISH_GREEN, PURPLE, YELLOW, BLUE)


def trace_colour(name: str, index: int) -> str:
    return TRACE_COLOURS.get(name, FALLBACK_TRACE_COLOURS[index % len(FALLBACK_TRACE_COLOURS)])
