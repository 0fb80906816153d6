"""A fixed-size, thread-safe ring buffer of rows (after mne-lsl's stream buffer).

The acquisition thread appends; the GUI timer copies the latest rows out. The
copy is taken under the lock, so the GUI never sees a half-written row and
never holds the lock while drawing.
"""
from __future__ import annotations

import threading

import numpy as np


class RingBuffer:
    def __init__(self, capacity: int, width: int) -> None:
        if capacity <= 0 or width <= 0:
            raise ValueError("capacity and width must be positive")
        self._data = np.full((capacity, width), np.nan)
        self._capacity = capacity
        self._write = 0          # total rows ever written
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def total_written(self) -> int:
        return self._write

    def append(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=float)
        if rows.ndim == 1:
            rows = rows[:, None]
        total = rows.shape[0]
        rows = rows[-self._capacity:]
        n = rows.shape[0]
        with self._lock:
            self._write += total - n          # rows pushed out before they were stored
            start = self._write % self._capacity
            first = min(n, self._capacity - start)
            self._data[start:start + first] = rows[:first]
            if first < n:
                self._data[:n - first] = rows[first:]
            self._write += n

    def latest(self, n: int | None = None) -> np.ndarray:
        """A copy of the newest ``n`` rows (all held rows when None), oldest first."""
        with self._lock:
            held = min(self._write, self._capacity)
            n = held if n is None else min(n, held)
            end = self._write % self._capacity
            idx = (np.arange(end - n, end)) % self._capacity
            return self._data[idx].copy()
