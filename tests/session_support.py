"""Deterministic device info, blocks and reps for the session tests (no simulator needed)."""
from __future__ import annotations

import numpy as np

from emg_monitor.model import (EMG_PIN_ROLES, MOTION_PIN_NAMES, Channel, DeviceInfo, Kind,
                               RepResult, SampleBlock, Verdict)


def device_info(rate_hz: float = 1000.0) -> DeviceInfo:
    chans = [Channel(n, Kind.RAW_EMG, "uV", m, s) for n, m, s in EMG_PIN_ROLES]
    chans += [Channel(n, Kind.MOTION, "g") for n in MOTION_PIN_NAMES]
    return DeviceInfo(sample_rate_hz=rate_hz, channels=tuple(chans), device="test",
                      firmware_version="1.0.0", protocol_version=1, adc_bits=10)


def values(index: np.ndarray, n_channels: int = 6) -> np.ndarray:
    """A value per (sample, channel) that float32 stores exactly, so reads can be compared."""
    index = np.asarray(index, dtype=np.int64)
    return ((index[:, None] % 4093) * 0.25 + np.arange(n_channels)[None, :] * 1000.0
            ).astype(np.float64)


def block(first: int, n: int, n_channels: int = 6) -> SampleBlock:
    return SampleBlock(first, values(np.arange(first, first + n), n_channels))


def rep(set_index: int, rep_no: int, ratio: float, verdict: Verdict, t_top_s: float,
        calibrated: bool = True) -> RepResult:
    glute = 40.0 * ratio
    return RepResult(rep=rep_no, set_index=set_index, t_start_s=t_top_s - 1.5, t_top_s=t_top_s,
                     t_end_s=t_top_s + 1.5, window_start_s=t_top_s - 0.2,
                     window_end_s=t_top_s + 0.2, lockout_s=0.6, glute_left=glute * 1.05,
                     glute_right=glute * 0.95, erector_left=41.0, erector_right=39.0,
                     glute=glute, erector=40.0, ratio=ratio, verdict=verdict,
                     amplitude_unit="pct_mvc" if calibrated else "uV", calibrated=calibrated,
                     onset_lag_s=0.08 if ratio > 1 else -0.05, symmetry_index_pct=10.0,
                     quality_flags=("left_erector: noisy",) if rep_no == 2 else (),
                     exercise="deadlift", session_rep=100 * set_index + rep_no,
                     ratio_relative=ratio,
                     hip_angle_at_top_deg=-3.0, hip_short_of_neutral_deg=3.0,
                     lumbar_angle_at_top_deg=12.0)
