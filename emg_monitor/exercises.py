"""The lifts the monitor judges, each with its target ratio and rep-detection limits.

The target is the glute:erector ratio of %MVC amplitudes at lockout that a
rep must reach to count as "glutes finished". At the lockout of a conventional
deadlift the gluteus maximus and the lumbar erectors work at similar fractions
of their MVC when the hips are actively extended (PMC12148905, cited by the
project brief; the exact figure varies by study and load), so 1.0 is the
deadlift default. Other lifts shift the balance:

* hip thrust: the hip-extension moment peaks AT lockout with a horizontal,
  supported trunk, so the erectors have little to do (Contreras et al. 2015,
  J Appl Biomech 31:452, gluteus maximus far above the back squat): target 1.5.
* Romanian deadlift: the hips are never driven to full extension against a
  large moment and the erectors hold the spine isometrically through a long
  lever for the whole set: target 0.8.
* squat: lockout is reached with a near-vertical trunk and a small hip moment;
  like the deadlift, 1.0.

These are starting points for a coach to adjust (``--target``), not norms.
The ranges of motion are trunk inclination (deg) for the trunk-sensor set-up
used by the simulator (docs/simulator.md): a rep must cover at least
``min_rom_deg`` to count, which rejects weight-shifting; a cycle that never comes
back within ``partial_deg`` of upright is a partial (or failed) rep.
"""
from __future__ import annotations

from dataclasses import dataclass



@dataclass(frozen=True)
class Exercise:
    name: str
    display_name: str
    target_ratio: float          # glute/erector (%MVC / %MVC) at lockout
    min_rom_deg: float           # smaller excursions are not reps
    lockout_window_s: float      # amplitudes are averaged over this window centred on the top
    lockout_max_s: float         # longest time near the top that still belongs to the rep
    concentric_s: float          # typical tempo (for EMG-only detection limits)
    eccentric_s: float
    min_rep_s: float             # two tops closer than this are one rep
    borderline_pct: float = 15.0  # ratio within +-15 % of the target: borderline
    #: where the top lies on the trunk inclination: "min" (most upright) for the standing
    #: lifts; "max" for the hip thrust, whose trunk rises to horizontal at lockout
    top_at: str = "min"
    #: hips more than this short of the athlete's neutral at the top count as "not finished"
    #: (docs/reps-and-ratio.md, "the hip angle"): 3x the measured lockout error, well
    #: under the 10-15 deg of extension a hip has
    hip_tolerance_deg: float = 3.0
    #: a cycle whose most upright point stays farther than this from the athlete's upright
    #: reference is a partial or failed rep: ~30 % of the range. Wider than the few degrees
    #: a lumbar-finished rep stops short by (that rep must be judged, it is the one this
    #: product exists for), narrower than a lockout that failed at the knees or a half squat.
    partial_deg: float = 20.0

    def __post_init__(self) -> None:
        if not (self.target_ratio > 0 and self.min_rom_deg > 0 and self.lockout_window_s > 0
                and self.partial_deg > 0):
            raise ValueError(f"exercise {self.name}: target, range of motion, window and "
                             "partial distance must be positive")


EXERCISES: dict[str, Exercise] = {
    e.name: e for e in (
        Exercise("deadlift", "Deadlift", 1.0, 30.0, 0.5, 3.0, 1.2, 1.5, 1.0),
        Exercise("squat", "Back squat", 1.0, 20.0, 0.5, 3.0, 1.2, 1.5, 1.0, hip_tolerance_deg=4.0,
                 partial_deg=13.0),
        Exercise("hip_thrust", "Hip thrust", 1.5, 20.0, 0.5, 3.0, 1.0, 1.2, 0.8, top_at="max",
                 partial_deg=12.0),
        Exercise("romanian_deadlift", "Romanian deadlift", 0.8, 30.0, 0.5, 3.0, 1.2, 1.5, 1.0,
                 hip_tolerance_deg=4.0),
    )
}


def get_exercise(name: str) -> Exercise:
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    if key == "rdl":
        key = "romanian_deadlift"
    try:
        return EXERCISES[key]
    except KeyError:
        raise ValueError(f"unknown exercise {name!r}: choose one of {', '.join(EXERCISES)}") from None
