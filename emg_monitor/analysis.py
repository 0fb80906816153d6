"""A whole recording through the live chain: the same :class:`~.engine.Engine`.

Offline analysis feeds a recording to the engine the dashboard runs, in the
20 ms blocks a board delivers, with the lifter's recorded actions (manual set
starts/stops, calibrations) at their samples. So a rep found here is the rep
the dashboard showed, numbered into the same set records (``sets.SetTracker``):
the DSP is chunking-independent by construction and the set logic is one code.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

import numpy as np

from .device import IMU_AXES
from .dsp.calibration import Calibration
from .dsp.pipeline import FilterSettings
from .exercises import get_exercise
from .hip.neutral import HipNeutral
from .hip.tracker import SEGMENTS as IMU_SEGMENTS
from .model import Channel, DeviceInfo, EventKind, Kind, Muscle, RepResult, SampleBlock, Side
from .model import SourceEvent
from .session.actions import Action, recorded_actions
from .sets import SetRecord, SetRules
from .sources.base import BLOCK_S
from .tables import Table, load_table


@dataclass(frozen=True)
class AnalysisResult:
    reps: list[RepResult]            # every rep once, numbered (set_index, rep, session_rep)
    sample_rate_hz: float
    emg_names: tuple[str, ...]
    amplitude_unit: str
    calibrated: bool
    use_motion: bool
    exercise: str
    target_ratio: float
    duration_s: float
    mains_hz: float | None
    sets: tuple[SetRecord, ...] = ()
    on_hip: bool = False             # reps and tops came from the hip angle (IMUs, docs/hip.md)
    hip_message: str = ""            # why there is no hip angle, or what was corrected


class _Collect:
    def __init__(self) -> None:
        self.reps: dict[int, RepResult] = {}
        self.sets: dict[int, SetRecord] = {}

    def on_processed(self, chunk) -> None: ...
    def on_top(self, cue) -> None: ...
    def on_quality(self, issues) -> None: ...

    def on_rep(self, rep: RepResult) -> None:
        self.reps.setdefault(rep.session_rep, rep)

    def on_set(self, record: SetRecord) -> None:
        if record.reps:
            self.sets[record.set_index] = record


def analyze_recording(data: np.ndarray, info: DeviceInfo, *,
                      first_index: int | np.ndarray = 0, **kwargs) -> AnalysisResult:
    """``data`` (n, n_channels) in channel units, in memory. ``first_index``: the stream index
    of row 0, or one index per row (a session with gaps). The other arguments: see
    :func:`analyze_chunks`."""
    data = np.asarray(data, dtype=float)
    index = (np.asarray(first_index, dtype=np.int64) if np.ndim(first_index)
             else int(first_index) + np.arange(data.shape[0], dtype=np.int64))
    return analyze_chunks([(index, data)], info, **kwargs)


def analyze_chunks(chunks: Iterable[tuple[np.ndarray, np.ndarray]], info: DeviceInfo, *,
                   exercise: str = "deadlift", settings: FilterSettings = FilterSettings(),
                   calibration: Calibration | None = None, use_motion: bool | None = None,
                   top_at: str | None = None, target_ratio: float | None = None,
                   set_starts: tuple[int, ...] = (), actions: tuple[Action, ...] = (),
                   set_rules: SetRules = SetRules(), time_offset_s: float = 0.0,
                   hip_neutral: HipNeutral | None = None, **limits) -> AnalysisResult:
    """A recording as ``(index, data)`` chunks in stream order (``index`` (k,) int64 stream
    index per row, ``data`` (k, n_channels)), through the live engine in bounded memory:
    only the current chunk and less than one block are held, so a two-hour session costs
    what a two-minute one does, and the result does not depend on the chunking.
    ``set_starts``: stream indices where the lifter started a set by hand; ``actions``: any
    recorded actions. ``limits``: RepDetector overrides (min_rom_deg, min_rep_s, ...). With
    pelvis and thigh IMUs, reps and tops come from the hip angle once a still stand has
    aligned them, as live (docs/hip.md)."""
    from .engine import Engine, EngineSettings
    ex = get_exercise(exercise)
    if use_motion and not info.motion_indices() and not info.imu_indices():
        raise ValueError("motion-based rep detection needs a motion channel or IMUs")
    engine = Engine(EngineSettings(filters=settings, calibration=calibration, exercise=ex.name,
                                   top_at=top_at, target_ratio=target_ratio,
                                   use_motion=use_motion, set_rules=set_rules,
                                   rep_limits=dict(limits), hip_neutral=hip_neutral))
    sink = _Collect()
    engine.add_listener(sink)
    engine.on_info(info)
    todo = sorted([*actions, *(Action(int(i), "set_start") for i in set_starts)],
                  key=lambda m: m.sample_index)
    # blocks as a board delivers them live: quality flags and set decisions are taken at
    # the same moments as on the dashboard
    step = max(1, int(round(BLOCK_S * info.sample_rate_hz)))
    k_mark = 0
    n_rows, last = 0, None
    carry_index = np.empty(0, dtype=np.int64)
    carry_data = np.empty((0, len(info.channels)))

    def feed(index: np.ndarray, data: np.ndarray, bounds: list[int]) -> None:
        nonlocal k_mark
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b <= a:
                continue
            i0 = int(index[a])
            while k_mark < len(todo) and todo[k_mark].sample_index <= i0:
                _request(engine, todo[k_mark], i0)
                k_mark += 1
            engine.on_block(SampleBlock(i0, data[a:b]))
            if engine.error is not None:
                raise engine.error

    for chunk_index, chunk_data in chunks:
        chunk_index = np.asarray(chunk_index, dtype=np.int64)
        if chunk_index.size == 0:
            continue
        n_rows += chunk_index.size
        last = int(chunk_index[-1])
        # the rows after the last cut wait for the next chunk, so blocks are cut where they
        # would be in one array: at absolute multiples of ``step``, at gaps and at marks
        index = np.concatenate([carry_index, chunk_index])
        data = np.concatenate([carry_data, np.asarray(chunk_data, dtype=float)])
        cut = np.zeros(index.size, dtype=bool)
        cut[1:] = np.diff(index) != 1
        cut |= index % step == 0
        for m in todo[k_mark:]:
            k = int(np.searchsorted(index, m.sample_index))
            if k >= index.size:
                break
            cut[k] = True
        cut[0] = False
        cuts = np.flatnonzero(cut).tolist()
        if not cuts:
            carry_index, carry_data = index, data
            continue
        feed(index, data, [0, *cuts])
        carry_index, carry_data = index[cuts[-1]:], data[cuts[-1]:]
    if carry_index.size:
        feed(carry_index, carry_data, [0, carry_index.size])
    end = last + 1 if last is not None else 0
    engine.on_event(SourceEvent(EventKind.END, end, 0.0))
    engine.on_stop()
    if engine.error is not None:
        raise engine.error
    for failure in engine.failures:      # offline, a failing collector is a failed analysis
        raise failure.error
    reps = sorted(sink.reps.values(), key=lambda r: r.session_rep)
    sets = tuple(sink.sets[k] for k in sorted(sink.sets))
    if time_offset_s:
        reps = [_shift(r, time_offset_s) for r in reps]
        sets = tuple(replace(s, t_start_s=s.t_start_s + time_offset_s,
                             t_end_s=s.t_end_s + time_offset_s,
                             reps=tuple(_shift(r, time_offset_s) for r in s.reps)) for s in sets)
    pipe = engine.pipeline
    return AnalysisResult(reps, info.sample_rate_hz, pipe.emg_names, pipe.envelope_unit,
                          pipe.calibrated, engine.use_motion or engine.reps.use_motion, ex.name,
                          engine.reps.target_ratio, n_rows / info.sample_rate_hz,
                          pipe.mains_hz, sets, engine.reps_on_hip_seen, engine.hip_status)


def _request(engine, mark: Action, at_index: int) -> None:
    if mark.kind == "set_start":
        engine.start_set(at_index)
    elif mark.kind == "set_stop":
        engine.stop_set(at_index)
    elif mark.kind == "calibration":
        engine.set_calibration(mark.value)
    elif mark.kind == "exercise":
        engine.set_exercise(str(mark.value))
    elif mark.kind == "hip_neutral":
        engine.set_hip_neutral(mark.value)


def _shift(r: RepResult, dt: float) -> RepResult:
    return replace(r, t_start_s=r.t_start_s + dt, t_top_s=r.t_top_s + dt, t_end_s=r.t_end_s + dt,
                   window_start_s=r.window_start_s + dt, window_end_s=r.window_end_s + dt)


def table_info(table: Table, glute: list[str], erector: list[str], motion: list[str] | None,
               emg_kind: Kind = Kind.RAW_EMG, imu: bool = False,
               imu_rate_hz: float | None = None) -> tuple[DeviceInfo, list[int]]:
    """A DeviceInfo for the mapped columns (first glute/erector = left, second = right)
    and the table columns it uses, in channel order. ``imu``: add the IMU columns named
    ``{segment}_{acc|gyr}_{x|y|z}`` (an optional ``_g``/``_deg_s`` unit suffix)."""
    if not glute and not erector:
        raise ValueError("map at least one column with --glute or --erector")
    for role, cols in (("glute", glute), ("erector", erector)):
        if len(cols) > 2:
            raise ValueError(f"--{role} takes one or two columns (left, right), got {len(cols)}")
    used = [*glute, *erector, *(motion or [])]
    dup = {c for c in used if used.count(c) > 1}
    if dup:
        raise ValueError(f"column(s) {', '.join(sorted(dup))} mapped to more than one role")
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
            raise ValueError("--motion takes one angle column or two accelerometer columns")
        for name in motion:
            i = table.column(name)
            unit = table.units[i] or ("g" if len(motion) == 2 else "deg")
            channels.append(Channel(table.names[i], Kind.MOTION, unit))
            cols.append(i)
    if not imu:
        return DeviceInfo(table.sample_rate_hz, tuple(channels), device="table"), cols
    if imu_rate_hz is not None and not (math.isfinite(imu_rate_hz) and imu_rate_hz > 0):
        raise ValueError(f"the IMU rate must be a positive number of Hz (got {imu_rate_hz})")
    segments = []
    for seg in IMU_SEGMENTS:
        found = []
        for axis in IMU_AXES:
            unit = "g" if axis.startswith("acc") else "deg_s"
            names = [f"{seg}_{axis}", f"{seg}_{axis}_{unit}"]
            hit = [k for k, n in enumerate(table.names) if n.lower() in names]
            found.append(hit[0] if hit else None)
        if all(k is not None for k in found):
            segments.append(seg)
            for axis, k in zip(IMU_AXES, found):
                channels.append(Channel(f"{seg}_{axis}", Kind.IMU,
                                        "g" if axis.startswith("acc") else "deg_s"))
                cols.append(k)
    if "pelvis" not in segments or "thigh" not in segments:
        raise ValueError("--imu needs the six columns of the pelvis and of the thigh IMU "
                        "(pelvis_acc_x ... thigh_gyr_z); found IMUs: "
                        f"{', '.join(segments) or 'none'}")
    return DeviceInfo(table.sample_rate_hz, tuple(channels), device="table",
                      imu_rate_hz=min(table.sample_rate_hz, 100.0) if imu_rate_hz is None
                      else float(imu_rate_hz), imu_segments=tuple(segments)), cols


def analyze_table(path: str | Path, glute: list[str], erector: list[str], *,
                  motion: list[str] | None = None, mvc: dict[str, float] | None = None,
                  sample_rate_hz: float | None = None, mains: str = "auto",
                  exercise: str = "deadlift", top_at: str | None = None,
                  target_ratio: float | None = None, imu: bool = False,
                  imu_rate_hz: float | None = None, **limits) -> AnalysisResult:
    table = load_table(path, sample_rate_hz)
    info, cols = table_info(table, glute, erector, motion, imu=imu, imu_rate_hz=imu_rate_hz)
    calibration = None
    if mvc:
        emg = [ch for ch in info.channels if ch.is_emg]
        by_name = {ch.name.lower(): ch.name for ch in emg}
        resolved = {}
        for key, value in mvc.items():
            if key.lower() not in by_name:
                raise ValueError(f"--mvc {key}: not a --glute/--erector column "
                                f"({', '.join(ch.name for ch in emg)})")
            if not value > 0:
                raise ValueError(f"--mvc {key}: the MVC amplitude must be positive")
            resolved[by_name[key.lower()]] = float(value)
        missing = [ch.name for ch in emg if ch.name not in resolved]
        if missing:
            raise ValueError(f"--mvc is missing for {', '.join(missing)}: give every EMG column "
                            "its MVC, or none (uncalibrated)")
        units = {ch.unit for ch in emg}
        if len(units) > 1:
            raise ValueError("the EMG columns have different units; --mvc needs one unit")
        calibration = Calibration("", units.pop(), {}, resolved)
    return analyze_recording(table.data[:, cols], info, exercise=exercise,
                             settings=FilterSettings(mains=mains), calibration=calibration,
                             use_motion=True if motion else None if imu else False,
                             top_at=top_at, target_ratio=target_ratio,
                             time_offset_s=table.t0_s, **limits)


def analyze_session(path: str | Path, *, exercise: str | None = None, top_at: str | None = None,
                    target_ratio: float | None = None, mains: str | None = None,
                    use_motion: bool | None = None, chunk_rows: int | None = None,
                    **limits) -> AnalysisResult:
    """A session folder recorded by the project: its own channel roles, filter settings,
    calibrations, exercise changes and manual set starts/stops, where they were made.
    Samples are streamed from disk (``chunk_rows`` at a time): bounded memory."""
    from .session.reader import CHUNK_ROWS, load_session

    s = load_session(path)
    settings = FilterSettings.from_dict(s.meta.filter_settings or {})
    if mains is not None:
        settings = replace(settings, mains=mains)
    cal = Calibration.from_dict(s.meta.calibration) if s.meta.calibration else None
    actions = tuple(a for a in recorded_actions(s) if exercise is None or a.kind != "exercise")
    target = target_ratio if target_ratio is not None else s.meta.target_ratio
    chunks = ((c.index, c.data) for c in s.iter_samples(chunk_rows or CHUNK_ROWS))
    return analyze_chunks(chunks, s.info, exercise=exercise or s.meta.exercise or "deadlift",
                          settings=settings, calibration=cal, use_motion=use_motion,
                          top_at=top_at, target_ratio=target, actions=actions, **limits)
