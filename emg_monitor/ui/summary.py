"""What a set amounted to: reps, mean ratio, worst rep, onset order.

Pure (no Qt) so it can be tested and reused by reports.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from ..model import RepResult, Verdict


@dataclass(frozen=True)
class SetSummary:
    set_index: int
    reps: int
    mean_ratio: float                 # mean of the finite per-rep ratios; NaN if none
    worst_rep: int | None             # rep number with the lowest ratio
    worst_ratio: float
    verdicts: dict                    # Verdict -> count
    glutes_first: int                 # reps whose glute onset preceded the erector onset
    erectors_first: int
    exercise: str = ""

    @property
    def onset_order(self) -> str:
        known = self.glutes_first + self.erectors_first
        if known == 0:
            return "onset order unknown"
        if self.glutes_first >= self.erectors_first:
            return f"glutes first in {self.glutes_first} of {known} reps"
        return f"erectors first in {self.erectors_first} of {known} reps"


def summarise_set(reps: list[RepResult], set_index: int) -> SetSummary:
    mine = [r for r in reps if r.set_index == set_index]
    ratios = [(r.ratio, r.rep) for r in mine if math.isfinite(r.ratio)]
    mean = sum(x for x, _ in ratios) / len(ratios) if ratios else math.nan
    worst_ratio, worst_rep = min(ratios) if ratios else (math.nan, None)
    lags = [r.onset_lag_s for r in mine if math.isfinite(r.onset_lag_s)]
    counts = Counter(r.verdict for r in mine)
    return SetSummary(set_index=set_index, reps=len(mine), mean_ratio=mean,
                      worst_rep=worst_rep, worst_ratio=worst_ratio,
                      verdicts={v: counts.get(v, 0) for v in Verdict},
                      glutes_first=sum(1 for x in lags if x > 0),
                      erectors_first=sum(1 for x in lags if x <= 0),
                      exercise=mine[0].exercise if mine else "")
