"""The hip step of a rep's score: the hip angle at the top and the combined verdict.

The rule (docs/reps-and-ratio.md, "the hip angle"): a rep whose hips stayed more
than the exercise's ``hip_tolerance_deg`` short of the athlete's neutral while the
erectors dominated (glute:erector ratio below the target) did not finish with the
hips: verdict LUMBAR_DOMINANT, cue "finish with your hips". Uncalibrated, where a ratio
has no absolute meaning, "erectors dominated" is a ratio below the athlete's own recent
reps (``ratio_relative`` < 1): the cue is given, the verdict stays the ratio's. That is the failure the
seed describes seen by both signals at once. Hips short with the glutes
dominant: the glutes were working but the lift was not finished, BORDERLINE with
"squeeze to full extension". Hips at neutral: the ratio's verdict stands. Without
a usable ratio (an electrode off) the angle is reported but judges nothing alone.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..exercises import Exercise
from ..model import RepResult, Verdict

CUE_FINISH_WITH_HIPS = "finish with your hips"
CUE_SQUEEZE_TO_EXTENSION = "hips short of neutral: squeeze to full extension"
MIN_SAMPLES = 3


def angle_at_top(values_deg: np.ndarray) -> float:
    """The lockout's angle: the median over the lockout window (robust to a twitch);
    NaN when the window holds fewer than MIN_SAMPLES angles."""
    v = np.asarray(values_deg, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size >= MIN_SAMPLES else float("nan")


def score_hip(rep: RepResult, hip_deg: np.ndarray, lumbar_deg: np.ndarray,
              exercise: Exercise, target_ratio: float) -> RepResult:
    """``rep`` with its hip fields and, where the hips were short, the combined verdict.

    ``hip_deg``/``lumbar_deg``: the angles inside the rep's lockout window."""
    hip = angle_at_top(hip_deg)
    lumbar = angle_at_top(lumbar_deg)
    out = replace(rep, hip_angle_at_top_deg=hip, lumbar_angle_at_top_deg=lumbar,
                  hip_short_of_neutral_deg=max(hip, 0.0) if math.isfinite(hip) else math.nan)
    if not math.isfinite(hip) or hip <= exercise.hip_tolerance_deg:
        return out
    if not math.isfinite(rep.ratio) or rep.verdict == Verdict.UNKNOWN:
        return out
    basis = rep.verdict_basis + " + hip angle"
    if not rep.calibrated:
        # no %MVC, no absolute verdict: erectors dominant means below the athlete's own
        # recent reps (ratio_relative < 1); the cue is given, the verdict left as it is
        if math.isfinite(rep.ratio_relative) and rep.ratio_relative < 1.0:
            return replace(out, cue=CUE_FINISH_WITH_HIPS, verdict_basis=basis)
        return out
    if rep.ratio < target_ratio:
        return replace(out, verdict=Verdict.LUMBAR_DOMINANT, cue=CUE_FINISH_WITH_HIPS,
                       verdict_basis=basis)
    if rep.verdict == Verdict.GLUTES_FINISHED:
        return replace(out, verdict=Verdict.BORDERLINE, cue=CUE_SQUEEZE_TO_EXTENSION,
                       verdict_basis=basis)
    return replace(out, cue=CUE_SQUEEZE_TO_EXTENSION, verdict_basis=basis)
