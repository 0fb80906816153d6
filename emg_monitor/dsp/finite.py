"""Keep non-finite and impossible samples out of filter state.

An IIR filter and a running-sum RMS carry state from sample to sample: one NaN
or inf entering them (a damaged file, a phantom frame, a driver glitch) makes
every later output NaN, so the channel's envelope would be empty for the rest
of the session. A value beyond ``PLAUSIBLE_ABS_MAX`` does the same damage more
quietly: its square swamps the running sum, whose precision never comes back.

:class:`FiniteGuard` runs before the filters: each bad sample is replaced by
the channel's last good value (a hold, so the band-pass sees no step and does
not ring; 0 before its first good value) and returned in a mask, so the chain marks those outputs as missing
(NaN) while its state stays finite and the channel recovers at the next good
sample.
"""
from __future__ import annotations

import numpy as np

#: beyond any physical channel value in its unit (uV at the electrode, mV, g, deg)
PLAUSIBLE_ABS_MAX = 1e7


_MAX_SQ = PLAUSIBLE_ABS_MAX * PLAUSIBLE_ABS_MAX
#: the dot product is for short chunks only: on long inputs the BLAS may split it across
#: threads, which on this busy machine (load 4.6) took 28 ms for 12,000 values
_DOT_MAX = 1024


def all_plausible(x: np.ndarray) -> bool:
    """True when every value is finite and within +-PLAUSIBLE_ABS_MAX.

    A short chunk first gets one dot product (the live path's cheapest check): a sum of squares at most
    ``PLAUSIBLE_ABS_MAX**2`` proves every value plausible (each term is non-negative, so
    none exceeds the sum), and NaN or inf makes it fail. Only when it fails do min and
    max decide (a chunk of several large but plausible values)."""
    if x.size <= _DOT_MAX:
        flat = x.reshape(-1)
        if flat @ flat <= _MAX_SQ:
            return True
    return bool(x.size == 0 or (x.min() >= -PLAUSIBLE_ABS_MAX and x.max() <= PLAUSIBLE_ABS_MAX))


class FiniteGuard:
    """Per-channel hold of the last plausible value; state carried from chunk to chunk."""

    def __init__(self, n_channels: int) -> None:
        self.n_channels = int(n_channels)
        self.reset()

    def reset(self) -> None:
        self._last = np.zeros(self.n_channels)
        self.replaced = 0                      # samples held so far (for reports and tests)

    def hold(self, row: np.ndarray) -> None:
        """The last row of a chunk that was all good (checked by the caller); ``row`` is kept,
        not copied (the caller passes a fresh array: a copied row)."""
        self._last = row

    def process(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """x (n, n_channels) -> (x with bad samples held, mask of bad samples or None).

        ``x`` is returned unchanged (not copied) when it is all good, the common case."""
        n = x.shape[0]
        if n == 0:
            return x, None
        if all_plausible(x):
            self.hold(x[-1].copy())
            return x, None
        bad = ~(np.abs(x) <= PLAUSIBLE_ABS_MAX)         # NaN compares False: bad
        # index of the last good row at or before each row (-1: none in this chunk)
        rows = np.where(bad, -1, np.arange(n)[:, None])
        np.maximum.accumulate(rows, axis=0, out=rows)
        held = np.where(rows >= 0, x[np.maximum(rows, 0), np.arange(self.n_channels)],
                        self._last[None, :])
        self._last = held[-1].copy()
        self.replaced += int(bad.sum())
        return held, bad
