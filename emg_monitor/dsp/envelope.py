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

    The running sums live in one linear buffer: row ``_p`` is the newest sum, the
    ``window`` rows ending there are the window's history. A short chunk is written
    after row ``_p`` and summed *in place* (its first row carries the previous sum in),
    so the live path's 20-sample chunk costs four array calls and no copies; when the
    spare room is used up, the last ``window`` sums move back to the front (once per
    ``spare`` samples).
    """

    def __init__(self, window: int, n_channels: int) -> None:
        if window < 1:
            raise ValueError("moving-average window must be at least one sample")
        self.window = int(window)
        self.n_channels = int(n_channels)
        self._spare = int(min(max(4 * self.window, 256), 8192))
        self.reset()

    def reset(self) -> None:
        w = self.window
        self._buf = np.zeros((w + self._spare, self.n_channels))   # zeros: the sums before the start
        self._p = w - 1
        self._count = 0
        self._inv_w = 1.0 / w

    def _room(self, n: int) -> np.ndarray:
        """The n + 1 rows from the newest sum on, moving the history to the front if needed."""
        w, p = self.window, self._p
        if p + n >= self._buf.shape[0]:
            self._buf[:w] = self._buf[p - w + 1:p + 1]
            p = self._p = w - 1
        return self._buf[p:p + n + 1]

    def process(self, v: np.ndarray) -> np.ndarray:
        """v: (n, n_channels) -> trailing mean (n, n_channels)."""
        n = v.shape[0]
        if n > self._spare:
            return self._process_long(v)
        seg = self._room(n)
        seg[1:] = v
        return self._sum_and_mean(seg, n)

    def mean_of_squares(self, y: np.ndarray) -> np.ndarray:
        """``process(y ** 2)`` with the squares written straight into the buffer (the RMS).

        The running sum of squares never decreases (float rounding is monotone), so every
        window sum it gives is >= 0 exactly: no clipping is needed before a square root."""
        n, p, w = y.shape[0], self._p, self.window
        if p + n < self._buf.shape[0] and self._count >= w:
            # the live path, inlined: room left and past the start-up ramp
            seg = self._buf[p:p + n + 1]
            np.square(y, out=seg[1:])
            np.add.accumulate(seg, axis=0, out=seg)
            out = seg[1:] - self._buf[p + 1 - w:p + 1 - w + n]
            out *= self._inv_w
            self._p = p + n
            return out
        if n > self._spare:
            return self._process_long(np.square(y))
        seg = self._room(n)
        np.square(y, out=seg[1:])
        return self._sum_and_mean(seg, n)

    def _sum_and_mean(self, seg: np.ndarray, n: int) -> np.ndarray:
        p, w = self._p, self.window
        np.add.accumulate(seg, axis=0, out=seg)
        out = seg[1:] - self._buf[p + 1 - w:p + 1 - w + n]
        self._p = p + n
        self._scale(out, n)
        return out

    def _scale(self, out: np.ndarray, n: int, axis: int = 0) -> None:
        """Sums -> means; inside the start-up ramp, over the samples seen so far."""
        w = self.window
        if self._count >= w:
            out *= self._inv_w
        else:
            k = min(w - self._count, n)
            ramp = np.arange(self._count + 1, self._count + k + 1, dtype=float)
            if axis == 0:
                out[:k] /= ramp[:, None]
                out[k:] *= self._inv_w
            else:
                out[:, :k] /= ramp[None, :]
                out[:, k:] *= self._inv_w
        self._count += n

    def _history(self) -> np.ndarray:
        """The last ``window`` running sums, oldest first (a view)."""
        return self._buf[self._p - self.window + 1:self._p + 1]

    def _set_history(self, sums: np.ndarray) -> None:
        """The newest ``window`` sums (window, n_channels), copied to the front of the buffer."""
        w = self.window
        self._buf[:w] = sums
        self._p = w - 1

    def _process_long(self, v: np.ndarray) -> np.ndarray:
        """A chunk longer than the spare room: one cumulative sum, differences against the
        history and against itself."""
        n, w = v.shape[0], self.window
        hist = self._history()
        c = np.add.accumulate(v, axis=0)
        c += hist[-1]
        out = np.empty_like(c)
        np.subtract(c[:w], hist, out=out[:w])
        np.subtract(c[w:], c[:n - w], out=out[w:])
        self._set_history(c[n - w:])
        self._scale(out, n)
        return out

    def process_rows_into(self, v_t: np.ndarray, out_t: np.ndarray) -> None:
        """The same trailing mean as ``process(v_t.T).T``, for long inputs in the (n_channels, n) layout
        of ``StreamingSos.process_rows_into``, written into ``out_t``. ``v_t`` is overwritten (its
        running sum), so the caller's scratch buffer doubles as workspace: no temporaries."""
        n = v_t.shape[1]
        w = self.window
        if n == 0:
            return
        hist = self._history().T                              # (n_channels, w) view
        c = np.add.accumulate(v_t, axis=1, out=v_t)
        c += hist[:, -1:]
        if n <= w:
            np.subtract(c, hist[:, :n], out=out_t)
            self._set_history(np.concatenate((self._history()[n:], c.T), axis=0))
        else:
            np.subtract(c[:, :w], hist, out=out_t[:, :w])
            np.subtract(c[:, w:], c[:, :n - w], out=out_t[:, w:])
            self._set_history(c[:, n - w:].T)
        self._scale(out_t, n, axis=1)


def moving_rms(x: np.ndarray, window: int) -> np.ndarray:
    """Offline helper: causal moving RMS of x (n,) or (n, ch) over ``window`` samples."""
    x2 = np.asarray(x, dtype=float)
    flat = x2.ndim == 1
    if flat:
        x2 = x2[:, None]
    out = np.sqrt(MovingAverage(window, x2.shape[1]).mean_of_squares(x2))
    return out[:, 0] if flat else out
