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
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..errors import UserError
from ..model import (Channel, DeviceInfo, EventKind, Kind, Muscle, SampleBlock, Side)
from .base import BLOCK_S, Source, SourceError

from ..session.reader import SampleChunk

if TYPE_CHECKING:
    from ..session.reader import Session


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
    """A plain table (``tables.load_table``: header row, a time column in seconds) as
    (info, sample_index, data). Channel roles and units come from the column names
    (``left_glute_uv``, ``accel_x_g``) or the table's own unit statements."""
    from ..tables import load_table
    table = load_table(path)
    channels = []
    for name, unit in zip(table.names, table.units):
        ch = _channel_from_name(name)
        has_suffix = any(name.lower().endswith(sfx) for sfx in _UNIT_SUFFIXES)
        if unit and not has_suffix:
            kind = Kind.MOTION if unit in ("g", "deg") else Kind.RAW_EMG
            ch = Channel(ch.name, kind, unit, ch.muscle, ch.side)
        channels.append(ch)
    info = DeviceInfo(sample_rate_hz=float(table.sample_rate_hz), channels=tuple(channels),
                      device=f"replay {path.name}")
    first = int(round(table.t0_s * table.sample_rate_hz))
    index = first + np.arange(table.data.shape[0], dtype=np.int64)
    return info, index, np.asarray(table.data, dtype=np.float64)


class Rows(Protocol):
    """Random access to a recording's rows by position: a session's ``SampleFile`` (read
    from disk as played: a two-hour session costs what a two-minute one does) or a table
    held in memory (:class:`TableRows`)."""

    n_rows: int
    last_index: int

    def read_rows(self, start: int, n: int) -> SampleChunk: ...
    def position_of(self, index: int) -> int: ...


class TableRows:
    """A table already in memory (a CSV) behind :class:`Rows`."""

    def __init__(self, index: np.ndarray, data: np.ndarray) -> None:
        self.index, self.data = index, data
        self.n_rows = int(index.size)
        self.last_index = int(index[-1]) if index.size else -1

    def read_rows(self, start: int, n: int) -> SampleChunk:
        return SampleChunk(self.index[start:start + n], self.data[start:start + n])

    def position_of(self, index: int) -> int:
        return int(np.searchsorted(self.index, index))


class ReplaySource(Source):
    """Play a session folder or CSV at ``speed`` x real time (None: as fast as possible).

    Capabilities: ``Seekable``, ``Pausable``, ``Paced``, ``Recording`` (sources/base.py).
    """

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
        self._rows: Rows = TableRows(np.zeros(0, dtype=np.int64), np.zeros((0, 0)))
        self._last_played: int | None = None     # stream index of the row before _pos
        self.session: Session | None = None

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
            info, self._rows = self.session.info, self.session.samples
            info = DeviceInfo(info.sample_rate_hz, info.channels,
                              device=f"replay of {info.device or 'session'} ({self.path.name})",
                              firmware_version=info.firmware_version,
                              protocol_version=info.protocol_version, adc_bits=info.adc_bits)
        else:
            try:
                info, index, data = load_csv(self.path)
            except UserError as exc:
                raise SourceError(str(exc)) from exc
            self._rows = TableRows(index, data)
        if self._rows.n_rows == 0:
            raise SourceError(f"{self.path} holds no samples")
        self._block_n = max(1, int(round(self._block_s * info.sample_rate_hz)))
        self._reanchor()
        return info

    def _read(self, timeout_s: float) -> list[SampleBlock]:
        n_rows = self._rows.n_rows
        with self._ctl:
            seek_note, self._pending_seek = self._pending_seek, None
            pos = self._pos
        if seek_note is not None:        # listeners reset their state on "seek ..." (ReplayDriver)
            at = self._rows.read_rows(min(pos, n_rows - 1), 1).index
            self._event(EventKind.INFO, int(at[0]) if at.size else self._end_index(), seek_note)
        with self._ctl:
            if self._pos >= n_rows:
                raise StopIteration
            if self._paused:
                wait_s = timeout_s
                due_rows = 0
            elif self.speed is None:
                wait_s, due_rows = 0.0, self._block_n * 10
            else:
                rate = self.info.sample_rate_hz * self.speed
                due_rows = int((time.monotonic() - self._anchor_wall) * rate) \
                    + self._anchor_row - self._pos
                wait_s = 0.0 if due_rows >= self._block_n else min(
                    timeout_s, (self._block_n - due_rows) / rate)
        if wait_s:
            time.sleep(wait_s)
            return []
        blocks = []
        with self._ctl:
            end = min(n_rows, self._pos + max(due_rows, 0))
            if end <= self._pos:
                return []
            chunk = self._rows.read_rows(self._pos, end - self._pos)
            idx, data = chunk.index, chunk.data
            if idx.size < end - self._pos:           # the file shrank under us
                end = self._pos + idx.size
            a = 0
            while a < idx.size:
                b = min(idx.size, a + self._block_n)
                # split at recorded gaps so first_index + row stays the true stream index
                breaks = np.nonzero(np.diff(idx[a:b]) != 1)[0]
                if len(breaks):
                    b = a + int(breaks[0]) + 1
                first = int(idx[a])
                lost = 0 if self._last_played is None else max(0, first - self._last_played - 1)
                blocks.append(SampleBlock(first, data[a:b].copy(), lost_before=lost,
                                          host_time_s=time.monotonic()))
                self._last_played = int(idx[b - 1])
                a = b
            self._pos = end if idx.size else n_rows
        return blocks

    def _end_index(self) -> int:
        return self._rows.last_index + 1 if self._rows.n_rows else 0

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
            self._pos = self._rows.position_of(target)
            before = self._rows.read_rows(self._pos - 1, 1).index if self._pos else None
            self._last_played = int(before[0]) if before is not None and before.size else None
            self._reanchor()
            self._pending_seek = f"seek to {t_s:.3f} s"

    @property
    def position_s(self) -> float:
        if self.info is None or self._rows.n_rows == 0:
            return 0.0
        at = self._rows.read_rows(self._pos, 1).index
        index = int(at[0]) if at.size else self._end_index()
        return index / self.info.sample_rate_hz

    @property
    def duration_s(self) -> float:
        if self.info is None or self._rows.n_rows == 0:
            return 0.0
        return self._end_index() / self.info.sample_rate_hz

    def _reanchor(self) -> None:
        self._anchor_wall = time.monotonic()
        self._anchor_row = self._pos
