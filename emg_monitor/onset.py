"""Muscle onset by published threshold methods (pure functions, fs passed in).

* Hodges & Bui 1996 (Electroencephalogr Clin Neurophysiol 101:511): the
  rectified, low-passed EMG crosses the baseline mean + k standard deviations
  and stays above it for a minimum time. k = 3 and a sustained 25-50 ms were
  among their most accurate settings against visual onsets.
* Solnik et al. 2008/2010 (Eur J Appl Physiol 110:489): the Teager-Kaiser
  energy operator psi[x](n) = x(n)^2 - x(n-1) x(n+1) before rectification and
  thresholding sharpens the onset of motor-unit firing and suppresses slow
  background activity, improving threshold methods at low SNR.

The repetition detector calls :func:`hodges_bui_onset` on RMS envelopes (the
envelope already is a rectified, low-passed signal) with the baseline taken
from the quietest part of the bottom of the rep (:func:`quietest_window`).
"""
from __future__ import annotations

import numpy as np
from scipy import signal


def tkeo(x: np.ndarray) -> np.ndarray:
    """Teager-Kaiser energy operator along axis 0 (ends repeat their neighbour)."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    if x.shape[0] < 3:
        out[...] = x ** 2
        return out
    out[1:-1] = x[1:-1] ** 2 - x[:-2] * x[2:]
    out[0] = out[1]
    out[-1] = out[-2]
    return out


def linear_envelope(x: np.ndarray, fs: float, lowpass_hz: float = 50.0) -> np.ndarray:
    """Full-wave rectified, zero-phase low-passed (offline onset work only)."""
    x = np.abs(np.asarray(x, dtype=float))
    if lowpass_hz >= 0.5 * fs:
        return x
    sos = signal.butter(2, lowpass_hz, fs=fs, output="sos")
    if x.shape[0] <= 15:
        return x
    return signal.sosfiltfilt(sos, x, axis=0)


def quietest_window(x: np.ndarray, fs: float, window_s: float) -> tuple[int, int]:
    """(start, stop) of the window with the lowest mean: a baseline for onset detection
    inside a phase where the muscle is never fully silent (e.g. the bottom of a rep)."""
    x = np.asarray(x, dtype=float)
    w = max(2, int(round(window_s * fs)))
    if x.size <= w:
        return 0, x.size
    c = np.concatenate(([0.0], np.cumsum(x)))
    means = (c[w:] - c[:-w]) / w
    i = int(np.argmin(means))
    return i, i + w


def hodges_bui_onset(envelope: np.ndarray, fs: float, baseline: tuple[int, int], k: float = 3.0,
                     min_duration_s: float = 0.05, search_from: int | None = None,
                     min_rise_fraction: float = 0.0) -> int | None:
    """First index at or after ``search_from`` (default: end of the baseline) where
    ``envelope`` exceeds mean + k*SD of ``envelope[baseline]`` for ``min_duration_s``;
    None when it never does.

    ``min_rise_fraction`` (our addition, 0 = the published method) puts a floor of
    mean*(1 + fraction) under the threshold: a smoothed envelope's SD over a short
    baseline underestimates its slow fluctuations, so k*SD alone fires early."""
    e = np.asarray(envelope, dtype=float)
    b0, b1 = baseline
    base = e[b0:b1]
    if base.size < 2:
        return None
    mean = float(base.mean())
    threshold = max(mean + k * float(base.std()), mean * (1.0 + min_rise_fraction))
    start = b1 if search_from is None else int(search_from)
    need = max(1, int(round(min_duration_s * fs)))
    above = e[start:] > threshold
    if above.size < need:
        return None
    # runs of consecutive True of length >= need: first position where a window is all True
    c = np.concatenate(([0], np.cumsum(above)))
    full = np.flatnonzero(c[need:] - c[:-need] == need)
    return int(start + full[0]) if full.size else None


def tkeo_onset(raw: np.ndarray, fs: float, baseline: tuple[int, int], k: float = 3.0,
               min_duration_s: float = 0.025, lowpass_hz: float = 50.0,
               search_from: int | None = None) -> int | None:
    """Solnik et al.: TKEO on the raw (band-passed) EMG, rectified and low-passed, then the
    Hodges-Bui threshold."""
    conditioned = linear_envelope(tkeo(raw), fs, lowpass_hz)
    return hodges_bui_onset(conditioned, fs, baseline, k, min_duration_s, search_from)
