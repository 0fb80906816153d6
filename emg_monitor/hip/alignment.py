"""Sensor-to-segment alignment from a short still stand, and a segment's sagittal tilt.

Standing still, each accelerometer reads only gravity's reaction: the segment's
"up" in the sensor's own axes, whatever angle the sensor was strapped on at.
The flexion axis (medio-lateral, horizontal when standing) is the sensor axis the
mounting instructions put across the body (docs/hip.md), made exactly horizontal
by removing its component along "up". That corrects a strap turned on the skin
and a sensor rocking on it; only a turn about the vertical is left, whose error
is 1 - cos of that turn (0.1 % at 3 deg). The mean gyro over the stand is the
zero-rate offset (MPU-6050: up to +-20 deg/s), removed before fusion.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: the sensor axis that points to the athlete's left (docs/hip.md, "mounting"): sacrum and
#: thorax sensors have x up the spine, z out of the back; the thigh sensor, on the right
#: lateral thigh, x up the thigh and z out of the skin (to the right).
NOMINAL_LEFT_AXIS = {"pelvis": (0.0, 1.0, 0.0), "thorax": (0.0, 1.0, 0.0),
                     "thigh": (0.0, 0.0, -1.0)}
STILL_S = 1.0                    # a still stand this long aligns the sensors
STILL_GYR_SD_DEG_S = 2.0         # postural sway is ~1 deg/s; a lift is 50-120 deg/s
STILL_ACC_SD_G = 0.02
STILL_ACC_NORM_G = (0.9, 1.1)
MAX_GYR_BIAS_DEG_S = 30.0        # beyond the MPU-6050's zero-rate tolerance: turning, not bias


@dataclass(frozen=True)
class SensorAlignment:
    """One IMU on one segment: offsets and the axes of the still stand, in sensor axes."""

    segment: str
    gyr_bias_deg_s: tuple[float, ...]     # (3,)
    up: tuple[float, ...]                 # (3,) unit: gravity's reaction during the stand
    left: tuple[float, ...]               # (3,) unit: the flexion axis (athlete's left), horizontal

    @property
    def forward(self) -> np.ndarray:
        return np.cross(np.asarray(self.left), np.asarray(self.up))


def stillness_problem(segment: str, acc_g: np.ndarray, gyr_deg_s: np.ndarray) -> str:
    """'' when a window of one IMU is a still stand; else what moved, in words."""
    acc = np.asarray(acc_g, dtype=float)
    gyr = np.asarray(gyr_deg_s, dtype=float)
    if acc.shape[0] < 2 or not (np.isfinite(acc).all() and np.isfinite(gyr).all()):
        return f"the {segment} IMU gave no usable samples"
    gyr_sd = float(gyr.std(axis=0).max())
    acc_sd = float(acc.std(axis=0).max())
    norm = float(np.linalg.norm(acc.mean(axis=0)))
    bias = float(np.abs(gyr.mean(axis=0)).max())
    if gyr_sd > STILL_GYR_SD_DEG_S or bias > MAX_GYR_BIAS_DEG_S:
        return f"the {segment} was turning ({max(gyr_sd, bias):.0f} deg/s)"
    if acc_sd > STILL_ACC_SD_G:
        return f"the {segment} was shaking ({acc_sd * 1000:.0f} mg)"
    if not STILL_ACC_NORM_G[0] <= norm <= STILL_ACC_NORM_G[1]:
        return f"the {segment} IMU reads {norm:.2f} g at rest (expected 1 g): check its range setting"
    return ""


def align(segment: str, acc_g: np.ndarray, gyr_deg_s: np.ndarray,
          left_axis: tuple[float, float, float] | None = None) -> SensorAlignment:
    """Alignment from a still window of one IMU (check it with :func:`stillness_problem`)."""
    acc = np.asarray(acc_g, dtype=float)
    up = acc.mean(axis=0)
    up = up / np.linalg.norm(up)
    nominal = np.asarray(left_axis if left_axis is not None else NOMINAL_LEFT_AXIS[segment])
    left = nominal - float(nominal @ up) * up
    size = float(np.linalg.norm(left))
    if size < math.sin(math.radians(30.0)):
        raise ValueError(f"the {segment} IMU is mounted more than 60 deg off its instructions "
                         "(its across-the-body axis points up): re-strap it as docs/hip.md shows")
    left = left / size
    bias = np.asarray(gyr_deg_s, dtype=float).mean(axis=0)
    return SensorAlignment(segment, tuple(map(float, bias)), tuple(map(float, up)),
                           tuple(map(float, left)))


def realigned(a: SensorAlignment, segment: str) -> SensorAlignment:
    """The same sensor treated as sitting on another segment (swapped plugs)."""
    up = np.asarray(a.up)
    nominal = np.asarray(NOMINAL_LEFT_AXIS[segment])
    left = nominal - float(nominal @ up) * up
    left = left / max(float(np.linalg.norm(left)), 1e-9)
    return SensorAlignment(segment, a.gyr_bias_deg_s, a.up, tuple(map(float, left)))


def tilt_deg(up_now: np.ndarray, a: SensorAlignment) -> np.ndarray:
    """Sagittal tilt of the segment since the stand (deg, its top forward positive) from
    the current "up" in sensor axes (n, 3): the angle the world's up turned by about the
    flexion axis, seen from the sensor."""
    u = np.atleast_2d(np.asarray(up_now, dtype=float))
    u0, left = np.asarray(a.up), np.asarray(a.left)
    return np.degrees(np.arctan2(np.cross(u, u0) @ left, u @ u0))
