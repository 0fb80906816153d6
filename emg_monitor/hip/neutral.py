"""The athlete's own hip neutral: a relaxed stand and a maximal glute squeeze.

Squeezing the glutes as hard as possible while standing tall takes the hips to
their full extension (the coach's test in seeds/README.md: if squeezing gives
more range, you were not at the top). That posture is hip angle 0. The relaxed
stand, a few degrees short of it, is the second reference and the one every
session aligns its IMUs on, so the neutral is stored as the *angle between the
two* (deg): it does not depend on how the sensors were strapped on that day.

Both stands are still, so gravity alone gives each segment's tilt: no fusion.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

import numpy as np

from ..model import DeviceInfo
from .alignment import align, realigned, stillness_problem, tilt_deg
from .tracker import imu_columns

#: the two stands of the wizard's neutral step (ui/calibration_wizard.py, HipNeutralStep),
#: keyed like the simulated athlete's tasks: (task kind, cue, instructions)
RELAXED_STAND = ("relaxed_stand", "STAND TALL — RELAXED",
                 "Stand tall and relaxed, feet hip-width, arms by your sides. Do not move.")
HIP_SQUEEZE = ("hip_neutral", "SQUEEZE YOUR GLUTES!",
               "Squeeze your glutes as hard as you can, hips pushed forward, knees straight; "
               "hold it still until the bar is full.")

#: a sensor that turned at least this much between the two stands tells which segment it
#: is on: the pelvis turns about its own across-the-body axis (the squeeze tilts it back)
SWAP_MIN_TURN_DEG = 0.3             # 10x the angle noise of a 4 s stand (~0.03 deg)
#: a squeeze that flexes the hips this much more than standing relaxed is not a squeeze
MAX_SQUEEZE_FLEXION_DEG = 2.0
#: more than this between the two stands: the athlete bent or the sensors moved
MAX_RELAXED_TO_NEUTRAL_DEG = 20.0


@dataclass(frozen=True)
class HipNeutral:
    created_iso: str
    relaxed_hip_deg: float           # hip flexion of the relaxed stand, from the squeeze (>= 0)
    relaxed_lumbar_deg: float = float("nan")   # lumbar flexion relaxed vs squeezed (thorax IMU)

    def to_dict(self) -> dict:
        lum = self.relaxed_lumbar_deg
        return {"created_iso": self.created_iso, "relaxed_hip_deg": self.relaxed_hip_deg,
                "relaxed_lumbar_deg": lum if math.isfinite(lum) else None}

    @classmethod
    def from_dict(cls, d: dict) -> "HipNeutral":
        try:
            hip = float(d["relaxed_hip_deg"])
            lum = d.get("relaxed_lumbar_deg")
            lum = float("nan") if lum is None else float(lum)
            created = str(d["created_iso"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"hip neutral record is damaged ({exc}): calibrate the neutral again") from exc
        if not math.isfinite(hip) or abs(hip) > MAX_RELAXED_TO_NEUTRAL_DEG:
            raise ValueError(f"hip neutral record is damaged (relaxed_hip_deg {hip}): "
                             "calibrate the neutral again")
        return cls(created, hip, lum)


def _still_problems(info: DeviceInfo, data: np.ndarray, what: str) -> list[str]:
    out = []
    for seg, cols in imu_columns(info).items():
        x = data[:, cols]
        # a live MPU-6050's noise moves some bit of its six readings every sample
        p = (f"the {seg} IMU stopped answering (its readings froze)"
             if x.shape[0] > 1 and bool((x == x[0]).all()) else
             stillness_problem(seg, x[:, :3], x[:, 3:]))
        if p:
            out.append(p)
    return [f"{what}: {p}" for p in out]


def missing_imus(info: DeviceInfo) -> str:
    """'' when the pelvis and thigh IMUs both answer, else one sentence saying which not."""
    cols = imu_columns(info)
    missing = [s for s in ("pelvis", "thigh") if s not in cols]
    if not missing:
        return ""
    return (f"the hip neutral needs the pelvis and thigh IMUs; {' and '.join(missing)} missing "
            f"(check {'its plug' if len(missing) == 1 else 'their plugs'}: docs/hardware.md)")


def measure_neutral(info: DeviceInfo, relaxed: np.ndarray, squeeze: np.ndarray,
                    created_iso: str | None = None) -> HipNeutral:
    """The neutral from two still windows of raw samples (n, n_channels).

    Raises ValueError with one sentence for the athlete: an IMU missing, someone
    moving, a squeeze that did not extend the hips."""
    problem = missing_imus(info)
    if problem:
        raise ValueError(problem)
    cols = imu_columns(info)
    relaxed = np.asarray(relaxed, dtype=float)
    squeeze = np.asarray(squeeze, dtype=float)
    problems = (_still_problems(info, relaxed, "relaxed stand")
                + _still_problems(info, squeeze, "squeeze"))
    if problems:
        raise ValueError("hold still and try again (" + "; ".join(problems) + ")")
    tilt = {}
    turn = {}
    for seg, c in cols.items():
        a = align(seg, relaxed[:, c[:3]], relaxed[:, c[3:]])
        up = squeeze[:, c[:3]].mean(axis=0)
        up = up / np.linalg.norm(up)
        tilt[seg] = float(tilt_deg(up, a)[0])
        turn[seg] = (a, np.cross(np.asarray(a.up), up))    # |axis| = sin(turn)
    if _swapped(turn):
        raise ValueError("the pelvis and thigh IMUs seem swapped (each turned about the "
                         "other's axis): swap their plugs and record the neutral again")
    squeeze_hip = tilt["pelvis"] - tilt["thigh"]       # hip flexion of the squeeze vs relaxed
    if squeeze_hip > MAX_SQUEEZE_FLEXION_DEG:
        raise ValueError(f"the squeeze bent the hips {squeeze_hip:.1f} deg instead of extending "
                         "them: stand tall, squeeze the glutes and push the hips forward")
    if -squeeze_hip > MAX_RELAXED_TO_NEUTRAL_DEG:
        raise ValueError(f"the squeeze moved the hips {-squeeze_hip:.0f} deg: more than a hip "
                         "can extend from standing; stand still in both stands and try again")
    lumbar = (tilt["pelvis"] - tilt["thorax"]) if "thorax" in tilt else float("nan")
    created = created_iso or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return HipNeutral(created, -squeeze_hip, lumbar)


def _swapped(turn: dict) -> bool:
    """True when the sensor that turned most between the two stands turned about the other
    segment's instructed axis (docs/hip.md, mounting) rather than its own: the plugs of
    the pelvis and thigh IMUs are swapped. Undecided (False) when neither turned."""
    best = max(("pelvis", "thigh"), key=lambda s: float(np.linalg.norm(turn[s][1])))
    a, axis = turn[best]
    size = float(np.linalg.norm(axis))
    if size < math.sin(math.radians(SWAP_MIN_TURN_DEG)):
        return False
    other = "thigh" if best == "pelvis" else "pelvis"
    own = abs(float(axis @ np.asarray(a.left))) / size
    alt = abs(float(axis @ np.asarray(realigned(a, other).left))) / size
    return own < 0.5 and alt > 0.7
