"""What a rep, a lockout cue and the live ratio look like on the lifter's screen.

Pure (no Qt): one place decides the colour, symbol, number and words of a rep,
so the big card, the cue banner and the bars never disagree, and the rules
(uncalibrated reps have no absolute verdict; a flagged channel gives no verdict)
are tested without a window.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from ..model import Muscle, RepResult, RepStatus, TopCue, Verdict
from . import theme

#: calibrated: below this (mean of the glute and erector envelopes) the muscles are at rest
ACTIVE_PCT_MVC = 8.0
#: uncalibrated: active when the level is this many times the lowest level of the last
#: ``FLOOR_WINDOW_S`` (the noise floor); resting sEMG sits at 1-2x its floor
ACTIVE_OVER_FLOOR = 4.0
FLOOR_WINDOW_S = 30.0
#: no new samples for this long (wall clock): the live value is stale
STALE_AFTER_S = 0.6


def format_ratio(value: float) -> str:
    return f"{value:.2f}" if math.isfinite(value) else "—"


@dataclass(frozen=True)
class RepLook:
    colour: str          # fill
    symbol: str          # shape cue (colour is never the only cue)
    number: str          # the big digits
    words: str           # the cue in words
    caption: str         # small line above the digits
    judged: bool         # an absolute verdict was given


def relative_basis(rep: RepResult | TopCue) -> bool:
    """An uncalibrated reading: no absolute verdict, only relative to the athlete's recent reps."""
    return (not rep.calibrated) or getattr(rep, "verdict_basis", "").startswith("relative")


def rep_look(rep: RepResult) -> RepLook:
    caption = f"REP {rep.rep}" + (f" · SET {rep.set_index}" if rep.set_index else "")
    if rep.status == RepStatus.PARTIAL:
        return RepLook(theme.GREY, "–", "—", "PARTIAL REP — not judged", caption, False)
    relative = relative_basis(rep) and math.isfinite(rep.ratio)
    if not relative and (rep.no_verdict_reason or rep.verdict == Verdict.UNKNOWN):
        reason = rep.no_verdict_reason or "no usable amplitude — check the electrodes"
        return RepLook(theme.GREY, theme.VERDICT_SYMBOL[Verdict.UNKNOWN], "?",
                       f"NO VERDICT: {reason}", caption, False)
    if relative:      # uncalibrated: its only "no verdict" reason is the missing calibration
        rel = rep.ratio_relative
        number = f"×{rel:.2f}" if math.isfinite(rel) else format_ratio(rep.ratio)
        what = ("of your recent reps" if math.isfinite(rel) else "raw µV ratio")
        words = (f"{rep.cue.upper()} — uncalibrated ratio" if rep.cue
                 else f"UNCALIBRATED — {what}; calibrate for a verdict")
        return RepLook(theme.SKY_BLUE, "≈", number, words, caption + " · RELATIVE", False)
    # "+ hip angle": the hip cue says so already
    shown = rep.verdict_basis.removesuffix(" + hip angle")
    basis = "" if shown in ("", "both sides") else f" ({shown})"
    # the scoring's own cue when it gave one (hips short: "finish with your hips")
    words = rep.cue.upper() if rep.cue else theme.VERDICT_CUE[rep.verdict]
    return RepLook(theme.VERDICT_COLOUR[rep.verdict], theme.VERDICT_SYMBOL[rep.verdict],
                   format_ratio(rep.ratio), words + basis, caption, True)


def shows_relative(rep: RepResult) -> bool:
    """The rep's card shows "≈ ×r": uncalibrated, with a ratio relative to recent reps."""
    return (rep.status != RepStatus.PARTIAL and relative_basis(rep)
            and math.isfinite(rep.ratio) and math.isfinite(rep.ratio_relative))


def bar_value(rep: RepResult) -> float:
    """What a rep's bar stands for, the same number as its card."""
    return rep.ratio_relative if shows_relative(rep) else rep.ratio


def cue_look(cue: TopCue) -> RepLook:
    """The provisional lockout cue: said while the lifter can still squeeze."""
    relative = relative_basis(cue) and math.isfinite(cue.ratio)
    if not relative and (cue.no_verdict_reason or cue.verdict == Verdict.UNKNOWN):
        return RepLook(theme.GREY, "?", "—", f"AT THE TOP — no verdict: "
                       f"{cue.no_verdict_reason or 'no usable amplitude'}", "AT THE TOP", False)
    if relative:
        return RepLook(theme.SKY_BLUE, "≈", format_ratio(cue.ratio),
                       "AT THE TOP — SQUEEZE AND HOLD", "AT THE TOP · RELATIVE", False)
    return RepLook(theme.VERDICT_COLOUR[cue.verdict], theme.VERDICT_SYMBOL[cue.verdict],
                   format_ratio(cue.ratio), theme.TOP_CUE[cue.verdict], "AT THE TOP", True)


# --- the live ratio ------------------------------------------------------------------------
#: a lockout cue with no rep after it (a top the detector dropped, a long hold) gives way
#: to the live ratio this long after its top (stream time); a rep ends it sooner
CUE_HOLD_S = 4.0


@dataclass(frozen=True)
class LiveReading:
    ratio: float
    state: str           # "active" | "rest" | "stale" | "none"
    level: float         # mean of the glute and erector levels, envelope unit
    t_s: float = math.nan    # stream time of the newest row

    @property
    def shown(self) -> bool:
        return self.state == "active" and math.isfinite(self.ratio)


def muscle_levels(envelope_rows: np.ndarray | None, muscles: tuple[Muscle | None, ...],
                  last_s: float = 0.5) -> tuple[float, float]:
    """Mean glute and mean erector envelope over the last ``last_s`` seconds.

    ``muscles``: each envelope column's ``Channel.muscle`` (the role travels with the
    data; a channel's name says nothing)."""
    if envelope_rows is None or len(envelope_rows) == 0:
        return math.nan, math.nan
    t = envelope_rows[:, 0]
    recent = envelope_rows[t >= t[-1] - last_s]
    glute = [i + 1 for i, m in enumerate(muscles) if m == Muscle.GLUTE]
    erector = [i + 1 for i, m in enumerate(muscles) if m == Muscle.ERECTOR]
    if not glute or not erector:
        return math.nan, math.nan
    return _mean_of_finite(recent[:, glute]), _mean_of_finite(recent[:, erector])


def _mean_of_finite(a: np.ndarray) -> float:
    """The plain mean (one call, on every frame); NaN-aware only when a NaN is there."""
    if not a.size:
        return math.nan
    m = float(a.mean())
    if math.isnan(m):
        with np.errstate(all="ignore"):
            m = float(np.nanmean(a))
    return m


def live_ratio(envelope_rows: np.ndarray | None, muscles: tuple[Muscle | None, ...],
               last_s: float = 0.5) -> float:
    """Mean glute envelope over mean erector envelope in the last ``last_s`` seconds."""
    g, e = muscle_levels(envelope_rows, muscles, last_s)
    if not (math.isfinite(g) and math.isfinite(e)) or e <= 1e-12:
        return math.nan
    return g / e


class LiveGate:
    """Decides whether the live ratio means anything: muscles active and data fresh.

    A ratio of two resting noise floors (~10 µV each) is a number with no meaning, and
    a value frozen by a disconnect is worse than none, so both are hidden.
    """

    def __init__(self) -> None:
        # (stream t_s, level), levels increasing from the left: the sliding-window minimum
        # (an entry with a later, lower level can never be the floor again), so the floor
        # is the leftmost entry instead of a scan of 30 s of frames on every frame
        self._levels: deque[tuple[float, float]] = deque()

    def reset(self) -> None:
        self._levels.clear()

    def floor(self) -> float:
        return self._levels[0][1] if self._levels else math.nan

    def reading(self, envelope_rows: np.ndarray | None, muscles: tuple[Muscle | None, ...],
                calibrated: bool, stale: bool) -> LiveReading:
        if envelope_rows is None or len(envelope_rows) == 0:
            return LiveReading(math.nan, "none", math.nan)
        g, e = muscle_levels(envelope_rows, muscles)
        level = 0.5 * (g + e)
        ratio = g / e if math.isfinite(g) and math.isfinite(e) and e > 1e-12 else math.nan
        if stale:
            return LiveReading(ratio, "stale", level)
        if not math.isfinite(level):
            return LiveReading(ratio, "none", level)
        t_now = float(envelope_rows[-1, 0])
        levels = self._levels
        if levels and levels[-1][0] > t_now:          # a seek backwards: a new window
            levels.clear()
        while levels and levels[-1][1] >= level:
            levels.pop()
        levels.append((t_now, level))
        while levels[0][0] < t_now - FLOOR_WINDOW_S:
            levels.popleft()
        if calibrated:
            active = level >= ACTIVE_PCT_MVC
        else:
            active = level >= ACTIVE_OVER_FLOOR * max(self.floor(), 1e-9)
        return LiveReading(ratio, "active" if active else "rest", level, t_now)
