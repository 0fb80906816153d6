"""Moving averages with a carried tail: the RMS envelope and sensor-envelope smoothing.

A trailing window of W samples is a W-tap FIR; run through ``lfilter`` it would
cost W multiply-adds per sample. A running cumulative sum, with the sums at the previous W
positions carried from chunk to chunk, gives every window sum as one
difference: two operations per sample, whatever W and the chunk size. The
running sum grows with the session, but in float64 ten hours of 1 mV RMS at
2 kHz still leave each window sum exact to ~1e-9 of its value.
"""
from __future__ import annotations

import numpy as np


class MovingAverage:
    """Causal mean of the last ``window`` samples, per channel.

    Until ``window`` samples have arrived, the mean is over the samples seen
    so far (not padded with zeros), so the envelope does not ramp up from 0.
    """

    def __init__(self, window: int, n_channels: int) -> None:
        if window < 1:
            raise ValueError("moving-average window must be at least one sample")
        self.window = int(window)
        self.n_channels = int(n_channels)
        self.reset()

    def reset(self) -> None:
        # running cumulative sums at the previous `window` positions (zeros before the start),
        # a ring: row ``_pos`` is the oldest, so a short chunk writes over it in place instead
        # of shifting the whole window (the live path's 20-sample chunks: no copy of it)
        self._hist = np.zeros((self.window, self.n_channels))
        self._pos = 0
        self._last = np.zeros(self.n_channels)
        self._count = 0
        self._inv_w = 1.0 / self.window

    def process(self, v: np.ndarray) -> np.ndarray:
        """v: (n, n_channels) -> trailing mean (n, n_channels)."""
        n = v.shape[0]
        w = self.window
        if n == 0:
            return np.empty((0, self.n_channels))
        c = np.add.accumulate(v, axis=0)   # the ufunc method: half the call cost of np.cumsum
        c += self._last
        pos = self._pos
        if n <= w:
            end = pos + n
            if end <= w:
                out = c - self._hist[pos:end]          # the w samples ending at each new sample
                self._hist[pos:end] = c
            else:                                      # the chunk wraps around the ring
                k = w - pos
                out = c - np.concatenate((self._hist[pos:], self._hist[:end - w]), axis=0)
                self._hist[pos:] = c[:k]
                self._hist[:end - w] = c[k:]
            self._pos = end % w
        else:
            old = np.concatenate((self._hist[pos:], self._hist[:pos], c[:n - w]), axis=0)
            out = c - old
            self._hist = c[n - w:].copy()
            self._pos = 0
        self._last = c[-1]   # a view: c is not written to after this
        if self._count >= w:
            out *= self._inv_w
        else:
            k = min(w - self._count, n)   # samples still inside the start-up ramp
            out[:k] /= np.arange(self._count + 1, self._count + k + 1)[:, None]
            out[k:] *= self._inv_w
        self._count += n
        return out


    def process_rows_into(self, v_t: np.ndarray, out_t: np.ndarray) -> None:
        """The same trailing mean as ``process(v_t.T).T``, for long inputs in the (n_channels, n) layout
        of ``StreamingSos.process_rows_into``, written into ``out_t``. ``v_t`` is overwritten (its
        running sum), so the caller's scratch buffer doubles as workspace: no temporaries."""
        n = v_t.shape[1]
        w = self.window
        if n == 0:
            return
        if self._pos:                                         # oldest first again
            self._hist = np.concatenate((self._hist[self._pos:], self._hist[:self._pos]))
            self._pos = 0
        c = np.add.accumulate(v_t, axis=1, out=v_t)
        c += self._last[:, None]
        hist = self._hist.T                                   # (n_channels, w) view
        if n <= w:
            np.subtract(c, hist[:, :n], out=out_t)
            self._hist = np.concatenate((self._hist[n:], c.T), axis=0)
        else:
            np.subtract(c[:, :w], hist, out=out_t[:, :w])
            np.subtract(c[:, w:], c[:, :n - w], out=out_t[:, w:])
            self._hist = c[:, n - w:].T.copy()                # always a copy (c is scratch)
        self._last = c[:, -1].copy()                          # c is the caller's buffer: copy
        if self._count >= w:
            out_t *= self._inv_w
        else:
            k = min(w - self._count, n)
            out_t[:, :k] /= np.arange(self._count + 1, self._count + k + 1)[None, :]
            out_t[:, k:] *= self._inv_w
        self._count += n


def moving_rms(x: np.ndarray, window: int) -> np.ndarray:
    """Offline helper: causal moving RMS of x (n,) or (n, ch) over ``window`` samples."""
    x2 = np.asarray(x, dtype=float)
    flat = x2.ndim == 1
    if flat:
        x2 = x2[:, None]
    ms = MovingAverage(window, x2.shape[1]).process(x2 * x2)
    out = np.sqrt(np.maximum(ms, 0.0))
    return out[:, 0] if flat else out
