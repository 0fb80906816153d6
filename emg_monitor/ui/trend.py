"""The athlete's glute:erector ratio across past sessions, for the set summary.

Pure (no Qt): it reads only session.json and reps.jsonl through
``session.history`` (never the samples), and the window calls it off the GUI
thread when the athlete or exercise changes or a set ends — never per frame.
The session being recorded or replayed right now is left out: its reps are
still arriving and it is shown as "this set" instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class TrendPoint:
    started: datetime
    mean_ratio: float
    reps: int
    path: Path


def past_sessions_trend(athlete: str, root: Path | str | None = None,
                        exercise: str | None = None, exclude: Path | str | None = None,
                        last: int = 20) -> list[TrendPoint]:
    """Mean ratio per past session (oldest first, at most ``last``), as ``history.ratio_trend``
    counts it, without the session at ``exclude``."""
    from ..session.history import list_sessions
    if not athlete:
        return []
    skip = Path(exclude).resolve() if exclude else None
    out = [TrendPoint(s.started, s.mean_ratio, s.reps, s.path)
           for s in list_sessions(athlete, root)
           if s.reps and math.isfinite(s.mean_ratio)
           and (exercise is None or s.exercise == exercise)
           and (skip is None or s.path.resolve() != skip)]
    return out[-last:] if last else out
