"""Hip and lumbar angle error against the simulated athlete's truth (test + benchmark).

The athlete's IMUs carry the movement's linear acceleration, gyro bias, noise and
their own mounting angles (sim/segments.py); they are held at the IMU rate as a
board delivers them and streamed through :class:`HipTracker` in 20-sample
blocks. "Lift": every sample from a rep's start to its end; "lockout": the mean
over each rep's top hold against the true angle there (what a rep reports).
The accelerometer-only column is the same stream with the gravity direction
taken from the low-passed accelerometer instead of the fusion: what the
linear acceleration does to a sensor without a gyroscope.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..model import DeviceInfo
from ..sim.athlete import Athlete, AthleteConfig
from ..sim.segments import held_imu, imu_channels
from .alignment import tilt_deg
from .tracker import HipTracker

IMU_RATE_HZ = 100.0
BLOCK = 20


@dataclass(frozen=True)
class AngleErrors:
    exercise: str
    seed: int
    reps: int
    hip_lift_rms_deg: float
    hip_lift_max_deg: float
    hip_lockout_rms_deg: float
    lumbar_lift_rms_deg: float
    lumbar_lockout_rms_deg: float
    accel_only_hip_lift_rms_deg: float
    hip_top_measured_deg: tuple[float, ...]
    hip_top_true_deg: tuple[float, ...]


def simulate(config: AthleteConfig) -> tuple[Athlete, DeviceInfo, np.ndarray]:
    """The athlete, a DeviceInfo with its IMU channels, and the held IMU columns."""
    a = Athlete(config)
    segs = tuple(s for s in config.imu.segments)
    info = DeviceInfo(a.fs, imu_channels(segs), device="simulated IMUs", imu_rate_hz=IMU_RATE_HZ,
                      imu_segments=segs)
    n = int(round(a.duration_s * a.fs))
    return a, info, held_imu(a, 0, n, IMU_RATE_HZ)


def stream(tracker: HipTracker, data: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    hip, lumbar = [], []
    for i in range(0, data.shape[0], block):
        out = tracker.process(i, data[i:i + block])
        hip.append(out.hip_deg)
        lumbar.append(out.lumbar_deg)
    return np.concatenate(hip), np.concatenate(lumbar)


def _accel_only_hip(a: Athlete, tracker: HipTracker, data: np.ndarray) -> np.ndarray:
    """Hip angle with each segment's "up" from its 5 Hz low-passed accelerometer."""
    sos = signal.butter(2, 5.0, fs=a.fs, output="sos")
    tilts = {}
    for seg in ("pelvis", "thigh"):
        k = list(tracker.columns).index(seg)
        acc = signal.sosfilt(sos, data[:, 6 * k:6 * k + 3], axis=0,
                             zi=signal.sosfilt_zi(sos)[:, :, None] * data[0, 6 * k:6 * k + 3])[0]
        tilts[seg] = tilt_deg(acc, tracker.alignments[seg])
    return tilts["pelvis"] - tilts["thigh"] + tracker.relaxed_hip_deg


def evaluate(config: AthleteConfig) -> AngleErrors:
    a, info, data = simulate(config)
    tracker = HipTracker(info, relaxed_hip_deg=config.relaxed_hip_deg)
    hip, lumbar = stream(tracker, data)
    step = tracker.step
    idx = np.arange(data.shape[0])
    truth = a.segments.angles((idx - idx % step) / a.fs)     # the angle at the held tick
    t = idx / a.fs
    lift = np.zeros(idx.size, dtype=bool)
    for r in a.truth:
        lift |= (t >= r.t_start_s) & (t <= r.t_end_s)
    lift &= np.isfinite(hip)
    e_hip = hip - truth.hip_deg
    e_lum = lumbar - truth.lumbar_deg
    e_acc = _accel_only_hip(a, tracker, data) - truth.hip_deg
    tops_m, tops_t, lum_m, lum_t = [], [], [], []
    for r in a.truth:
        w = (t >= r.t_lockout_s) & (t <= r.t_end_s)
        tops_m.append(float(np.nanmean(hip[w])))
        tops_t.append(float(np.mean(truth.hip_deg[w])))
        lum_m.append(float(np.nanmean(lumbar[w])))
        lum_t.append(float(np.mean(truth.lumbar_deg[w])))

    def rms(x: np.ndarray) -> float:
        return float(np.sqrt(np.mean(np.square(x)))) if x.size else float("nan")

    has_lumbar = tracker.has_lumbar
    return AngleErrors(
        exercise=config.exercise, seed=config.seed, reps=len(a.truth),
        hip_lift_rms_deg=rms(e_hip[lift]), hip_lift_max_deg=float(np.max(np.abs(e_hip[lift]))),
        hip_lockout_rms_deg=rms(np.subtract(tops_m, tops_t)),
        lumbar_lift_rms_deg=rms(e_lum[lift]) if has_lumbar else float("nan"),
        lumbar_lockout_rms_deg=rms(np.subtract(lum_m, lum_t)) if has_lumbar else float("nan"),
        accel_only_hip_lift_rms_deg=rms(e_acc[lift]),
        hip_top_measured_deg=tuple(tops_m), hip_top_true_deg=tuple(tops_t))
