"""Deciding whether the mains hum is at 50 Hz, 60 Hz or absent.

sEMG has a smooth spectrum over a few hertz, while mains pickup is a line a
fraction of a hertz wide at the fundamental and its (mostly odd) harmonics.
So the line is judged against its own spectral neighbourhood rather than an
absolute level, which works whatever the gain or unit of the channel.
"""
from __future__ import annotations

import numpy as np
from scipy import signal

CANDIDATES_HZ = (50.0, 60.0)
#: a line must stand this far above the median of its neighbours (power ratio)
MIN_PEAK_RATIO = 6.0           # ~8 dB: clean sEMG maxed at 5.0 over 800 trials (1 s, one channel)
_NEIGHBOUR_HZ = (4.0, 14.0)    # neighbours: 4-14 Hz either side of the line
_LINE_HALF_WIDTH_HZ = 1.0


def line_to_neighbour_ratio(f_hz: np.ndarray, psd: np.ndarray, line_hz: float) -> float:
    """Peak PSD within ±1 Hz of ``line_hz`` over the median PSD 4-14 Hz either side."""
    d = np.abs(f_hz - line_hz)
    line = psd[d <= _LINE_HALF_WIDTH_HZ + 1e-9]
    neigh = psd[(d >= _NEIGHBOUR_HZ[0]) & (d <= _NEIGHBOUR_HZ[1])]
    if line.size == 0 or neigh.size == 0:
        return 0.0
    floor = float(np.median(neigh))
    peak = float(line.max())
    if floor <= 0.0:
        return np.inf if peak > 0.0 else 0.0
    return peak / floor


def _pooled_psd(x: np.ndarray, sample_rate_hz: float) -> tuple[np.ndarray, np.ndarray] | None:
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    nper = int(min(x.shape[0], round(sample_rate_hz / 2.0)))   # 2 Hz bins, several segments averaged
    if nper < 16:
        return None
    f, p = signal.welch(x, fs=sample_rate_hz, nperseg=nper, axis=0, detrend="constant")
    return f, p.sum(axis=1)   # pool channels: the hum is common to all leads


def mains_scores(x: np.ndarray, sample_rate_hz: float) -> dict[float, float]:
    """Line-to-neighbour power ratio at each candidate fundamental (0 where it cannot be judged)."""
    fp = _pooled_psd(x, sample_rate_hz)
    out = {}
    for cand in CANDIDATES_HZ:
        ok = fp is not None and cand + _NEIGHBOUR_HZ[1] < sample_rate_hz / 2.0
        out[cand] = line_to_neighbour_ratio(fp[0], fp[1], cand) if fp is not None and ok else 0.0
    return out


def detect_mains_hz(x: np.ndarray, sample_rate_hz: float) -> float | None:
    """50.0, 60.0, or None when neither fundamental stands ~8 dB above its neighbourhood.

    x: (n,) or (n, channels) of band-passed (or raw) EMG, ideally >= 1 s. The
    fundamental decides: it carries most of the pickup on bipolar leads.
    """
    scores = mains_scores(x, sample_rate_hz)
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] >= MIN_PEAK_RATIO else None
