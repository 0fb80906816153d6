"""Recent rows (envelopes + oriented angle) addressed by absolute sample index."""
from __future__ import annotations

import numpy as np


class History:
    """A growable buffer of the last rows; lost samples become NaN rows so that an
    absolute sample index always addresses the right row.

    ``max_gap_rows``: a gap longer than this (a laptop left recording, a replug after lunch)
    keeps only its last ``max_gap_rows`` NaN rows and forgets what came before it, as the
    owner's trimming would have right after: an hours-long gap costs a bounded buffer,
    not gigabytes of NaN."""

    def __init__(self, n_cols: int, max_gap_rows: int | None = None) -> None:
        self.buf = np.empty((4096, n_cols))
        self.start = 0          # absolute index of row 0
        self.n = 0
        self.max_gap_rows = max_gap_rows

    @property
    def end(self) -> int:
        return self.start + self.n

    def append(self, first_index: int, rows: np.ndarray) -> None:
        if self.n == 0:
            self.start = first_index
        elif first_index > self.end:                 # lost samples: NaN rows keep indices exact
            gap = first_index - self.end
            if self.max_gap_rows is not None and gap > self.max_gap_rows:
                gap = self.max_gap_rows
                self.n, self.start = 0, first_index - gap
            self._push(np.full((gap, self.buf.shape[1]), np.nan))
        elif first_index < self.end:                 # overlap (a seek back): keep the new
            self.n = max(0, first_index - self.start)
            if self.n == 0:
                self.start = first_index
        self._push(rows)

    def _push(self, rows: np.ndarray) -> None:
        m = rows.shape[0]
        if self.n + m > self.buf.shape[0]:
            new = np.empty((max(2 * self.buf.shape[0], self.n + m), self.buf.shape[1]))
            new[:self.n] = self.buf[:self.n]
            self.buf = new
        self.buf[self.n:self.n + m] = rows
        self.n += m

    def drop_before(self, index: int) -> None:
        k = min(self.n, max(0, index - self.start))
        if k == 0:
            return
        self.buf[:self.n - k] = self.buf[k:self.n]
        self.n -= k
        self.start += k

    def rows(self, i0: int, i1: int) -> np.ndarray:
        a = min(max(i0 - self.start, 0), self.n)
        b = min(max(i1 - self.start, 0), self.n)
        return self.buf[a:b]

    def clamp(self, index: int) -> int:
        return min(max(index, self.start), max(self.end - 1, self.start))
