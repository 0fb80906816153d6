"""The athlete's envelopes and angle synthesised directly, for fast property tests.

The full simulator renders raw sEMG at 1-2 kHz that the DSP chain then has to filter;
rep detection only ever sees the envelopes (%MVC) and the low-passed angle. Here both
come straight from the athlete's plan: activation x 100 with multiplicative envelope
noise (RMS of a 100 ms window of Gaussian sEMG fluctuates by ~10 %), delayed like a
100 ms moving RMS, and the sensor angle (drift included) through the same causal 5 Hz
low-pass as motion.py. About 100x faster than rendering and filtering the raw signal.
"""
from __future__ import annotations

import numpy as np
from scipy import signal

from ..model import EMG_PIN_ROLES, Channel, DeviceInfo, Kind
from ..motion import MOTION_LOWPASS_HZ
from .athlete import Athlete


def synth_envelopes(athlete: Athlete, rate_hz: float = 100.0, noise: float = 0.1,
                    seed: int = 0) -> tuple[DeviceInfo, np.ndarray, np.ndarray]:
    """(info, envelope (n, 4) in %MVC in EMG_PIN_ROLES order, angle_deg (n,)) of the whole
    planned session at ``rate_hz``."""
    if not rate_hz > 0:
        raise ValueError("rate_hz must be positive")
    rng = np.random.default_rng(seed)
    n = int(round(athlete.duration_s * rate_hz))
    t = np.arange(n) / rate_hz
    act = athlete.activation(t) * 100.0
    k = max(1, int(round(0.1 * rate_hz)))               # a 100 ms moving RMS: its delay
    kernel = np.ones(k) / k
    act = np.vstack([np.convolve(act[:, j], kernel)[:n] for j in range(act.shape[1])]).T
    wobble = rng.standard_normal((n + k, act.shape[1]))
    wobble = np.vstack([np.convolve(wobble[:, j], kernel, "valid")[:n]
                        for j in range(act.shape[1])]).T * np.sqrt(k)
    env = np.maximum(act * (1.0 + noise * wobble), 0.0)
    angle = athlete.sensor_inclination_deg(t) + 0.05 * rng.standard_normal(n)
    if MOTION_LOWPASS_HZ < 0.5 * rate_hz:
        sos = signal.butter(2, MOTION_LOWPASS_HZ, fs=rate_hz, output="sos")
        zi = signal.sosfilt_zi(sos) * angle[0]
        angle, _ = signal.sosfilt(sos, angle, zi=zi)
    channels = tuple(Channel(name, Kind.ENVELOPE, "pct_mvc", muscle, side)
                     for name, muscle, side in EMG_PIN_ROLES) + (Channel("trunk", Kind.MOTION, "deg"),)
    return DeviceInfo(rate_hz, channels, device="synthetic envelopes"), env, angle
