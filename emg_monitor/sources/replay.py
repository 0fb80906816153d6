"""``ReplaySource``: a recorded session (or a plain CSV) played back as a live source.

After mne-lsl's player: replaying a file through the same Source interface
lets the dashboard, the engine and the tests run on real recordings without
hardware. Recorded stream indices are kept, so times and gaps are exactly as
recorded.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..model import (Channel, DeviceInfo, EventKind, Kind, Muscle, SampleBlock, Side)
from .base import Source, SourceError

#: block length: 20 ms, like a board's USB packets; small enough for smooth drawing.
BLOCK_S = 0.02

_TIME_NAMES = ("t_s", "time_s", "time", "t", "seconds")
_UNIT_SUFFIXES = {"_uv": ("uV", Kind.RAW_EMG), "_mv": ("mV", Kind.ENVELOPE),
                  "_g": ("g", Kind.MOTION), "_deg": ("deg", Kind.MOTION)}


def _channel_from_name(name: str) -> Channel:
    """Guess a channel's role from its column name (left_glute_uv, accel_x_g, ...)."""
    unit, kind, base = "uV", Kind.RAW_EMG, name
    for suffix, (u, k) in _UNIT_SUFFIXES.items():
        if name.lower().endswith(suffix):
            unit, kind, base = u, k, name[: -len(suffix)]
            break
    low = base.lower()
    if low.startswith(("accel", "angle", "incl", "motion")):
        kind = Kind.MOTION
        if unit == "uV":
            unit = "deg" if low.startswith(("angle", "incl")) else "g"
    muscle = (Muscle.GLUTE if "glute" in low else Muscle.ERECTOR if "erector" in low
              else None)
    side = (Side.LEFT if low.startswith("left") or low.endswith("_l") else
            Side.RIGHT if low.startswith("right") or low.endswith("_r") else None)
    return Channel(base, kind, unit, muscle, side)


def load_csv(path: Path) -> tuple[DeviceInfo, np.ndarray, np.ndarray]:
    """A minimal numeric CSV loader: header row, a time column in seconds, numeric columns.

    Returns (info, sample_index, data). The rate comes from the time column: a CSV
    carries no other statement of it, and a hidden default would be wrong silently.
    """
    try:
        from ..tables import load_table  # type: ignore[attr-defined]
    except ImportError:
        load_table = None
    if load_table is not None:
        table = load_table(path)
        try:
            return _from_table(table, path)
        except (AttributeError, TypeError, ValueError):
            pass                         # a table shape this module does not know: parse here
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from exc
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 3:
        raise UserError(f"{path} has no data rows: expected a header and numeric rows")
    delim = "\t" if "\t" in lines[0] else ";" if lines[0].count(";") > lines[0].count(",") else ","
    header = [h.strip().strip('"') for h in lines[0].split(delim)]
    try:
        rows = np.array([[float(x) for x in ln.split(delim)] for ln in lines[1:]])
    except ValueError as exc:
        raise UserError(f"{path} is not a numeric CSV with one header row ({exc})") from exc
    if rows.ndim != 2 or rows.shape[1] != len(header):
        raise UserError(f"{path}: rows do not all have {len(header)} columns")
    return _from_columns(header, rows, path)


def _from_columns(header: list[str], rows: np.ndarray, path: Path):
    lower = [h.lower() for h in header]
    t_col = next((lower.index(n) for n in _TIME_NAMES if n in lower), None)
    if t_col is None:
        raise UserError(f"{path} has no time column (one of {', '.join(_TIME_NAMES)}) "
                        "to take the sampling rate from")
    t = rows[:, t_col]
    dt = np.diff(t)
    if len(dt) == 0 or not np.all(dt > 0):
        raise UserError(f"{path}: the time column must increase strictly")
    rate_hz = float(round(1.0 / float(np.median(dt)), 6))
    names = [h for i, h in enumerate(header) if i != t_col]
    data = np.delete(rows, t_col, axis=1).astype(np.float64)
    info = DeviceInfo(sample_rate_hz=rate_hz,
                      channels=tuple(_channel_from_name(n) for n in names),
                      device=f"replay {path.name}")
    index = np.rint(t * rate_hz).astype(np.int64)
    return info, index, data


def _from_table(table, path: Path):
    # tables.load_table (written elsewhere) may return its own record; accept the
    # common shapes: an object with info/data/(sample_index|times_s).
    info = getattr(table, "info", None)
    data = np.asarray(getattr(table, "data"), dtype=np.float64)
    if getattr(table, "sample_index", None) is not None:
        index = np.asarray(table.sample_index, dtype=np.int64)
    else:
        times = np.asarray(getattr(table, "times_s"))
        index = np.rint(times * info.sample_rate_hz).astype(np.int64)
    return info, index, data


class ReplaySource(Source):
    """Play a session folder or CSV at ``speed`` x real time (None: as fast as possible)."""

    def __init__(self, path: Path | str, speed: float | None = 1.0,
                 block_s: float = BLOCK_S) -> None:
        super().__init__()
        if speed is not None and speed <= 0:
            raise UserError(f"replay speed must be positive (got {speed})")
        self.path = Path(path)
        self.speed = speed
        self._block_s = block_s
        self._ctl = threading.Lock()
        self._pos = 0                    # next row to play
        self._paused = False
        self._anchor_wall = 0.0          # wall time at which row _anchor_row is due
        self._anchor_row = 0
        self._pending_seek: str | None = None
        self._index = np.zeros(0, dtype=np.int64)
        self._data = np.zeros((0, 0))
        self.session = None

    # --- Source ----------------------------------------------------------------
    def _open(self) -> DeviceInfo:
        if not self.path.exists():
            raise SourceError(f"no such recording: {self.path}")
        if self.path.is_dir():
            from ..session.reader import load_session
            try:
                self.session = load_session(self.path)
            except UserError as exc:
                raise SourceError(str(exc)) from exc
            info, self._index, self._data = (self.session.info, self.session.sample_index,
                                             self.session.data)
            info = DeviceInfo(info.sample_rate_hz, info.channels,
                              device=f"replay of {info.device or 'session'} ({self.path.name})",
                              firmware_version=info.firmware_version,
                              protocol_version=info.protocol_version, adc_bits=info.adc_bits)
        else:
            try:
                info, self._index, self._data = load_csv(self.path)
            except UserError as exc:
                raise SourceError(str(exc)) from exc
        if len(self._index) == 0:
            raise SourceError(f"{self.path} holds no samples")
        self._block_n = max(1, int(round(self._block_s * info.sample_rate_hz)))
        self._reanchor()
        return info

    def _read(self) -> list[SampleBlock]:
        with self._ctl:
            seek_note, self._pending_seek = self._pending_seek, None
            seek_index = int(self._index[min(self._pos, len(self._index) - 1)])
        if seek_note is not None:        # emitted outside the lock: listeners may call pause()
            self._emit_event(EventKind.INFO, seek_index, seek_note)
        with self._ctl:
            if self._pos >= len(self._index):
                raise StopIteration
            if self._paused:
                wait_s = 0.05
                due_rows = 0
            elif self.speed is None:
                wait_s, due_rows = 0.0, self._block_n * 10
            else:
                rate = self.info.sample_rate_hz * self.speed
                due_rows = int((time.monotonic() - self._anchor_wall) * rate) \
                    + self._anchor_row - self._pos
                wait_s = 0.0 if due_rows >= self._block_n else min(
                    0.05, (self._block_n - due_rows) / rate)
        if wait_s:
            time.sleep(wait_s)
            return []
        blocks = []
        with self._ctl:
            end = min(len(self._index), self._pos + max(due_rows, 0))
            while self._pos < end:
                stop = min(end, self._pos + self._block_n)
                idx = self._index[self._pos:stop]
                # split at recorded gaps so first_index + row stays the true stream index
                breaks = np.nonzero(np.diff(idx) != 1)[0]
                if len(breaks):
                    stop = self._pos + int(breaks[0]) + 1
                lost = 0
                if self._pos > 0:
                    lost = max(0, int(self._index[self._pos]) - int(self._index[self._pos - 1]) - 1)
                blocks.append(SampleBlock(int(self._index[self._pos]),
                                          self._data[self._pos:stop].copy(), lost_before=lost,
                                          host_time_s=time.monotonic()))
                self._pos = stop
        return blocks

    def _end_index(self) -> int:
        return int(self._index[-1]) + 1 if len(self._index) else 0

    # --- controls (any thread) -------------------------------------------------
    def pause(self) -> None:
        with self._ctl:
            self._paused = True

    def resume(self) -> None:
        with self._ctl:
            self._paused = False
            self._reanchor()

    @property
    def paused(self) -> bool:
        return self._paused

    def seek(self, t_s: float) -> None:
        """Jump to the first sample at or after ``t_s`` (stream time, as recorded)."""
        if not self._opened:
            self.open()
        with self._ctl:
            target = int(np.ceil(t_s * self.info.sample_rate_hz - 1e-9))
            self._pos = int(np.searchsorted(self._index, target))
            self._reanchor()
            self._pending_seek = f"seek to {t_s:.3f} s"

    @property
    def position_s(self) -> float:
        if self.info is None or len(self._index) == 0:
            return 0.0
        pos = min(self._pos, len(self._index))
        index = int(self._index[pos]) if pos < len(self._index) else self._end_index()
        return index / self.info.sample_rate_hz

    @property
    def duration_s(self) -> float:
        if self.info is None or len(self._index) == 0:
            return 0.0
        return self._end_index() / self.info.sample_rate_hz

    def _reanchor(self) -> None:
        self._anchor_wall = time.monotonic()
        self._anchor_row = self._pos
