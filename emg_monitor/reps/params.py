"""Every constant of rep detection and scoring, in one frozen record (docs/reps-and-ratio.md).

Degrees are of the detector's angle (trunk inclination, or any joint angle), oriented
so the top is its minimum; fractions of the rep's range are of that rep's own
top-to-bottom excursion, so the same numbers hold for a 45 deg squat and a 75 deg RDL.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from ..exercises import Exercise

#: the state machines run at this rate on absolute sample indices, so chunking is irrelevant
DECISION_RATE_HZ = 100.0


@dataclass(frozen=True)
class RepParams:
    # --- per exercise (exercises.py), overridable (analyze --min-rom, --min-rep-s) -------
    min_rom_deg: float = 30.0             # a cycle must go at least this deep to be a rep at all
    partial_deg: float = 20.0             # its top farther than this from upright: partial rep
    min_rep_s: float = 1.0                # two tops closer than this are one rep
    lockout_window_s: float = 0.5         # amplitudes: mean over this window centred on the top
    lockout_max_s: float = 3.0            # the lockout ends at the latest this long after arrival
    concentric_s: float = 1.2             # typical tempo: bounds the EMG-only rep start
    eccentric_s: float = 1.5
    target_ratio: float = 1.0             # glute:erector (%MVC) a rep must reach
    borderline_pct: float = 15.0          # within +-15 % of the target: borderline
    # --- motion tops (motion_tops.py) ---------------------------------------------------------
    rise_fraction: float = 0.2            # ascent begins once back up this part of the depth ...
    rise_min_fraction: float = 0.5        # ... and at least this part of min_rom_deg
    leave_fraction: float = 0.2           # the top is left when the angle goes back down this
    leave_min_deg: float = 6.0            #   part of the range (at least this): hitches stay inside
    plateau_fraction: float = 0.05        # on the top plateau: within this part of the range ...
    plateau_min_deg: float = 2.5          # ... or this many degrees of the cycle's extreme
    window_tol_fraction: float = 0.01     # the scoring window stays this close to the top's angle
    window_tol_min_deg: float = 0.6       # ... or this (the true hold, not its approach)
    settle_s: float = 0.15                # arrival: the extreme improved less than
    settle_fraction: float = 0.02         #   this part of the range (at least
    settle_min_deg: float = 1.0           #   this) over the last settle_s
    still_s: float = 0.5                  # upright reference: a posture held this long ...
    still_deg: float = 1.5                # ... within this spread
    reference_drift_deg_per_min: float = 6.0  # an old upright posture counts this much less upright
    release_fraction: float = 0.5         # lockout ends when activity falls below this x its max
    #   (lockout_max_s counts from when the angle last moved on towards the top)
    loaded_fraction: float = 0.3          # a lift: concentric activity >= this x recent lifts' ...
    loaded_contrast: float = 2.0          # ... or, without recent lifts, >= this x the quiet level
    loaded_pct_mvc: float = 15.0          # ... or (calibrated) at least this %MVC
    loaded_memory_s: float = 120.0        # recent lifts: this far back
    # --- EMG-only tops (emg_tops.py) ----------------------------------------------------------
    emg_smooth_s: float = 0.2             # combined activity: mean over channels and this time
    emg_channel_smooth_s: float = 0.2     # per-channel activity for the lockout plateau
    emg_trace_s: float = 20.0             # decision-rate history kept for the lockout search
    emg_release_drop: float = 0.7         # a peak ends when activity falls this far to the floor
    emg_floor_percentile: float = 50.0    # the floor: this percentile of the activity over
    emg_floor_s: float = 2.0              #   this long before activity came near the peak
    emg_near_peak: float = 0.9            # near: this fraction of the peak
    emg_rise: float = 1.2                 # a rep's peak is >= this x its floor
    emg_rearm_rise: float = 0.15          # the next rep may begin once 15 % above the valley
    emg_peak_fraction: float = 0.35       # peaks below this x the recent maximum are not reps
    emg_floor_pct_mvc: float = 8.0        # calibrated: nor peaks below this %MVC (rest, ECG)
    emg_contrast: float = 2.5             # uncalibrated, no recent rep: peak >= this x quiet level
    emg_plateau_tol: float = 0.2          # lockout: every channel within 20 % of its final level ...
    emg_plateau_abs_pct_mvc: float = 2.0  # ... + this %MVC (calibrated)
    emg_plateau_abs_fraction: float = 0.02  # ... + this x the recent maximum (uncalibrated)
    emg_plateau_gap_s: float = 0.4        # ... allowing excursions this long (envelope noise)
    emg_cue_hold_s: float = 0.3           # live cue: the plateau has held this long near the peak
    # --- scoring (scoring.py) -------------------------------------------------------------------
    cue_window_s: float = 0.2             # live cue: mean envelope over the last this long
    erector_floor_pct_mvc: float = 0.5    # below this the erector is silent: no ratio
    relative_memory: int = 10             # relative ratio: against the median of this many reps

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"rep parameter {f.name} must be a positive number (got {v!r})")

    @classmethod
    def for_exercise(cls, exercise: Exercise, **overrides) -> "RepParams":
        """The exercise's limits, then any overrides (None: keep the exercise's)."""
        base = cls(min_rom_deg=exercise.min_rom_deg, partial_deg=exercise.partial_deg,
                   min_rep_s=exercise.min_rep_s, lockout_window_s=exercise.lockout_window_s,
                   lockout_max_s=exercise.lockout_max_s, concentric_s=exercise.concentric_s,
                   eccentric_s=exercise.eccentric_s, target_ratio=exercise.target_ratio,
                   borderline_pct=exercise.borderline_pct)
        given: dict[str, Any] = {k: float(v) for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown rep parameter(s): {', '.join(sorted(unknown))}")
        return replace(base, **given)
