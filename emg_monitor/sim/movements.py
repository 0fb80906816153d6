"""How the simulated athlete performs each exercise: kinematics and activation levels.

Keyed by the canonical names of the one exercise registry (``exercises.py``); a test
checks that every registered exercise has a movement here. Read by the athlete
(``athlete.py``) and its segments (``segments.py``), which do not import each other
back.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Movement:
    """How the simulated athlete performs one registered exercise (``exercises.py`` is
    the one registry of names, targets and detection limits): kinematics and the
    activation levels (fraction of MVC)."""

    top_deg: float          # trunk inclination from vertical at lockout
    bottom_deg: float
    glute_ecc: float
    erector_ecc: float
    glute_bottom: float
    erector_bottom: float
    glute_top: float        # good rep, at lockout
    erector_top: float
    erector_peak: float     # early-pull peak
    comp_glute_top: float   # lumbar-compensated rep
    comp_erector_top: float
    comp_erector_peak: float


MOVEMENTS: dict[str, Movement] = {
    "deadlift": Movement(0.0, 72.0, 0.12, 0.30, 0.08, 0.20, 0.60, 0.35, 0.55, 0.25, 0.62, 0.75),
    "romanian_deadlift": Movement(0.0, 78.0, 0.18, 0.40, 0.15, 0.35, 0.55, 0.32, 0.60,
                                  0.22, 0.60, 0.75),
    "squat": Movement(0.0, 45.0, 0.25, 0.25, 0.30, 0.30, 0.50, 0.28, 0.45, 0.22, 0.58, 0.65),
    # hip thrust: shoulders on a bench; the trunk is horizontal (90 deg) at lockout.
    "hip_thrust": Movement(90.0, 48.0, 0.20, 0.15, 0.15, 0.12, 0.75, 0.30, 0.35,
                           0.28, 0.60, 0.62),
}
