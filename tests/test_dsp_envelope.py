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
       rows_into=st.lists(st.booleans(), min_size=25, max_size=25))
def test_any_chunking_equals_the_trailing_mean(w, n_ch, seed, sizes, rows_into):
    v = np.random.default_rng(seed).normal(0, 10, (sum(sizes), n_ch))
    avg = MovingAverage(w, n_ch)
    parts, a = [], 0
    for size, as_rows in zip(sizes, rows_into):
        x = v[a:a + size]
        a += size
        if as_rows:                       # the long-input layout, mixed with short chunks
            out_t = np.empty((n_ch, size))
            avg.process_rows_into(x.T.copy(), out_t)
            parts.append(out_t.T)
        else:
            parts.append(avg.process(x))
    got = np.concatenate(parts) if parts else np.empty((0, n_ch))
    np.testing.assert_allclose(got, naive(v, w), rtol=1e-9, atol=1e-9)
