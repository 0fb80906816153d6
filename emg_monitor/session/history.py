"""An athlete's sessions under the sessions root, and the ratio trend across them.

Only session.json and reps.jsonl are read (never the samples), so listing a
year of sessions stays quick.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import UserError
from ..paths import sessions_root
from .reader import Problems, read_header, read_meta, read_sets


@dataclass(frozen=True)
class SessionSummary:
    path: Path
    athlete: str
    started: datetime
    exercise: str
    sets: int
    reps: int
    mean_ratio: float                # over reps with a usable ratio; NaN if none
    lumbar_dominant: int
    calibrated: bool
    mean_hip_short_deg: float = float("nan")   # mean hip gap at the tops (IMUs); NaN: none


def _summarize(folder: Path) -> SessionSummary:
    """UserError when the folder is not a readable session; damage inside it is tolerated
    by the validating reader (a bad line costs that line, not the session)."""
    header = read_header(folder)
    problems = Problems()
    meta = read_meta(folder, header, problems)
    try:
        sets = read_sets(folder, header, problems)
    except OSError as exc:
        raise UserError(f"cannot read {folder}: {exc.strerror or exc}") from exc
    reps = [r for rec in sets for r in rec.complete_reps]
    ratios = [r.ratio for r in reps if math.isfinite(r.ratio)]
    gaps = [r.hip_short_of_neutral_deg for r in reps if math.isfinite(r.hip_short_of_neutral_deg)]
    return SessionSummary(
        path=folder, athlete=meta.athlete, started=meta.started_dt, exercise=meta.exercise,
        sets=len(sets), reps=len(reps),
        mean_ratio=sum(ratios) / len(ratios) if ratios else float("nan"),
        lumbar_dominant=sum(1 for r in reps if r.verdict.value == "lumbar_dominant"),
        calibrated=meta.calibration is not None,
        mean_hip_short_deg=sum(gaps) / len(gaps) if gaps else float("nan"))


def list_sessions(athlete: str | None = None, root: Path | str | None = None,
                  skipped: list[tuple[Path, str]] | None = None) -> list[SessionSummary]:
    """Sessions under ``root`` (oldest first), for one athlete (case-insensitive) or all.
    A folder that cannot be read as a session is left out (and added to ``skipped`` with
    the reason, when given): one damaged session never hides the others."""
    base = sessions_root(root)
    if not base.is_dir():
        return []
    out = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        try:
            s = _summarize(folder)
        except UserError as exc:
            if skipped is not None and (folder / "session.json").exists():
                skipped.append((folder, str(exc)))
            continue
        if athlete is not None and s.athlete.casefold() != athlete.casefold():
            continue
        out.append(s)
    out.sort(key=lambda s: s.started)
    return out


@dataclass(frozen=True)
class TrendPoint:
    """One past session in the athlete's ratio trend."""

    started: datetime
    mean_ratio: float
    reps: int
    path: Path


def ratio_trend(athlete: str, root: Path | str | None = None, exercise: str | None = None,
                exclude: Path | str | None = None, last: int = 0) -> list[TrendPoint]:
    """Mean ratio per session with at least one usable ratio, oldest first (the last
    ``last`` when > 0), without the session at ``exclude`` (the one being recorded or
    replayed now: its reps are still arriving). The dashboard, ``history`` and the report
    all read this one trend."""
    if not athlete:
        return []
    skip = Path(exclude).resolve() if exclude else None
    out = [TrendPoint(s.started, s.mean_ratio, s.reps, s.path)
           for s in list_sessions(athlete, root)
           if s.reps and math.isfinite(s.mean_ratio)
           and (exercise is None or s.exercise == exercise)
           and (skip is None or s.path.resolve() != skip)]
    return out[-last:] if last > 0 else out


@dataclass(frozen=True)
class HipTrendPoint:
    """One past session in the athlete's hip-gap trend (sessions with hip IMUs)."""

    started: datetime
    mean_hip_short_deg: float
    reps: int
    path: Path


def hip_trend(athlete: str, root: Path | str | None = None, exercise: str | None = None
              ) -> list[HipTrendPoint]:
    """Mean hip gap at the tops per session with hip angles, oldest first."""
    if not athlete:
        return []
    return [HipTrendPoint(s.started, s.mean_hip_short_deg, s.reps, s.path)
            for s in list_sessions(athlete, root)
            if s.reps and math.isfinite(s.mean_hip_short_deg)
            and (exercise is None or s.exercise == exercise)]


def athletes(root: Path | str | None = None) -> list[str]:
    return sorted({s.athlete for s in list_sessions(None, root)}, key=str.casefold)
