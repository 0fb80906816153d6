"""A whole recording through the live chain: Pipeline -> MotionTracker -> RepDetector.

Offline analysis calls the same streaming classes the engine calls on every
block, once per contiguous run of samples, so a rep found here is the rep the
dashboard showed (the chain is chunking-independent by construction).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .dsp.calibration import Calibration
from .dsp.pipeline import FilterSettings, Pipeline
from .errors import UserError
from .exercises import get_exercise
from .model import Channel, DeviceInfo, Kind, Muscle, RepResult, Side
from .motion import MotionTracker
from .reps import RepDetector
from .tables import Table, load_table


@dataclass(frozen=True)
class AnalysisResult:
    reps: list[RepResult]
    sample_rate_hz: float
    emg_names: tuple[str, ...]
    amplitude_unit: str
    calibrated: bool
    use_motion: bool
    exercise: str
    target_ratio: float
    duration_s: float
    mains_hz: float | None


def analyze_recording(data: np.ndarray, info: DeviceInfo, *, exercise: str = "deadlift",
                      settings: FilterSettings = FilterSettings(),
                      calibration: Calibration | None = None, use_motion: bool | None = None,
                      top_at: str | None = None, target_ratio: float | None = None,
                      first_index: int | np.ndarray = 0, set_starts: tuple[int, ...] = (),
                      time_offset_s: float = 0.0, **limits) -> AnalysisResult:
    """``data`` (n, n_channels) in channel units. ``first_index``: the stream index of row 0,
    or one index per row (a session with gaps). ``set_starts``: stream indices where a new
    set began. ``limits``: RepDetector overrides (min_rom_deg, min_rep_s, ...)."""
    data = np.asarray(data, dtype=float)
    ex = get_exercise(exercise)
    top_at = top_at or ex.top_at
    pipe = Pipeline(info, settings, calibration)
    has_motion = bool(info.motion_indices())
    if use_motion and not has_motion:
        raise UserError("motion-based rep detection needs a motion channel")
    use_motion = has_motion if use_motion is None else use_motion
    motion = MotionTracker(info, top_at=top_at) if use_motion else None
    reps = RepDetector(info, pipe.emg_names, pipe.envelope_unit, pipe.calibrated, ex,
                       info.sample_rate_hz, use_motion, top_at, target_ratio, **limits)
    index = (np.asarray(first_index, dtype=np.int64) if np.ndim(first_index)
             else int(first_index) + np.arange(data.shape[0], dtype=np.int64))
    # contiguous runs, also cut at set starts
    cuts = set(np.flatnonzero(np.diff(index) != 1) + 1) if index.size else set()
    starts = sorted(set_starts)
    for s in starts:
        k = int(np.searchsorted(index, s))
        if 0 < k < index.size:
            cuts.add(k)
    bounds = [0, *sorted(cuts), data.shape[0]]
    out: list[RepResult] = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b <= a:
            continue
        i0 = int(index[a])
        begun = sum(1 for s in starts if s <= i0)
        if begun and begun != reps.set_index:
            reps.new_set(begun)
        chunk = data[a:b]
        processed = pipe.process(chunk)
        angle = motion.process(chunk) if motion is not None else None
        out.extend(reps.update(i0, processed.envelope, angle))
    out.extend(reps.flush())
    if time_offset_s:
        out = [replace(r, t_start_s=r.t_start_s + time_offset_s, t_top_s=r.t_top_s + time_offset_s,
                       t_end_s=r.t_end_s + time_offset_s,
                       window_start_s=r.window_start_s + time_offset_s,
                       window_end_s=r.window_end_s + time_offset_s) for r in out]
    return AnalysisResult(out, info.sample_rate_hz, pipe.emg_names, pipe.envelope_unit,
                          pipe.calibrated, use_motion, ex.name, reps.target_ratio,
                          data.shape[0] / info.sample_rate_hz, pipe.mains_hz)


def table_info(table: Table, glute: list[str], erector: list[str], motion: list[str] | None,
               emg_kind: Kind = Kind.RAW_EMG) -> tuple[DeviceInfo, list[int]]:
    """A DeviceInfo for the mapped columns (first glute/erector = left, second = right)
    and the table columns it uses, in channel order."""
    if not glute and not erector:
        raise UserError("map at least one column with --glute or --erector")
    for role, cols in (("glute", glute), ("erector", erector)):
        if len(cols) > 2:
            raise UserError(f"--{role} takes one or two columns (left, right), got {len(cols)}")
    used = [*glute, *erector, *(motion or [])]
    dup = {c for c in used if used.count(c) > 1}
    if dup:
        raise UserError(f"column(s) {', '.join(sorted(dup))} mapped to more than one role")
    channels, cols = [], []
    for muscle, names in ((Muscle.GLUTE, glute), (Muscle.ERECTOR, erector)):
        for k, name in enumerate(names):
            i = table.column(name)
            unit = table.units[i] or "au"
            channels.append(Channel(table.names[i], emg_kind, unit, muscle,
                                    Side.LEFT if k == 0 else Side.RIGHT))
            cols.append(i)
    if motion:
        if len(motion) > 2:
            raise UserError("--motion takes one angle column or two accelerometer columns")
        for name in motion:
            i = table.column(name)
            unit = table.units[i] or ("g" if len(motion) == 2 else "deg")
            channels.append(Channel(table.names[i], Kind.MOTION, unit))
            cols.append(i)
    return DeviceInfo(table.sample_rate_hz, tuple(channels), device="table"), cols


def analyze_table(path: str | Path, glute: list[str], erector: list[str], *,
                  motion: list[str] | None = None, mvc: dict[str, float] | None = None,
                  sample_rate_hz: float | None = None, mains: str = "auto",
                  exercise: str = "deadlift", top_at: str | None = None,
                  target_ratio: float | None = None, **limits) -> AnalysisResult:
    table = load_table(path, sample_rate_hz)
    info, cols = table_info(table, glute, erector, motion)
    calibration = None
    if mvc:
        emg = [ch for ch in info.channels if ch.is_emg]
        by_name = {ch.name.lower(): ch.name for ch in emg}
        resolved = {}
        for key, value in mvc.items():
            if key.lower() not in by_name:
                raise UserError(f"--mvc {key}: not a --glute/--erector column "
                                f"({', '.join(ch.name for ch in emg)})")
            if not value > 0:
                raise UserError(f"--mvc {key}: the MVC amplitude must be positive")
            resolved[by_name[key.lower()]] = float(value)
        missing = [ch.name for ch in emg if ch.name not in resolved]
        if missing:
            raise UserError(f"--mvc is missing for {', '.join(missing)}: give every EMG column "
                            "its MVC, or none (uncalibrated)")
        units = {ch.unit for ch in emg}
        if len(units) > 1:
            raise UserError("the EMG columns have different units; --mvc needs one unit")
        calibration = Calibration("", units.pop(), {}, resolved)
    return analyze_recording(table.data[:, cols], info, exercise=exercise,
                             settings=FilterSettings(mains=mains), calibration=calibration,
                             use_motion=bool(motion), top_at=top_at, target_ratio=target_ratio,
                             time_offset_s=table.t0_s, **limits)


def analyze_session(path: str | Path, *, exercise: str | None = None, top_at: str | None = None,
                    target_ratio: float | None = None, mains: str | None = None,
                    use_motion: bool | None = None, **limits) -> AnalysisResult:
    """A session folder recorded by the project: its own channel roles, filter settings,
    calibration and set marks."""
    from .session.reader import load_session

    s = load_session(path)
    settings = FilterSettings.from_dict(s.meta.filter_settings or {})
    if mains is not None:
        settings = replace(settings, mains=mains)
    cal = Calibration.from_dict(s.calibration) if s.calibration else None
    set_starts = tuple(int(m["sample_index"]) for m in s.marks
                       if m.get("kind") == "set_start" and "sample_index" in m)
    target = target_ratio if target_ratio is not None else s.meta.target_ratio
    return analyze_recording(s.data, s.info, exercise=exercise or s.meta.exercise or "deadlift",
                             settings=settings, calibration=cal, use_motion=use_motion,
                             top_at=top_at, target_ratio=target, first_index=s.sample_index,
                             set_starts=set_starts, **limits)
