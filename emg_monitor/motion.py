"""Trunk inclination (or any joint angle) from the motion channels, streaming and causal.

A 2-axis accelerometer on the lower back sees gravity projected on its axes:
along the spine (x) cos(theta) and out of the back (y) sin(theta), theta the
inclination from vertical, so theta = atan2(a_y, a_x). The components are
low-passed at ~5 Hz first: lifting moves at < 2 Hz, while impacts and the
linear acceleration of the hip hinge sit above that and would otherwise tilt
the estimate. A channel already in degrees (a goniometer column, the UCI FX
knee angle) is used as it is, low-passed the same way.

The top of a rep is the most upright posture: the MINIMUM of trunk
inclination. For other angles it may be the maximum (``top_at``).
"""
from __future__ import annotations

import numpy as np
from scipy import signal

from .dsp.filters import StreamingSos
from .dsp.finite import FiniteGuard
from .model import DeviceInfo

TOP_AT_CHOICES = ("min", "max")
MOTION_LOWPASS_HZ = 5.0


def inclination_deg(ax_g: np.ndarray, ay_g: np.ndarray) -> np.ndarray:
    """Inclination from vertical (deg) from gravity along the spine (x) and dorsal (y)."""
    return np.degrees(np.arctan2(np.asarray(ay_g, dtype=float), np.asarray(ax_g, dtype=float)))


def zero_from_standing(angle_deg: np.ndarray, fs: float, window_s: float = 1.0) -> float:
    """The angle to subtract: median of the first ``window_s`` of quiet standing
    (the sensor is never glued on exactly along the spine)."""
    a = np.asarray(angle_deg, dtype=float)
    n = max(1, int(round(window_s * fs)))
    if a.size == 0:
        raise ValueError("no motion samples to zero the inclination from")
    return float(np.median(a[:n]))


class MotionTracker:
    """``process(data (n, n_channels)) -> angle_deg (n,)`` or None without motion channels.

    Uses the first motion channel in "deg" if there is one, else the first two
    in "g" (atan2), else a single "g" axis along the spine (arccos). ``zero_deg``
    is subtracted (see :func:`zero_from_standing`). ``top_at`` is carried for the
    repetition detector: "min" (trunk inclination) or "max".
    """

    def __init__(self, info: DeviceInfo, top_at: str = "min", zero_deg: float = 0.0,
                 lowpass_hz: float = MOTION_LOWPASS_HZ) -> None:
        if top_at not in TOP_AT_CHOICES:
            raise ValueError(f"top-at must be 'min' or 'max' (got {top_at!r})")
        self.info = info
        self.top_at = top_at
        self.zero_deg = float(zero_deg)
        fs = float(info.sample_rate_hz)
        motion = info.motion_indices()
        deg = [i for i in motion if info.channels[i].unit.lower() in ("deg", "degree", "degrees")]
        g = [i for i in motion if info.channels[i].unit.lower() == "g"]
        if deg:
            self.columns, self.mode = [deg[0]], "deg"
        elif len(g) >= 2:
            self.columns, self.mode = g[:2], "accel2"
        elif g:
            self.columns, self.mode = g[:1], "accel1"
        else:
            self.columns, self.mode = [], "none"
        self.available = bool(self.columns)
        self._filter = None
        self._guard = FiniteGuard(len(self.columns))
        if self.available and lowpass_hz < 0.5 * fs:
            sos = signal.butter(2, lowpass_hz, fs=fs, output="sos")
            self._filter = StreamingSos([sos] * len(self.columns))

    def process(self, data: np.ndarray) -> np.ndarray | None:
        if not self.available:
            return None
        x, bad = self._guard.process(np.asarray(data, dtype=float)[:, self.columns])
        if self._filter is not None and x.shape[0]:
            x = self._filter.process(x)      # starts at the first value's steady state
        if self.mode == "deg":
            angle = x[:, 0]
        elif self.mode == "accel2":
            angle = inclination_deg(x[:, 0], x[:, 1])
        else:
            angle = np.degrees(np.arccos(np.clip(x[:, 0], -1.0, 1.0)))
        angle = angle - self.zero_deg
        if bad is not None:                  # held through the filter, reported as missing
            angle[bad.any(axis=1)] = np.nan
        return angle
