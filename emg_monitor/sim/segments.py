"""Pelvis, thigh and thorax of the simulated athlete, and the IMUs strapped to them.

Sagittal kinematics (docs/simulator.md, "segments"). World frame: X forward,
Y left, Z up; every segment turns about Y only, a positive angle tilting its
top forward. The thorax follows the athlete's trunk trajectory (the one its
trunk accelerometer sees); the lumbar angle ``l`` (thorax - pelvis, flexion
positive) and the hip angle ``h`` (pelvis - thigh, flexion positive, 0 at the
athlete's squeezed full extension) are blended between the rep's top and its
bottom by the trunk's progress ``s`` (0 at the top, 1 at the bottom):

    thorax = trunk,  pelvis = thorax - l,  thigh = pelvis - h

At the top of a good rep the lifter squeezes: the hips come within 0-1.5 deg of
neutral. A lumbar-compensated rep stops the hips 4-8 deg short and extends the
lumbar spine by 85 % of that, so the trunk still ends (nearly) upright: what a
trunk sensor cannot see. Standing relaxed, the hips rest ``AthleteConfig.relaxed_hip_deg``
(default RELAXED_HIP_DEG) short of the squeeze (the squeeze tilts the pelvis back and
flattens the lumbar spine).

Each IMU (MPU-6050 on the sacrum, the right lateral thigh, the thorax) reads

    gyro = R^T (dphi/dt * Y) + bias + noise                     (deg/s)
    acc  = R^T (a / g0 + Z) + bias + noise                      (g)

with R its orientation (segment angle x anatomical frame x its own mounting
angle) and ``a`` the linear acceleration of its position on a planar chain
(ankle -> knee -> hip -> sacrum / L5 -> thorax), so accelerometer-only
inclination is wrong in the fast concentric. Noise is drawn per fixed block of
sample indices, so ``imu(first_index, n)`` is deterministic for any chunking and
any order of calls.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from scipy.interpolate import PchipInterpolator

from ..device import IMU_UNITS, imu_channel_names
from ..model import Channel, DeviceInfo, Kind, SampleBlock
from .movements import MOVEMENTS

if TYPE_CHECKING:
    from .athlete import Athlete

SEGMENTS = ("pelvis", "thigh", "thorax")
G0_M_S2 = 9.80665
RELAXED_HIP_DEG = 3.0            # relaxed standing: hips this far short of the squeeze
COMPENSATION_LUMBAR = 0.85       # compensated rep: lumbar extension / hip shortfall
NOISE_BLOCK = 4096               # samples per independently seeded noise block

#: sensor axes in the world at segment angle 0 (columns: sensor x, y, z). Sacrum and
#: thorax: x up the spine, y left, z out of the back. Right lateral thigh: x up the
#: thigh, y backward, z out of the skin (right).
ANATOMICAL_AXES = {
    "pelvis": np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
    "thorax": np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
    "thigh": np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]]),
}


@dataclass(frozen=True)
class SegmentPose:
    """Per exercise: where the segments are at the bottom (deg, see the module docstring)."""

    trunk_sign: float            # +1: the trunk leans forward; -1: backward (hip thrust, supine)
    thigh_bottom_deg: float
    lumbar_bottom_deg: float     # lumbar flexion at the bottom
    shank_per_thigh: float       # shank tilt = -k * thigh tilt (knees travel forward)
    knee_fixed: bool = False     # hip thrust: feet planted, the knee is the chain's base


POSES: dict[str, SegmentPose] = {
    "deadlift": SegmentPose(1.0, -40.0, 8.0, 0.6),
    "romanian_deadlift": SegmentPose(1.0, -12.0, 6.0, 0.5),
    "squat": SegmentPose(1.0, -70.0, 5.0, 0.45),
    "hip_thrust": SegmentPose(-1.0, -135.0, 0.0, 0.0, knee_fixed=True),
}

# segment lengths and sensor offsets (m), an adult of ~1.8 m (Winter, Biomechanics, table 4.1)
SHANK_M, THIGH_M, LUMBAR_M, THORAX_SENSOR_M = 0.45, 0.44, 0.12, 0.28
SACRUM_UP_M, SACRUM_BACK_M = 0.06, 0.11
SACRUM_TILT_DEG = 20.0


#: the tasks the calibration wizard asks for (Athlete.perform) done squeezing the glutes:
#: "glute_mvc" is the standing maximal glute squeeze, "hip_neutral" the wizard's neutral
#: step. A squeeze takes the hips to the athlete's full extension (hip 0) by tilting the
#: pelvis back and flattening the lumbar spine; every other task is a relaxed stand.
SQUEEZE_TASKS = frozenset({"glute_mvc", "hip_neutral"})


#: how long the body takes to get into a task's posture from the plan (and back): from the
#: bottom of a deadlift to standing in 1.5 s peaks near 130 deg/s at the hip, a lifter's
#: pace; a 0.3 s jump would exceed the MPU-6050's +-500 deg/s. A task inside another's
#: window (the neutral step's squeeze, within its stand) changes the posture by a few
#: degrees and keeps the short ramp.
POSE_RAMP_S = 1.5


def pose_ramps(requested: tuple[tuple[float, float, str], ...], short_s: float
               ) -> list[tuple[float, float, str, float]]:
    """(t0, t1, kind, ramp_s) of each requested task for the body's posture."""
    return [(t0, t1, kind, short_s if any(o0 <= t0 and t1 <= o1 and (o0, o1) != (t0, t1)
                                          for o0, o1, _ in requested) else POSE_RAMP_S)
            for t0, t1, kind in requested]


def task_weight(t_s: np.ndarray, t0_s: float, t1_s: float, ramp_s: float) -> np.ndarray:
    """1 over a task's window [t0, t1], 0 beyond ``ramp_s`` outside it, a minimum-jerk
    blend between (so the IMUs see no acceleration spike at the corners)."""
    x = np.clip(np.minimum(np.asarray(t_s) - (t0_s - ramp_s), (t1_s + ramp_s) - np.asarray(t_s))
                / ramp_s, 0.0, 1.0)
    return x ** 3 * (10 - 15 * x + 6 * x ** 2)


@dataclass(frozen=True)
class ImuConfig:
    """The simulated IMUs: which exist, how they are mounted and how good they are."""

    segments: tuple[str, ...] = SEGMENTS
    acc_noise_g: float = 0.004           # MPU-6050: 400 ug/sqrt(Hz) at ~44 Hz bandwidth
    gyr_noise_deg_s: float = 0.1         # 0.005 deg/s/sqrt(Hz), plus quantisation
    gyr_bias_deg_s: float = 3.0          # per-axis zero-rate offset, uniform +-
    acc_bias_g: float = 0.01             # per-axis zero-g offset after factory trim, uniform +-
    mount_skin_deg: float = 20.0         # rotation about the out-of-skin axis (strap turned), +-
    mount_tilt_deg: float = 6.0          # rocking on the skin about the horizontal in-plane axis, +-
    mount_yaw_deg: float = 3.0           # about the segment's long axis, +-
    swap_pelvis_thigh: bool = False      # the user plugged the pelvis IMU into the thigh port

    def __post_init__(self) -> None:
        unknown = [s for s in self.segments if s not in SEGMENTS]
        if unknown:
            raise ValueError(f"unknown IMU segment(s) {', '.join(unknown)} "
                             f"(have: {', '.join(SEGMENTS)})")


@dataclass(frozen=True)
class SegmentAngles:
    """Ground truth at given times (deg): world tilts and the joint angles."""

    pelvis_deg: np.ndarray
    thigh_deg: np.ndarray
    thorax_deg: np.ndarray

    @property
    def hip_deg(self) -> np.ndarray:
        """Hip flexion from the athlete's neutral (the squeeze): pelvis - thigh."""
        return self.pelvis_deg - self.thigh_deg

    @property
    def lumbar_deg(self) -> np.ndarray:
        """Lumbar flexion (thorax - pelvis); negative: extended."""
        return self.thorax_deg - self.pelvis_deg

    def segment(self, name: str) -> np.ndarray:
        return {"pelvis": self.pelvis_deg, "thigh": self.thigh_deg, "thorax": self.thorax_deg}[name]


def _rot(axis: int, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def _up(phi: np.ndarray) -> np.ndarray:
    """(n, 2) X, Z components of a segment's long axis at tilt phi (rad)."""
    return np.stack([np.sin(phi), np.cos(phi)], axis=-1)


def _fwd(phi: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(phi), -np.sin(phi)], axis=-1)


class SegmentModel:
    """The athlete's segments and IMUs; built from its plan (trunk track, reps, tasks)."""

    DIFF_S = 0.002               # central differences for angular velocity and acceleration

    def __init__(self, athlete: "Athlete", config: ImuConfig | None = None) -> None:
        self.athlete = athlete
        self.config = config or ImuConfig()
        self.fs = athlete.fs
        ex = athlete.config.exercise
        self.pose = POSES[ex]
        self._ex = MOVEMENTS[ex]
        t, v = athlete._ang
        self._trunk = PchipInterpolator(np.concatenate(([-1.0], t, [t[-1] + 1.0])),
                                        np.concatenate(([v[0]], v, [v[-1]])), extrapolate=False)
        self._tops = self._top_tracks()
        seq = np.random.SeedSequence(entropy=int(athlete.config.seed), spawn_key=(0x1B,))
        self._noise_seq = seq.spawn(1)[0]
        rng = np.random.default_rng(seq.spawn(2)[1])
        c = self.config
        self.mount: dict[str, np.ndarray] = {}
        self.gyr_bias: dict[str, np.ndarray] = {}
        self.acc_bias: dict[str, np.ndarray] = {}
        for seg in SEGMENTS:                     # drawn for all, so a subset keeps the others
            skin, tilt, yaw = rng.uniform(-1, 1, 3) * (c.mount_skin_deg, c.mount_tilt_deg,
                                                       c.mount_yaw_deg)
            # sensor axes: x long (yaw about it), z out of the skin, y the in-plane axis
            self.mount[seg] = _rot(2, skin) @ _rot(1, tilt) @ _rot(0, yaw)
            self.gyr_bias[seg] = rng.uniform(-1, 1, 3) * c.gyr_bias_deg_s
            self.acc_bias[seg] = rng.uniform(-1, 1, 3) * c.acc_bias_g
        self._anat = {seg: ANATOMICAL_AXES[seg] for seg in SEGMENTS}
        # the sacrum slopes forward ~20 deg: the pelvis sensor sits tilted on it
        self._anat["pelvis"] = _rot(1, SACRUM_TILT_DEG) @ ANATOMICAL_AXES["pelvis"]

    # --- kinematics ----------------------------------------------------------------
    def _top_tracks(self) -> PchipInterpolator:
        """Trunk, hip and lumbar angles at the current top (the values blended with the
        bottom), one PCHIP with three columns.

        Each switches from the previous top to the rep's own at the rep's bottom (where the
        blend gives it no weight), and back to relaxed standing when the bar is put down."""
        a = self.athlete
        top = self._ex.top_deg
        relaxed_hip = a.config.relaxed_hip_deg
        relaxed = (top, relaxed_hip, 0.0)
        pts: list[tuple[float, ...]] = [(-1.0, *relaxed), (0.0, *relaxed)]
        requested = {(t0, t1) for t0, t1, _ in a.requested}
        for task in a.tasks:
            if task.kind == "hip_neutral" and (task.t_start_s, task.t_end_s) not in requested:
                squeeze = (top, 0.0, relaxed_hip)     # the squeeze: pelvis back, lumbar flattened
                pts += [(task.t_start_s - 0.6, *relaxed), (task.t_start_s, *squeeze),
                        (task.t_end_s, *squeeze), (task.t_end_s + 0.6, *relaxed)]
        t_ang, v_ang = a._ang
        reps = sorted(a.truth, key=lambda r: r.t_start_s)
        for k, rt in enumerate(reps):
            inside = (t_ang >= rt.t_start_s) & (t_ang <= rt.t_lockout_s)
            if inside.any():
                far = np.abs(v_ang[inside] - top)
                idx = np.flatnonzero(inside)[far >= far.max() - 1e-9]
                t_bot = 0.5 * (t_ang[idx[0]] + t_ang[idx[-1]])
            else:
                t_bot = 0.5 * (rt.t_start_s + rt.t_lockout_s)
            prev = pts[-1][1:]
            # a failed rep stalls below the top: its hips stay flexed by the blend, so its
            # "top" values are those of the top it never reached
            trunk_top = top if getattr(rt, "partial", False) else rt.top_deg
            own = (trunk_top, rt.hip_short_deg, rt.lumbar_top_deg)
            pts += [(t_bot - 0.1, *prev), (t_bot + 0.1, *own)]
            if k + 1 == len(reps) or reps[k + 1].set_index != rt.set_index:
                pts += [(rt.t_end_s, *own), (rt.t_end_s + 1.0, *relaxed)]
        end = max(p[0] for p in pts)
        pts += [(end + 1.0, *relaxed), (end + 2.0, *relaxed)]    # flat ends: no kink when held
        pts.sort(key=lambda p: p[0])
        arr = np.array(pts)
        keep = np.concatenate(([True], np.diff(arr[:, 0]) > 1e-6))
        return PchipInterpolator(arr[keep, 0], arr[keep, 1:], axis=0, extrapolate=False)

    @staticmethod
    def _eval(f: PchipInterpolator, t: np.ndarray) -> np.ndarray:
        """f(t), held at its end values outside its knots."""
        return f(np.clip(t, f.x[0], f.x[-1]))

    def angles(self, t_s: np.ndarray) -> SegmentAngles:
        """True segment tilts (deg) at times t_s."""
        t = np.asarray(t_s, dtype=float)
        trunk = self._eval(self._trunk, t)
        tops = self._eval(self._tops, t)
        trunk_top, h_top, l_top = tops[..., 0], tops[..., 1], tops[..., 2]
        ex, p = self._ex, self.pose
        if self.athlete.requested:
            trunk, trunk_top, h_top, l_top = self._task_postures(t, trunk, trunk_top, h_top, l_top)
        s = np.clip((trunk - trunk_top) / (ex.bottom_deg - trunk_top), 0.0, 1.0)
        thorax = p.trunk_sign * trunk
        h_bottom = p.trunk_sign * ex.bottom_deg - p.lumbar_bottom_deg - p.thigh_bottom_deg
        lumbar = (1 - s) * l_top + s * p.lumbar_bottom_deg
        hip = (1 - s) * h_top + s * h_bottom
        pelvis = thorax - lumbar
        return SegmentAngles(pelvis, pelvis - hip, thorax)

    def _task_postures(self, t: np.ndarray, *tracks: np.ndarray) -> tuple[np.ndarray, ...]:
        """The tasks the wizard asked for (Athlete.perform) override the plan: standing
        upright (trunk 0, as the trunk sensor sees it), relaxed or squeezing
        (SQUEEZE_TASKS), blended in and out like the EMG."""
        a = self.athlete
        relaxed = a.config.relaxed_hip_deg
        out = [np.array(x, dtype=float) for x in tracks]      # trunk, its top, hip, lumbar
        for t0, t1, kind, ramp in pose_ramps(a.requested, a.TASK_RAMP_S):
            w = task_weight(t, t0, t1, ramp)
            if not w.any():
                continue
            hip, lumbar = (0.0, relaxed) if kind in SQUEEZE_TASKS else (relaxed, 0.0)
            for x, v in zip(out, (0.0, 0.0, hip, lumbar)):
                x *= 1 - w
                x += w * v
        return tuple(out)

    def _positions(self, ang: SegmentAngles) -> dict[str, np.ndarray]:
        """(n, 2) X, Z positions (m) of each sensor."""
        r = {k: np.radians(ang.segment(k)) for k in SEGMENTS}
        p = self.pose
        n = r["thigh"].shape[0]
        base = np.zeros((n, 2))
        if p.knee_fixed:
            knee = base
        else:
            knee = base + SHANK_M * _up(np.radians(-p.shank_per_thigh * ang.thigh_deg))
        hip = knee + THIGH_M * _up(r["thigh"])
        l5 = hip + LUMBAR_M * _up(r["pelvis"])
        return {"thigh": knee + 0.5 * THIGH_M * _up(r["thigh"]),
                "pelvis": hip + SACRUM_UP_M * _up(r["pelvis"]) - SACRUM_BACK_M * _fwd(r["pelvis"]),
                "thorax": l5 + THORAX_SENSOR_M * _up(r["thorax"]) - 0.1 * _fwd(r["thorax"])}

    def true_imu(self, t_s: np.ndarray) -> dict[str, np.ndarray]:
        """Noise- and bias-free (n, 6) per segment: acc_g xyz, gyr_deg_s xyz."""
        t = np.asarray(t_s, dtype=float)
        d = self.DIFF_S
        a_m, a_0, a_p = self.angles(t - d), self.angles(t), self.angles(t + d)
        x_m, x_0, x_p = self._positions(a_m), self._positions(a_0), self._positions(a_p)
        out = {}
        for seg in SEGMENTS:
            phi = np.radians(a_0.segment(seg))
            omega = (a_p.segment(seg) - a_m.segment(seg)) / (2 * d)          # deg/s about Y
            acc = (x_p[seg] - 2 * x_0[seg] + x_m[seg]) / (d * d) / G0_M_S2   # g, (X, Z)
            f_world = np.zeros((t.size, 3))
            f_world[:, 0] = acc[:, 0]
            f_world[:, 2] = acc[:, 1] + 1.0
            w_world = np.zeros((t.size, 3))
            w_world[:, 1] = omega
            # R = Ry(phi) @ anat @ mount; R^T v = mount^T anat^T Ry(phi)^T v
            c, s = np.cos(phi), np.sin(phi)

            def ry_t(v: np.ndarray, c: np.ndarray = c, s: np.ndarray = s) -> np.ndarray:
                return np.stack([c * v[:, 0] - s * v[:, 2], v[:, 1], s * v[:, 0] + c * v[:, 2]], 1)

            fixed = (self._anat[seg] @ self.mount[seg]).T
            out[seg] = np.hstack([ry_t(f_world) @ fixed.T, ry_t(w_world) @ fixed.T])
        return out

    def _noise(self, first_index: int, n: int) -> np.ndarray:
        """(n, 3 segments x 6) standard normal noise, fixed per absolute sample index."""
        out = np.empty((n, len(SEGMENTS) * 6))
        i, end = first_index, first_index + n
        while i < end:
            b = i // NOISE_BLOCK
            rng = np.random.default_rng(
                np.random.SeedSequence(self._noise_seq.entropy,
                                       spawn_key=(*self._noise_seq.spawn_key, b)))
            block = rng.standard_normal((NOISE_BLOCK, out.shape[1]))
            lo = i - b * NOISE_BLOCK
            m = min(end, (b + 1) * NOISE_BLOCK) - i
            out[i - first_index:i - first_index + m] = block[lo:lo + m]
            i += m
        return out

    def imu(self, first_index: int, n: int) -> dict[str, np.ndarray]:
        """What each configured IMU reads at EMG sample indices [first_index, first_index + n)."""
        if first_index < 0 or n < 0:
            raise ValueError("imu: first_index and n must be >= 0")
        t = (first_index + np.arange(n)) / self.fs
        clean = self.true_imu(t)
        noise = self._noise(first_index, n)
        c = self.config
        out = {}
        for k, seg in enumerate(SEGMENTS):
            if seg not in c.segments:
                continue
            x = clean[seg].copy()
            x[:, :3] += self.acc_bias[seg] + c.acc_noise_g * noise[:, 6 * k:6 * k + 3]
            x[:, 3:] += self.gyr_bias[seg] + c.gyr_noise_deg_s * noise[:, 6 * k + 3:6 * k + 6]
            out[seg] = x
        if c.swap_pelvis_thigh and "pelvis" in out and "thigh" in out:
            out["pelvis"], out["thigh"] = out["thigh"], out["pelvis"]
        return out


def imu_channels(segments: tuple[str, ...]) -> tuple[Channel, ...]:
    """The Kind.IMU channels of these IMUs, six each, in the contract's names and units."""
    return tuple(Channel(name, Kind.IMU, unit) for seg in segments
                 for name, unit in zip(imu_channel_names(seg), IMU_UNITS))


def with_imu_info(info: DeviceInfo, segments: tuple[str, ...], imu_rate_hz: float) -> DeviceInfo:
    """``info`` plus the IMU channels appended after its own."""
    return replace(info, channels=tuple(info.channels) + imu_channels(segments),
                   imu_rate_hz=float(imu_rate_hz), imu_segments=tuple(segments))


def with_imu(block: SampleBlock, athlete: "Athlete", imu_rate_hz: float) -> SampleBlock:
    """``block`` with the athlete's held IMU columns appended (see :func:`with_imu_info`)."""
    imu = held_imu(athlete, block.first_index, block.n, imu_rate_hz)
    return replace(block, data=np.hstack([block.data, imu]))


def held_imu(athlete: "Athlete", first_index: int, n: int, imu_rate_hz: float) -> np.ndarray:
    """(n, 6 x segments) IMU columns at EMG indices, each value sampled at an IMU tick
    (multiples of fs / imu_rate_hz) and held until the next: what a board delivers."""
    step = max(1, int(round(athlete.fs / imu_rate_hz)))
    idx = first_index + np.arange(n)
    ticks = idx - idx % step
    if n == 0:
        return np.zeros((0, 6 * len(athlete.config.imu.segments)))
    t0 = int(ticks[0])
    values = athlete.imu(t0, int(ticks[-1]) - t0 + 1)
    return np.hstack([values[seg][ticks - t0] for seg in athlete.config.imu.segments
                      if seg in values])
