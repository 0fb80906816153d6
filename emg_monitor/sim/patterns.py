"""How real lifters move: attempts with sticking regions, grinders, pauses, hitches,
failed reps, resets, set-downs and walking away, for the simulated athlete.

Shapes (docs/simulator.md, "Movement patterns"):

* Concentric bar velocity of heavy squats and deadlifts rises to a first peak, dips
  in a *sticking region* (the squat 30-60 % of the ascent: Kompf & Arandjelovic 2016,
  Sports Med 46:751; van den Tillaar et al. 2014; the deadlift at about knee height:
  Hales et al. 2009, JSCR 23:2574), rises again and decelerates to lockout. Near
  failure the dip deepens towards a stop and the ascent stretches to 4-6 s (a
  "grinder"; mean concentric velocity falls to ~0.15-0.2 m/s near 1RM: Gonzalez-Badillo
  & Sanchez-Medina 2010). Modelled as the minimum-jerk bell ``30 t^2 (1-t)^2`` times a
  Gaussian dip, integrated to position.
* Trunk inclination follows the bar's progress (a hinge: the trunk rises with the bar,
  Escamilla 2000/2002), so the same profile drives the angle.
* Pauses (paused reps, at any height, up or down), bottom pauses, dead stops (the bar
  rests, the muscles let go), touch-and-go (no pause), long lockout squeezes, hitches
  (a stall near lockout, a small sink and a second push), failed reps (the ascent turns
  back before upright and the bar is lowered), resets (the grip let go and re-taken at
  the bottom, with small trunk shuffles), set-downs (the bar put down, the lifter stands
  up without it and bends down to pick it up again), walking away (trunk sway while
  away from the bar), and a drifting sensor zero.

Every attempt leaves its ground truth: the true top hold (or, for a failed rep, the
turning plateau) and whether it came back to upright.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: activations (fraction of MVC) for movement without the bar and for walking
UNLOADED_GLUTE = 0.04
UNLOADED_ERECTOR = 0.10
WALK_GLUTE = 0.06
WALK_ERECTOR = 0.06


def velocity_profile(n: int, dip: float = 0.0, dip_at: float = 0.45,
                     dip_width: float = 0.12) -> np.ndarray:
    """Progress 0..1 over ``n`` + 1 points of a concentric whose velocity is the
    minimum-jerk bell with a sticking-region dip of depth ``dip`` (0..0.97) at ``dip_at``
    (fraction of the time)."""
    tau = np.linspace(0.0, 1.0, n + 1)
    v = 30 * tau**2 * (1 - tau)**2 * (1 - dip * np.exp(-0.5 * ((tau - dip_at) / dip_width) ** 2))
    pos = np.concatenate(([0.0], np.cumsum(0.5 * (v[1:] + v[:-1]))))
    return pos / pos[-1]


@dataclass(frozen=True)
class Attempt:
    """One descent and ascent of a set, as planned (times in s, fractions of the range)."""

    eccentric_s: float = 1.5
    bottom_pause_s: float = 0.5        # 0: touch-and-go
    dead_stop: bool = False            # the bar rests at the bottom: the muscles let go
    concentric_s: float = 1.2          # 4-6 s: a grinder
    sticking_dip: float = 0.0          # how far the velocity dips in the sticking region
    sticking_at: float = 0.45          # where (fraction of the ascent's time)
    pause_up: tuple[float, float] | None = None     # (height reached 0..1, s): paused ascent
    pause_down: tuple[float, float] | None = None   # (height left 0..1, s): paused descent
    hitch: bool = False                # stall near lockout, sink, second push
    reach: float = 1.0                 # < 1: a failed or partial rep turns back at this height
    top_hold_s: float = 1.0            # lockout squeeze (or, failed: the stall before sinking)
    reset_s: float = 0.0               # > 0: the grip let go and re-taken at the bottom first
    after: str = "none"                # "none", "set_down" (put the bar down, stand up, pick
                                       # it up again), "walk" (set down, walk away and back)
    after_s: float = 0.0               # how long the lifter is away from the bar


@dataclass(frozen=True)
class MovementStyle:
    """A lifter's random mix of attempts (ranges are uniform; p_ are probabilities per rep).
    :meth:`attempt` draws one; the Athlete calls it once per planned rep."""

    concentric_s: tuple[float, float] = (0.9, 1.8)
    eccentric_s: tuple[float, float] = (1.0, 2.2)
    top_hold_s: tuple[float, float] = (0.5, 1.8)
    bottom_pause_s: tuple[float, float] = (0.1, 1.2)
    p_touch_and_go: float = 0.2
    p_dead_stop: float = 0.15
    p_sticking: float = 0.5
    sticking_dip: tuple[float, float] = (0.3, 0.9)
    p_grinder: float = 0.1
    grinder_s: tuple[float, float] = (4.0, 6.0)
    p_pause_up: float = 0.15
    p_pause_down: float = 0.1
    pause_s: tuple[float, float] = (0.4, 2.0)
    p_hitch: float = 0.1
    p_failed: float = 0.08
    failed_reach: tuple[float, float] = (0.25, 0.6)
    p_long_squeeze: float = 0.1
    long_squeeze_s: tuple[float, float] = (2.5, 3.0)
    p_reset: float = 0.1
    p_set_down: float = 0.06
    p_walk: float = 0.04
    away_s: tuple[float, float] = (3.0, 8.0)

    def attempt(self, rng: np.random.Generator) -> Attempt:
        u = lambda r: float(rng.uniform(*r))
        grinder = rng.random() < self.p_grinder
        failed = rng.random() < self.p_failed
        conc = u(self.grinder_s) if grinder else u(self.concentric_s)
        dip = (float(rng.uniform(0.85, 0.97)) if grinder
               else u(self.sticking_dip) if rng.random() < self.p_sticking else 0.0)
        pause_up = ((float(rng.uniform(0.1, 0.9)), u(self.pause_s))
                    if rng.random() < self.p_pause_up else None)
        pause_down = ((float(rng.uniform(0.1, 0.9)), u(self.pause_s))
                      if rng.random() < self.p_pause_down else None)
        hold = u(self.long_squeeze_s) if rng.random() < self.p_long_squeeze else u(self.top_hold_s)
        r = rng.random()
        after = ("walk" if r < self.p_walk else "set_down" if r < self.p_walk + self.p_set_down
                 else "none")
        reset = rng.random() < self.p_reset
        tng = (not reset) and rng.random() < self.p_touch_and_go
        return Attempt(
            eccentric_s=u(self.eccentric_s),
            bottom_pause_s=0.0 if tng else u(self.bottom_pause_s),
            dead_stop=(not tng) and rng.random() < self.p_dead_stop,
            concentric_s=conc, sticking_dip=dip, sticking_at=float(rng.uniform(0.3, 0.6)),
            pause_up=pause_up if not failed else None, pause_down=pause_down,
            hitch=(not failed) and rng.random() < self.p_hitch,
            reach=u(self.failed_reach) if failed else 1.0,
            top_hold_s=hold if not failed else float(rng.uniform(0.2, 1.0)),
            reset_s=float(rng.uniform(1.0, 3.0)) if reset else 0.0,
            after=after if not failed else "none",
            after_s=u(self.away_s) if after != "none" else 0.0)


#: styles for the accuracy benchmark: "field" uses settings no constant was tuned on
TRAINING_STYLE = MovementStyle()
FIELD_STYLE = MovementStyle(
    concentric_s=(0.7, 2.6), eccentric_s=(0.6, 3.0), top_hold_s=(0.4, 2.6),
    bottom_pause_s=(0.05, 2.0), p_touch_and_go=0.3, p_dead_stop=0.25, p_sticking=0.7,
    sticking_dip=(0.5, 0.95), p_grinder=0.15, grinder_s=(4.0, 6.0), p_pause_up=0.25,
    p_pause_down=0.2, pause_s=(0.3, 2.5), p_hitch=0.15, p_failed=0.12,
    failed_reach=(0.15, 0.6), p_long_squeeze=0.15, long_squeeze_s=(2.5, 3.0), p_reset=0.15,
    p_set_down=0.1, p_walk=0.05, away_s=(2.0, 10.0))


def sway_deg(t: np.ndarray, amplitude_deg: float, freq_hz: float, phase: float) -> np.ndarray:
    """Trunk sway while walking or shuffling: a sine with a slow beat (not a clean tone)."""
    return amplitude_deg * np.sin(2 * math.pi * freq_hz * t + phase) * (
        0.7 + 0.3 * np.sin(2 * math.pi * 0.23 * t))
