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
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UserError
from ..model import (Channel, DeviceInfo, EventKind, Kind, Muscle, SampleBlock, Side)
from .base import Source, SourceError

if TYPE_CHECKING:
    from ..session.reader import Session

#: block length: 20 ms, like a board's USB packets; small enough for smooth drawing.
BLOCK_S = 0.02

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
        self._index = np.zeros(0, dtype=np.int64)
        self._data = np.zeros((0, 0))
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

    def _read(self, timeout_s: float) -> list[SampleBlock]:
        with self._ctl:
            seek_note, self._pending_seek = self._pending_seek, None
            seek_index = int(self._index[min(self._pos, len(self._index) - 1)])
        if seek_note is not None:        # listeners reset their state on "seek ..." (ReplayDriver)
            self._event(EventKind.INFO, seek_index, seek_note)
        with self._ctl:
            if self._pos >= len(self._index):
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
