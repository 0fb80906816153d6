"""Hip and lumbar angles, streaming, from the IMU channels of a SampleBlock.

Each IMU's orientation comes from imufusion (x-io Technologies' Fusion AHRS, a
revised Madgwick filter with acceleration rejection): the gyroscope carries the
orientation through the fast concentric, where the linear acceleration of the
hinge (up to 0.5 g at the thorax) would tilt an accelerometer-only estimate by
tens of degrees, and the accelerometer pulls the slow drift back whenever it
agrees with gravity. Only the gravity direction is used (sagittal tilts; the
heading of a 6-axis IMU is unobservable and not needed).

Timing: IMU values ride in the EMG-rate block, held from one IMU sample to the
next (model.Kind.IMU). The tracker reads them on a grid of absolute sample
indices at the IMU rate, so its output does not depend on how the stream is
chunked. Before a still stand has aligned the sensors the angles are NaN.

Angles (deg, flexion positive): hip = pelvis tilt - thigh tilt, lumbar =
thorax tilt - pelvis tilt, both from the aligning (relaxed) stand; the hip plus
the athlete's ``relaxed_hip_deg`` (how far the relaxed stand is from the squeezed
neutral, hip/neutral.py) so that hip 0 is the athlete's own full extension.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import imufusion
import numpy as np

from ..device import IMU_AXES as AXES, imu_channel_names
from ..model import DeviceInfo, Kind
from .alignment import (STILL_S, SensorAlignment, align, realigned,
                        stillness_problem, tilt_deg)

SEGMENTS = ("pelvis", "thigh", "thorax")
DEFAULT_IMU_RATE_HZ = 100.0
FUSION_GAIN = 0.5                     # Fusion's default; the accelerometer's weight
ACC_REJECTION_DEG = 10.0              # ignore the accelerometer while it disagrees this much
REJECTION_TIMEOUT_S = 5.0
FROZEN_S = 0.5                        # identical readings this long: the IMU stopped answering
SWAP_MOTION_DEG_S = 20.0              # gyro speeds that count as movement for the swap check
SWAP_EVIDENCE_S = 1.5                 # of movement before deciding
HISTORY_S = 30.0


def imu_columns(info: DeviceInfo) -> dict[str, list[int]]:
    """Segment -> its six channel indices (acc xyz, gyr xyz), for complete, answering IMUs."""
    names = {ch.name: i for i, ch in enumerate(info.channels) if ch.kind == Kind.IMU}
    out = {}
    for seg in SEGMENTS:
        cols = [names[name] for name in imu_channel_names(seg) if name in names]
        if len(cols) == len(AXES) and seg not in info.imu_missing:
            out[seg] = cols
    return out


@dataclass(frozen=True)
class HipAngles:
    hip_deg: np.ndarray               # (n,) flexion from the athlete's neutral; NaN: unknown
    lumbar_deg: np.ndarray            # (n,) NaN without a thorax IMU


class _Fusion:
    """One IMU through imufusion at the IMU rate."""

    def __init__(self, a: SensorAlignment, rate_hz: float) -> None:
        self.alignment = a
        self.ahrs = imufusion.Ahrs()
        self.ahrs.set_settings(imufusion.AhrsSettings(
            convention=imufusion.CONVENTION_NWU, gain=FUSION_GAIN, gyroscope_range=2000.0,
            acceleration_rejection=ACC_REJECTION_DEG,
            rejection_timeout=int(REJECTION_TIMEOUT_S * rate_hz), sample_rate=rate_hz))
        self.ahrs.set_quaternion(_quaternion_up_to_z(np.asarray(a.up)))
        self.ahrs.skip_startup()
        self.bias = np.asarray(a.gyr_bias_deg_s)

    def update(self, acc_g: np.ndarray, gyr_deg_s: np.ndarray) -> np.ndarray:
        self.ahrs.update_no_magnetometer(gyr_deg_s - self.bias, acc_g)
        return self.ahrs.get_gravity()


def _quaternion_up_to_z(up: np.ndarray) -> np.ndarray:
    """(w, x, y, z) of the rotation taking the sensor's ``up`` onto the earth's z."""
    z = np.array([0.0, 0.0, 1.0])
    u = up / np.linalg.norm(up)
    axis = np.cross(u, z)
    s, c = float(np.linalg.norm(axis)), float(u @ z)
    if s < 1e-9:
        return np.array([1.0, 0.0, 0.0, 0.0]) if c > 0 else np.array([0.0, 1.0, 0.0, 0.0])
    half = 0.5 * math.atan2(s, c)
    return np.concatenate(([math.cos(half)], math.sin(half) * axis / s))


class HipTracker:
    """``process(first_index, data (n, n_channels)) -> HipAngles`` (held at the EMG rate).

    ``message`` says, in one line, why there is no angle (missing IMU, still waiting
    for a still stand, a silent sensor) or what was corrected (swapped pelvis/thigh).
    """

    def __init__(self, info: DeviceInfo, relaxed_hip_deg: float = 0.0) -> None:
        self.fs = float(info.sample_rate_hz)
        rate = float(info.imu_rate_hz) if info.imu_rate_hz > 0 else DEFAULT_IMU_RATE_HZ
        self.step = max(1, int(round(self.fs / rate)))
        self.imu_rate_hz = self.fs / self.step
        self.columns = imu_columns(info)
        self.relaxed_hip_deg = float(relaxed_hip_deg)
        self.available = "pelvis" in self.columns and "thigh" in self.columns
        self.has_lumbar = self.available and "thorax" in self.columns
        missing = [s for s in ("pelvis", "thigh") if s not in self.columns]
        self.message = ("" if self.available else
                        f"no hip angle: the {' and '.join(missing)} IMU "
                        f"{'is' if len(missing) == 1 else 'are'} missing")
        if self.available:
            self.message = "hip angle: stand still for a second to align the IMUs"
        self.swapped = False
        self.alignments: dict[str, SensorAlignment] = {}
        n_still = max(2, int(round(STILL_S * self.imu_rate_hz)))
        self._still: deque[np.ndarray] = deque(maxlen=n_still)
        self._fusion: dict[str, _Fusion] = {}       # by physical port (the channel names)
        self._role = {seg: seg for seg in self.columns}   # segment -> port
        self._last = (math.nan, math.nan)
        self._same_run: dict[str, int] = {}
        self._prev: dict[str, np.ndarray] = {}
        self._swap_energy = np.zeros((2, 3))       # port pelvis/thigh x (own, other, total)
        self._swap_n = np.zeros(2, dtype=int)      # moving ticks seen per port
        self._swap_done = False
        self._hist_i: deque[int] = deque(maxlen=int(HISTORY_S * self.imu_rate_hz))
        self._hist_v: deque[tuple[float, float]] = deque(maxlen=int(HISTORY_S * self.imu_rate_hz))

    @property
    def aligned(self) -> bool:
        return bool(self._fusion)

    def set_neutral(self, relaxed_hip_deg: float) -> None:
        self.relaxed_hip_deg = float(relaxed_hip_deg)

    # --- streaming --------------------------------------------------------------------
    def process(self, first_index: int, data: np.ndarray) -> HipAngles:
        x = np.asarray(data, dtype=float)
        n = x.shape[0]
        hip = np.full(n, np.nan)
        lumbar = np.full(n, np.nan)
        if not self.available or n == 0:
            return HipAngles(hip, lumbar)
        first = int(first_index)
        ticks = np.arange(first + (-first) % self.step, first + n, self.step)
        pos = 0
        for i in ticks:
            k = int(i - first)
            hip[pos:k], lumbar[pos:k] = self._last
            self._last = self._tick(int(i), x[k])
            pos = k
        hip[pos:], lumbar[pos:] = self._last
        return HipAngles(hip, lumbar)

    def _tick(self, index: int, row: np.ndarray) -> tuple[float, float]:
        ports = {seg: row[cols] for seg, cols in self.columns.items()}
        frozen = self._frozen(ports)
        if frozen:
            self._fusion.clear()
            self._still.clear()
            self.message = (f"no hip angle: the {' and '.join(frozen)} IMU stopped answering "
                            "(its readings froze)")
            return (math.nan, math.nan)
        if not all(np.isfinite(v).all() for v in ports.values()):
            self._still.clear()
            return (math.nan, math.nan)
        if not self._fusion:
            self._still.append(np.concatenate([ports[s] for s in self.columns]))
            if len(self._still) == self._still.maxlen:
                self._try_align()
            return (math.nan, math.nan)
        up = {port: self._fusion[port].update(v[:3], v[3:]) for port, v in ports.items()}
        if not self._swap_done:
            self._swap_check(ports)
        tilt = {seg: float(tilt_deg(up[port], self.alignments[seg])[0])
                for seg, port in self._role.items()}
        hip = tilt["pelvis"] - tilt["thigh"] + self.relaxed_hip_deg
        lumbar = tilt["thorax"] - tilt["pelvis"] if "thorax" in tilt else math.nan
        self._hist_i.append(index)
        self._hist_v.append((hip, lumbar))
        return (hip, lumbar)

    def _frozen(self, ports: dict[str, np.ndarray]) -> list[str]:
        """Ports whose six readings have not changed for FROZEN_S (real sensors never
        repeat all six for that long: noise alone moves the last bit)."""
        out = []
        for seg, v in ports.items():
            prev = self._prev.get(seg)
            self._same_run[seg] = self._same_run.get(seg, 0) + 1 if (
                prev is not None and np.array_equal(v, prev)) else 0
            self._prev[seg] = v
            if self._same_run[seg] >= FROZEN_S * self.imu_rate_hz:
                out.append(seg)
        return out

    def _try_align(self) -> None:
        w = np.asarray(self._still)
        problems = []
        for k, seg in enumerate(self.columns):
            p = stillness_problem(seg, w[:, 6 * k:6 * k + 3], w[:, 6 * k + 3:6 * k + 6])
            if p:
                problems.append(p)
        if problems:
            self.message = "hip angle: waiting for a still stand (" + "; ".join(problems) + ")"
            return
        for k, seg in enumerate(self.columns):
            a = align(seg, w[:, 6 * k:6 * k + 3], w[:, 6 * k + 3:6 * k + 6])
            self.alignments[seg] = a
            self._fusion[seg] = _Fusion(a, self.imu_rate_hz)
        self.message = ""

    def _swap_check(self, ports: dict[str, np.ndarray]) -> None:
        """Pelvis and thigh turn about different sensor axes in a lift (docs/hip.md): each
        port's gyro energy about its own instructed axis and about the other's."""
        for k, (port, other) in enumerate((("pelvis", "thigh"), ("thigh", "pelvis"))):
            w = ports[port][3:] - self._fusion[port].bias
            if float(np.abs(w).max()) < SWAP_MOTION_DEG_S:
                continue
            own = np.asarray(self.alignments[port].left)
            alt = np.asarray(realigned(self.alignments[port], other).left)
            self._swap_energy[k] += ((w @ own) ** 2, (w @ alt) ** 2, w @ w)
            self._swap_n[k] += 1
        if self._swap_n.min() < SWAP_EVIDENCE_S * self.imu_rate_hz:
            return
        self._swap_done = True
        e = self._swap_energy
        own_frac, alt_frac = e[:, 0] / e[:, 2], e[:, 1] / e[:, 2]
        if (own_frac < 0.5).all() and (alt_frac > 0.7).all():
            self.swapped = True
            self._role["pelvis"], self._role["thigh"] = "thigh", "pelvis"
            a_p, a_t = self.alignments["pelvis"], self.alignments["thigh"]
            self.alignments["pelvis"] = realigned(a_t, "pelvis")
            self.alignments["thigh"] = realigned(a_p, "thigh")
            self.message = ("the pelvis and thigh IMUs are swapped (each turns about the other's "
                            "axis): corrected here; swap their plugs before the next session")

    # --- lookback for the scorer -------------------------------------------------------
    def window(self, i0: int, i1: int) -> tuple[np.ndarray, np.ndarray]:
        """Hip and lumbar angles at the IMU ticks in [i0, i1] (stream indices)."""
        idx = np.fromiter(self._hist_i, dtype=np.int64)
        if idx.size == 0:
            return np.zeros(0), np.zeros(0)
        v = np.asarray(self._hist_v)
        keep = (idx >= i0) & (idx <= i1)
        return v[keep, 0], v[keep, 1]
