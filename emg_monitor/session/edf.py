"""EDF+ / BDF+ export of a session, for EDFbrowser, MNE-Python and clinical EDF pipelines.

Signals: every recorded channel in its unit (raw EMG in µV), the RMS envelope of
each EMG channel (the live numbers: %MVC once calibrated) and the trunk
inclination (deg) where there is a motion sensor. Reps, sets, calibrations,
notes and the source's events (gaps, disconnections) become EDF+ annotations.

Written with pyedflib (EDFlib underneath), one data record at a time, in two
passes over the samples (ranges first, then the records), so memory stays
bounded whatever the session's length. Each signal's physical range is the
range its data actually takes, so the quantisation step is as fine as the
format allows: EDF's 16 bits give a step of range/65535 (about 0.25 µV over
our board's ±8.25 mV input, far below its 16 µV ADC step); BDF's 24 bits
(range/16777215) suit 24-bit lab amplifiers.

EDF+C is continuous: samples lost in a gap are written as 0 (or the nearest
value in range) and covered by a ``BAD_gap`` annotation, which MNE treats as a
bad segment. The last data record is padded the same way (``BAD_padding``).
"""
from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..model import Channel, DeviceInfo, Side
from .outputs import check_output
from .reader import CHUNK_ROWS, PLAUSIBLE_ABS_MAX, Session, load_session

#: EDFlib keeps at most this many bytes of an annotation's text
ANNOTATION_MAX_BYTES = 40
#: EDF header fields: label 16 characters, physical dimension 8, numbers 8
LABEL_CHARS = 16
UNIT_CHARS = 8
NUMBER_CHARS = 8
#: EDF+ stores annotation onsets and durations in units of 100 µs (EDFlib)
ANNOTATION_RESOLUTION_S = 1e-4

#: the sampling rate readers compute (samples per record / record duration) may differ from
#: the stream's by this much (1 ppm: 3.6 ms an hour, below any amplifier clock's accuracy)
RATE_TOLERANCE = 1e-6

FORMATS = {"edf": (-32768, 32767), "bdf": (-8388608, 8388607)}


@dataclass(frozen=True)
class EdfSignal:
    label: str
    unit: str
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int

    @property
    def step(self) -> float:
        """One digital count in physical units: the quantisation step."""
        return (self.physical_max - self.physical_min) / (self.digital_max - self.digital_min)


@dataclass(frozen=True)
class Annotation:
    onset_s: float                   # from the first sample, a multiple of 100 µs
    duration_s: float                # -1: none (an instant)
    text: str


# --- header fields ---------------------------------------------------------------
def _ascii(text: str) -> str:
    return re.sub(r"[^\x20-\x7e]", "_", text)


def edf_number(value: float, outward: int) -> float:
    """``value`` rounded away from the data (``outward`` -1 down, +1 up) to the most
    decimals that fit EDF's 8-character number field (decimal arithmetic: no float
    rounding can move it back inside the data)."""
    if not math.isfinite(value) or abs(value) >= 1e8:
        raise ValueError(f"{value!r} does not fit an EDF number field")
    exact = Decimal(repr(float(value)))
    rounding = ROUND_FLOOR if outward < 0 else ROUND_CEILING
    for decimals in range(6, -1, -1):
        text = _number_text(exact.quantize(Decimal(1).scaleb(-decimals), rounding=rounding))
        if len(text) <= NUMBER_CHARS:
            return float(text)
    raise ValueError(f"{value!r} does not fit an EDF number field ({NUMBER_CHARS} characters)")


def _number_text(v: Decimal) -> str:
    text = format(v, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def physical_range(lo: float, hi: float) -> tuple[float, float]:
    """An EDF physical (min, max) that holds [lo, hi], never empty (a flat channel
    gets a range of ±1 around its value)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo = hi = 0.0                        # no finite sample: an empty channel
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    pmin, pmax = edf_number(lo, -1), edf_number(hi, +1)
    if pmax <= pmin:                         # lost to rounding in 8 characters
        pmax = edf_number(pmin + max(1.0, abs(pmin) * 1e-6), +1)
    return pmin, pmax


_SIDE = {Side.LEFT: "L", Side.RIGHT: "R"}


def _role_label(prefix: str, ch: Channel) -> str | None:
    if ch.muscle is None:
        return None
    side = f" {_SIDE[ch.side]}" if ch.side is not None else ""
    label = f"{prefix}{side} {ch.muscle.value}"
    return label if len(label) <= LABEL_CHARS else None


def signal_labels(info: DeviceInfo, emg_names: tuple[str, ...], with_angle: bool) -> list[str]:
    """Unique EDF labels (16 ASCII characters) in file order: channels, envelopes, angle.

    EMG channels with a known muscle follow EDF+'s "type specification" form
    ("EMG L glute"); their envelopes read "RMS L glute"."""
    by_name = {ch.name: ch for ch in info.channels}
    wanted = [(_role_label("EMG", ch) if ch.is_emg else None) or ch.name for ch in info.channels]
    wanted += [_role_label("RMS", by_name[n]) or f"{n} rms" for n in emg_names]
    if with_angle:
        wanted.append("inclination")
    labels: list[str] = []
    for w in wanted:
        base = _ascii(w)[:LABEL_CHARS].strip() or "signal"
        label, k = base, 2
        while label in labels:
            suffix = f"~{k}"
            label, k = base[:LABEL_CHARS - len(suffix)] + suffix, k + 1
        labels.append(label)
    return labels


def edf_unit(unit: str) -> str:
    return {"pct_mvc": "%MVC", "deg_s": "deg/s"}.get(unit, _ascii(unit))[:UNIT_CHARS]


def record_layout(sample_rate_hz: float) -> tuple[float, int]:
    """(data record duration s, samples per record). A whole number of samples must fill a
    record whose duration EDFlib can store (10 µs steps). Short records (about 0.1 s) keep
    the padding at the end small. Rates like Delsys Trigno's 2148.1481 Hz get the record
    (0.108 s, 232 samples) whose rate readers compute is within 1 ppm of the stream's."""
    for duration in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0):
        spr = sample_rate_hz * duration
        if abs(spr - round(spr)) < 1e-6 and round(spr) >= 1:
            return duration, int(round(spr))
    for n in range(max(1, math.ceil(0.1 * sample_rate_hz)), int(10 * sample_rate_hz) + 1):
        duration = round(n / sample_rate_hz, 5)
        if duration >= 0.001 and abs(n / duration - sample_rate_hz) <= RATE_TOLERANCE * sample_rate_hz:
            return duration, n
    raise UserError(f"EDF cannot store {sample_rate_hz:g} Hz (no data record of 0.1-10 s holds "
                    "a whole number of samples); export CSV instead")


# --- what goes in -----------------------------------------------------------------
def _fit(text: str) -> str:
    raw = text.encode("utf-8")[:ANNOTATION_MAX_BYTES]
    return raw.decode("utf-8", errors="ignore").strip()


def _ticks(t_s: float) -> float:
    """Seconds as EDF+ keeps them (whole 100 µs ticks), as a reader parses them back."""
    return round(t_s / ANNOTATION_RESOLUTION_S) / round(1 / ANNOTATION_RESOLUTION_S)


def _onset(t_s: float, t0_s: float) -> float:
    return _ticks(t_s - t0_s)


def _ratio_text(ratio: float) -> str:
    return f"{ratio:.2f}" if math.isfinite(ratio) else "-"


def edf_annotations(session: Session) -> list[Annotation]:
    """Everything a reviewer jumps to, in time order, each text at most 40 bytes."""
    rate = session.sample_rate_hz
    t0 = session.first_index / rate
    out: list[Annotation] = []

    def add(t_s: float, duration_s: float, text: str) -> None:
        if t_s < t0:                  # began before the first sample kept: clip (EDF+ onsets >= 0)
            duration_s = max(0.0, duration_s - (t0 - t_s)) if duration_s >= 0 else duration_s
            t_s = t0
        out.append(Annotation(_onset(t_s, t0), _ticks(duration_s) if duration_s >= 0 else -1.0,
                              _fit(text)))

    if session.meta.calibration:
        add(t0, -1, f"calibration {session.meta.calibration.get('created_iso', '')[:16]}")
    for m in session.marks:
        kind = m.get("kind")
        if "sample_index" not in m or kind in ("set_start", "set_stop"):
            continue                             # sets: from the set records below
        t = int(m["sample_index"]) / rate
        if kind == "calibration":
            add(t, -1, f"calibration {str(m.get('created_iso', ''))[:16]}")
        elif kind == "note":
            add(t, -1, f"note {m.get('text', '')}")
        elif kind:
            add(t, -1, str(kind))
    for rec in session.sets:                     # the records every reader counts from
        add(rec.t_start_s, max(0.0, rec.t_end_s - rec.t_start_s),
            f"set {rec.set_index} ({rec.count} reps)")
    for r in session.reps:
        status = "" if r.status.value == "complete" else f" {r.status.value}"
        add(r.t_top_s, -1, f"rep {r.set_index}.{r.rep}{status} ratio {_ratio_text(r.ratio)} "
                           f"{r.verdict.value}")
    for e in session.events:
        t = e.sample_index / rate
        if e.kind.value == "gap":
            add(t, e.duration_s, f"BAD_gap {e.detail}".strip())
        elif e.kind.value != "end":
            add(t, e.duration_s if e.duration_s else -1, f"{e.kind.value} {e.detail}".strip())
    for err in session.errors:
        if "sample_index" in err:
            add(int(err["sample_index"]) / rate, -1, f"error {err.get('detail', '')}")
    out.sort(key=lambda a: (a.onset_s, a.text))
    return out


def _contiguous_chunks(session: Session, rows: int = CHUNK_ROWS
                       ) -> Iterator[tuple[int, np.ndarray]]:
    """(first stream index, data) runs without gaps, at most ``rows`` long, read from disk
    chunk by chunk (bounded memory)."""
    for chunk in session.iter_samples(rows):
        cuts = np.flatnonzero(np.diff(chunk.index) != 1) + 1
        bounds = [0, *cuts.tolist(), chunk.index.size]
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b > a:
                yield int(chunk.index[a]), chunk.data[a:b]


class _Signals:
    """Raw channels + envelopes + angle for one pass, computed chunk by chunk with the
    streaming DSP (the same numbers the dashboard showed)."""

    def __init__(self, session: Session) -> None:
        from ..exercises import get_exercise
        from ..motion import MotionTracker
        from .export import session_pipeline
        self.pipe = session_pipeline(session)
        try:
            top_at = get_exercise(session.meta.exercise).top_at
        except (UserError, ValueError, KeyError):
            top_at = "min"
        self.motion = MotionTracker(session.info, top_at=top_at)
        self.with_angle = self.motion.available

    def rows(self, data: np.ndarray) -> np.ndarray:
        """Signals for ``data``; NaN where a value is not finite or not physical (a damaged
        row), which the writer stores as the fill value."""
        parts = [data, self.pipe.process(data).envelope]
        angle = self.motion.process(data) if self.with_angle else None
        if angle is not None:
            parts.append(angle[:, None])
        out = np.column_stack(parts)
        with np.errstate(invalid="ignore"):
            out[~(np.abs(out) <= PLAUSIBLE_ABS_MAX)] = np.nan
        return out


def _signals(session: Session, fmt: str) -> list[EdfSignal]:
    """Pass 1: every signal's label, unit and the physical range its data takes."""
    sig = _Signals(session)
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    for _, data in _contiguous_chunks(session):
        rows = sig.rows(data)
        with warnings.catch_warnings():      # an all-NaN column: no finite value yet
            warnings.simplefilter("ignore", RuntimeWarning)
            c_lo, c_hi = np.nanmin(rows, axis=0), np.nanmax(rows, axis=0)
        lo = c_lo if lo is None else np.fmin(lo, c_lo)
        hi = c_hi if hi is None else np.fmax(hi, c_hi)
    if lo is None or hi is None:
        raise UserError(f"{session.path} holds no samples to export")
    units = ([ch.unit for ch in session.info.channels]
             + [sig.pipe.envelope_unit] * len(sig.pipe.emg_names)
             + (["deg"] if sig.with_angle else []))
    labels = signal_labels(session.info, sig.pipe.emg_names, sig.with_angle)
    dmin, dmax = FORMATS[fmt]
    out = []
    for label, unit, a, b in zip(labels, units, lo, hi):
        try:
            pmin, pmax = physical_range(float(a), float(b))
        except ValueError:
            raise UserError(f"{label} spans {a:g} to {b:g} {unit}, beyond EDF's 8-digit header "
                            "fields (a damaged recording?); export CSV instead") from None
        out.append(EdfSignal(label, edf_unit(unit), pmin, pmax, dmin, dmax))
    return out


def to_digital(physical: np.ndarray, signals: list[EdfSignal]) -> np.ndarray:
    """Physical values -> digital counts, rounded to the nearest (EDFlib's own conversion
    truncates, up to a whole step off): readers get back within half a step. Values that
    are missing (NaN: gaps, damaged rows, padding) become the count nearest 0."""
    pmin = np.array([s.physical_min for s in signals])
    pmax = np.array([s.physical_max for s in signals])
    dmin = np.array([s.digital_min for s in signals], dtype=np.int64)
    dmax = np.array([s.digital_max for s in signals], dtype=np.int64)
    step = np.array([s.step for s in signals])
    x = np.where(np.isfinite(physical), physical, np.clip(0.0, pmin, pmax))
    counts = np.rint((x - pmin) / step) + dmin
    return np.clip(counts, dmin, dmax).astype(np.int32)


class _RecordWriter:
    """Rows in, whole data records out (EDFlib takes one record per call)."""

    def __init__(self, writer, signals: list[EdfSignal], samples_per_record: int) -> None:
        self.writer = writer
        self.signals = signals
        self.spr = samples_per_record
        self.buf = np.empty((samples_per_record, len(signals)), dtype=np.int32)
        self.filled = 0

    def put(self, physical: np.ndarray) -> None:
        counts = to_digital(physical, self.signals)
        k = 0
        while k < counts.shape[0]:
            take = min(self.spr - self.filled, counts.shape[0] - k)
            self.buf[self.filled:self.filled + take] = counts[k:k + take]
            self.filled += take
            k += take
            if self.filled == self.spr:
                self._write()

    def gap(self, n: int) -> None:
        for s in range(0, n, CHUNK_ROWS):
            self.put(np.full((min(CHUNK_ROWS, n - s), len(self.signals)), np.nan))

    def finish(self) -> None:
        if self.filled:
            self.gap(self.spr - self.filled)   # padding: the last record is whole

    def _write(self) -> None:
        if self.writer.blockWriteDigitalSamples(np.ascontiguousarray(self.buf.T).ravel()) < 0:
            raise UserError("writing an EDF data record failed (disk full?)")
        self.filled = 0


def export_edf(path_or_session: Path | str | Session, out_dir: Path | str | None = None,
               fmt: str = "edf") -> Path:
    """Write ``<session>.edf`` (or ``.bdf``) into ``out_dir`` (default SESSION/export)."""
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}: choose edf or bdf")
    session = (path_or_session if isinstance(path_or_session, Session)
               else load_session(path_or_session))
    if not session.n_samples:
        raise UserError(f"{session.path} holds no samples to export")
    rate = session.sample_rate_hz
    record_s, spr = record_layout(rate)
    signals = _signals(session, fmt)
    first, last = session.first_index, int(session.samples.last_index)
    n_records = -(-(last - first + 1) // spr)
    notes = edf_annotations(session)
    pad = n_records * spr - (last - first + 1)
    if pad:
        notes.append(Annotation(_onset((last + 1) / rate, first / rate), _ticks(pad / rate),
                                "BAD_padding"))
    out = Path(out_dir) if out_dir is not None else session.path / "export"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create {out}: {exc.strerror or exc}") from exc
    target = check_output(out / f"{session.path.name}.{fmt}", [session.path])
    writer = _open_writer(target, fmt, signals, rate, record_s, session, len(notes), n_records)
    try:
        records = _RecordWriter(writer, signals, spr)
        sig = _Signals(session)                  # pass 2: the same numbers, written
        next_index = first
        for i0, data in _contiguous_chunks(session):
            records.gap(i0 - next_index)          # samples lost in a gap: missing
            records.put(sig.rows(data))
            next_index = i0 + data.shape[0]
        records.finish()
        for a in notes:
            writer.writeAnnotation(a.onset_s, a.duration_s, a.text)
    finally:
        writer.close()
    return target


def _open_writer(target: Path, fmt: str, signals: list[EdfSignal], rate: float,
                 record_s: float, session: Session, n_annotations: int, n_records: int):
    try:
        import pyedflib
    except ImportError as exc:
        raise UserError("EDF export needs pyedflib: pip install pyedflib") from exc
    file_type = pyedflib.FILETYPE_EDFPLUS if fmt == "edf" else pyedflib.FILETYPE_BDFPLUS
    try:
        writer = pyedflib.EdfWriter(str(target), len(signals), file_type=file_type)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc}") from exc
    # EDFlib stores one annotation per data record and annotation signal
    writer.set_number_of_annotation_signals(max(1, min(64, -(-n_annotations // max(1, n_records)) + 1)))
    with warnings.catch_warnings():      # we chose the duration to hold whole samples
        warnings.simplefilter("ignore", UserWarning)
        writer.setDatarecordDuration(record_s)
    writer.setSignalHeaders([
        {"label": s.label, "dimension": s.unit, "sample_frequency": rate,
         "physical_min": s.physical_min, "physical_max": s.physical_max,
         "digital_min": s.digital_min, "digital_max": s.digital_max,
         "transducer": "", "prefilter": ""} for s in signals])
    meta = session.meta
    try:
        writer.setStartdatetime(datetime.fromisoformat(meta.started).replace(tzinfo=None))
    except ValueError:
        pass
    writer.setPatientName(_ascii(meta.athlete).replace(" ", "_")[:40] or "X")
    writer.setRecordingAdditional(_ascii(f"{meta.exercise}")[:30])
    writer.setEquipment(_ascii(session.info.device).replace(" ", "_")[:30] or "emg-monitor")
    return writer
