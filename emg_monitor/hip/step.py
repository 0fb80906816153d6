"""The hip step of one stream: angles for the rep detector, hip fields for its reps and cues.

The engine (live) and ``analysis`` (offline) run the same object next to the
rep detector: ``process`` on every block gives the hip angle the detector finds
reps and tops on; ``score`` adds the hip angle at the top and the combined
verdict to each rep (hip/scoring.py); ``cue`` adds the current gap to a live
top cue, while the lifter can still squeeze.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..exercises import Exercise
from ..model import DeviceInfo, RepResult, TopCue
from .neutral import HipNeutral
from .scoring import angle_at_top, score_hip
from .tracker import HipAngles, HipTracker

#: the hip angle's top is its minimum (most extended) for every lift, the hip thrust too
HIP_TOP_AT = "min"


class HipStep:
    def __init__(self, info: DeviceInfo, exercise: Exercise, target_ratio: float,
                 neutral: HipNeutral | None = None) -> None:
        self.fs = float(info.sample_rate_hz)
        self.exercise = exercise
        self.target_ratio = float(target_ratio)
        self.neutral = neutral
        self.tracker = HipTracker(info, neutral.relaxed_hip_deg if neutral else 0.0)
        self.latest_hip_deg = math.nan

    def set_exercise(self, exercise: Exercise, target_ratio: float) -> None:
        """A new exercise or target on a live stream: the angles and alignment stay."""
        self.exercise = exercise
        self.target_ratio = float(target_ratio)

    def set_neutral(self, neutral: HipNeutral | None) -> None:
        self.neutral = neutral
        self.tracker.set_neutral(neutral.relaxed_hip_deg if neutral else 0.0)

    @property
    def available(self) -> bool:
        """Pelvis and thigh IMUs present (the angle may still wait for a still stand)."""
        return self.tracker.available

    @property
    def neutral_calibrated(self) -> bool:
        return self.neutral is not None

    @property
    def message(self) -> str:
        """One line for the user about the hip angle ('' when all is well)."""
        msg = self.tracker.message
        if not msg and self.available and self.neutral is None:
            return "hip angle from the relaxed stand: calibrate the hip neutral for the true gap"
        return msg

    def process(self, first_index: int, data: np.ndarray) -> HipAngles:
        out = self.tracker.process(first_index, data)
        if out.hip_deg.size:
            self.latest_hip_deg = float(out.hip_deg[-1])
        return out

    def score(self, rep: RepResult) -> RepResult:
        i0 = int(round(rep.window_start_s * self.fs))
        i1 = int(round(rep.window_end_s * self.fs))
        hip, lumbar = self.tracker.window(i0, i1)
        return score_hip(rep, hip, lumbar, self.exercise, self.target_ratio)

    def cue(self, cue: TopCue) -> TopCue:
        i = int(round(cue.t_top_s * self.fs))
        hip, _ = self.tracker.window(i - int(0.1 * self.fs), i + int(0.1 * self.fs))
        at_top = angle_at_top(hip)
        if not math.isfinite(at_top):
            return cue
        return replace(cue, hip_short_of_neutral_deg=max(at_top, 0.0))
