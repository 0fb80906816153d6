"""MovingAverage: the ring of carried sums gives the trailing mean for any chunking."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from emg_monitor.dsp.envelope import MovingAverage


def naive(v: np.ndarray, w: int) -> np.ndarray:
    out = np.empty_like(v)
    for i in range(len(v)):
        out[i] = v[max(0, i - w + 1):i + 1].mean(axis=0)
    return out


@settings(max_examples=150, deadline=None)
@given(w=st.integers(1, 40), n_ch=st.integers(1, 3), seed=st.integers(0, 1000),
       sizes=st.lists(st.integers(0, 90), min_size=1, max_size=25),
       modes=st.lists(st.sampled_from(["chunk", "rows", "squares"]), min_size=25, max_size=25),
       squares=st.booleans())
def test_any_chunking_equals_the_trailing_mean(w, n_ch, seed, sizes, modes, squares):
    """Chunks of any size (past the spare room too, so the history moves to the front),
    in all three entry points mixed."""
    y = np.random.default_rng(seed).normal(0, 10, (sum(sizes), n_ch))
    v = y * y if squares else y
    avg = MovingAverage(w, n_ch)
    parts, a = [], 0
    for size, mode in zip(sizes, modes):
        x = v[a:a + size]
        if mode == "rows":                # the long-input layout, mixed with short chunks
            out_t = np.empty((n_ch, size))
            avg.process_rows_into(x.T.copy(), out_t)
            parts.append(out_t.T)
        elif mode == "squares" and squares:
            parts.append(avg.mean_of_squares(y[a:a + size]))
        else:
            parts.append(avg.process(x))
        a += size
    got = np.concatenate(parts) if parts else np.empty((0, n_ch))
    np.testing.assert_allclose(got, naive(v, w), rtol=1e-9, atol=1e-9)
    if squares:     # the RMS takes a square root of these without clipping
        assert (got >= 0).all()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([1e-6, 1.0, 1e3, 1e7]),
       w=st.integers(1, 300))
def test_window_sums_of_squares_are_never_negative(seed, scale, w):
    """Rounding in the running sum never makes a window of squares negative: a burst
    followed by silence (the worst case for a difference of two large sums)."""
    rng = np.random.default_rng(seed)
    y = rng.normal(0, scale, (3000, 2))
    y[1000:] *= 1e-9
    avg = MovingAverage(w, 2)
    out = np.concatenate([avg.mean_of_squares(y[i:i + 20]) for i in range(0, 3000, 20)])
    assert (out >= 0).all()
