"""CSV exports of a session for the physiotherapist: per rep, per set, signals.

Units are in the column names (``_pct_mvc`` when the reps were calibrated to a
maximal voluntary contraction, else the channel unit such as ``_uv``), so a
spreadsheet never shows a bare number without its unit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..model import RepResult, Verdict
from ..sets import summarize
from .csvsafe import cell, numeric_lines, write_csv
from .outputs import check_output
from .reader import CHUNK_ROWS, Session, load_session

AMPLITUDES = ("glute_left", "glute_right", "erector_left", "erector_right", "glute", "erector")
#: the hip at the top (docs/hip.md): flexion from the athlete's neutral, the gap, the lumbar
HIP_FIELDS = ("hip_angle_at_top_deg", "hip_short_of_neutral_deg", "lumbar_angle_at_top_deg")


def unit_suffix(unit: str) -> str:
    """"uV" -> "uv", "pct_mvc" stays: a column-name-safe unit."""
    return unit.lower().replace("%", "pct").replace(" ", "_") or "au"


def rep_unit(rep: RepResult) -> str:
    return "pct_mvc" if rep.calibrated else unit_suffix(rep.amplitude_unit)


def _time_format(sample_rate_hz: float) -> str:
    """Enough decimals to tell samples apart (3 at 1 kHz), no more."""
    return f".{max(0, math.ceil(math.log10(max(sample_rate_hz, 1.0))))}f"


def rep_table(reps: list[RepResult], *, athlete: str | None = None, date: str = "",
              exercise: str = "", default_unit: str = "uv", time_format: str = ".3f"
              ) -> tuple[list[str], list[list[str]]]:
    """The per-rep table shared by ``export`` and ``analyze``: one row per rep of the set
    records (numbered by ``sets.SetTracker``), partial reps on their own rows.

    ``athlete``/``date`` columns appear when the reps come from a session.
    Calibrated and uncalibrated reps get separate, unit-named amplitude columns.
    """
    units = list(dict.fromkeys(rep_unit(r) for r in reps)) or [default_unit]
    header = (["athlete", "date"] if athlete is not None else []) + [
        "exercise", "set", "rep", "session_rep", "status", "t_start_s", "t_top_s", "t_end_s",
        "window_start_s", "window_end_s"]
    for u in units:
        header += [f"{a}_{u}" for a in AMPLITUDES]
    header += ["ratio", "verdict", "status", "verdict_basis", "no_verdict_reason",
               "ratio_relative", "calibrated", "lockout_s", "onset_lag_s",
               "symmetry_index_pct", "quality_flags"]
    header += [*HIP_FIELDS, "cue"]
    rows = []
    for r in sorted(reps, key=lambda r: (r.set_index, r.rep)):
        row = [cell(athlete), cell(date)] if athlete is not None else []
        row += [cell(r.exercise or exercise), cell(r.set_index), cell(r.rep),
                cell(r.session_rep), cell(r.status.value)]
        row += [cell(t, time_format) for t in (r.t_start_s, r.t_top_s, r.t_end_s,
                                               r.window_start_s, r.window_end_s)]
        for u in units:
            row += [cell(getattr(r, a)) if rep_unit(r) == u else "" for a in AMPLITUDES]
        row += [cell(r.ratio), cell(r.verdict.value), cell(r.status.value), cell(r.verdict_basis),
                cell(r.no_verdict_reason), cell(r.ratio_relative), cell(r.calibrated),
                cell(r.lockout_s, ".3f"), cell(r.onset_lag_s, ".3f"),
                cell(r.symmetry_index_pct, ".1f"), cell("; ".join(r.quality_flags))]
        row += [cell(getattr(r, f), ".1f") for f in HIP_FIELDS] + [cell(r.cue)]
        rows.append(row)
    return header, rows


def rep_header_and_rows(session: Session) -> tuple[list[str], list[list[str]]]:
    return rep_table(session.reps, athlete=session.meta.athlete, date=session.meta.started,
                     exercise=session.meta.exercise,
                     default_unit="pct_mvc" if session.calibration else "uv",
                     time_format=_time_format(session.sample_rate_hz))


SET_HEADER = ["athlete", "date", "exercise", "set", "reps", "partial_reps", "mean_ratio",
              "min_ratio", "worst_rep", "glutes_finished_reps", "borderline_reps",
              "lumbar_dominant_reps", "unknown_reps", "onset_order", "glute_first_reps",
              "erector_first_reps", "mean_onset_lag_s", "mean_symmetry_index_pct", "t_start_s",
              "t_end_s", "ended_by", "started_by", "interruptions",
              "mean_hip_short_of_neutral_deg", "max_hip_short_of_neutral_deg", "hips_short_reps"]


def set_rows(session: Session) -> list[list[str]]:
    """One row per set record (``sets.summarize``: the numbers the dashboard showed)."""
    m = session.meta
    tf = _time_format(session.sample_rate_hz)
    rows = []
    for s in (summarize(rec) for rec in session.sets):
        rows.append([cell(m.athlete), cell(m.started), cell(s.exercise or m.exercise),
                     cell(s.set_index), cell(s.reps), cell(s.partial_reps), cell(s.mean_ratio),
                     cell(s.min_ratio), cell(s.worst_rep),
                     cell(s.verdict_count(Verdict.GLUTES_FINISHED)),
                     cell(s.verdict_count(Verdict.BORDERLINE)),
                     cell(s.verdict_count(Verdict.LUMBAR_DOMINANT)),
                     cell(s.verdict_count(Verdict.UNKNOWN)), cell(s.onset_order),
                     cell(s.glute_first_reps), cell(s.erector_first_reps),
                     cell(s.mean_onset_lag_s, ".3f"), cell(s.mean_symmetry_index_pct, ".1f"),
                     cell(s.t_start_s, tf), cell(s.t_end_s, tf), cell(s.end_reason),
                     cell("button" if s.manual else "first rep"), cell(s.interruptions),
                     cell(s.mean_hip_short_of_neutral_deg, ".1f"),
                     cell(s.max_hip_short_of_neutral_deg, ".1f"), cell(s.hips_short_reps)])
    return rows


def session_settings(session: Session):
    """The recorded filter settings and calibration, as the DSP objects."""
    from ..dsp.pipeline import FilterSettings
    try:
        settings = FilterSettings.from_dict(session.meta.filter_settings or {})
    except (UserError, ValueError, TypeError) as exc:
        raise UserError(f"{session.path}: the recorded filter settings are damaged ({exc})"
                        ) from None
    calibration = None
    if session.calibration:
        from ..dsp.calibration import Calibration
        calibration = Calibration.from_dict(session.calibration)
    return settings, calibration


def session_pipeline(session: Session):
    """A fresh Pipeline with the session's recorded settings and calibration."""
    from ..dsp.pipeline import Pipeline
    settings, calibration = session_settings(session)
    return Pipeline(session.info, settings, calibration)


@dataclass(frozen=True)
class EnvelopeChunk:
    index: np.ndarray        # (k,) int64 stream index per row
    data: np.ndarray         # (k, n_channels) the recorded samples, channel units
    envelope: np.ndarray     # (k, n_emg) envelope per EMG channel, in the pipeline's unit


def iter_envelopes(session: Session, chunk_rows: int = CHUNK_ROWS):
    """(pipeline, chunks): the live chain over the recording, chunk by chunk, in bounded
    memory (the chain is chunking-independent, so these are the numbers of one call).
    ``pipeline.emg_names`` / ``pipeline.envelope_unit`` describe the envelope columns."""
    pipe = session_pipeline(session)

    def chunks():
        for chunk in session.iter_samples(chunk_rows):
            yield EnvelopeChunk(chunk.index, chunk.data, pipe.process(chunk.data).envelope)
    return pipe, chunks()


def envelopes(session: Session):
    """(names, envelope (n, n_emg), unit) with the recorded settings: the live numbers, whole
    recording in memory (short sessions; long ones: :func:`iter_envelopes`)."""
    pipe, chunks = iter_envelopes(session)
    parts = [c.envelope for c in chunks]
    env = np.concatenate(parts) if parts else np.empty((0, len(pipe.emg_names)))
    return pipe.emg_names, env, pipe.envelope_unit


def signal_header_and_rows(session: Session, chunk_rows: int = CHUNK_ROWS):
    """Header and a stream of CSV text blocks, one per chunk: bounded memory."""
    info = session.info
    pipe, chunks = iter_envelopes(session, chunk_rows)
    header = ["t_s"] + [f"{ch.name}_{unit_suffix(ch.unit)}" for ch in info.channels]
    header += [f"{n}_env_{unit_suffix(pipe.envelope_unit)}" for n in pipe.emg_names]
    formats = [_time_format(info.sample_rate_hz)] + [".6g"] * (len(info.channels)
                                                              + len(pipe.emg_names))

    def rows():
        for c in chunks:
            t = c.index / info.sample_rate_hz
            yield numeric_lines(np.column_stack([t, c.data, c.envelope]), formats)
    return header, rows()


def export_session(path_or_session: Path | str | Session, out_dir: Path | str | None = None
                   ) -> list[Path]:
    """Write ``<name>_reps.csv``, ``<name>_sets.csv`` and ``<name>_signals.csv``, streaming
    the signals chunk by chunk (bounded memory whatever the session's length). Every target
    goes through the output guard first: an export never overwrites a recording."""
    session = (path_or_session if isinstance(path_or_session, Session)
               else load_session(path_or_session))
    out = Path(out_dir) if out_dir is not None else session.path / "export"
    name = session.path.name
    targets = [out / f"{name}_{kind}.csv" for kind in ("reps", "sets", "signals")]
    for target in targets:
        check_output(target, [session.path])
    header, rows = rep_header_and_rows(session)
    written = [write_csv(targets[0], header, rows),
               write_csv(targets[1], SET_HEADER, set_rows(session))]
    header, rows = signal_header_and_rows(session)
    written.append(write_csv(targets[2], header, rows))
    return written
