"""Normalising to maximal voluntary isometric contraction (MVIC): rest floor and MVC per channel.

Raw sEMG amplitude depends on skin, fat and electrode placement, so a ratio of
glute to erector microvolts says little; a ratio of %MVC does. The protocol:

* rest: the noise floor, removed in quadrature later (noise and EMG are
  independent, so their powers add).
* glutes: the standing maximal squeeze, which a lifter can do alone in front of
  the screen (Contreras et al. 2015, PeerJ 3:e1261: as high as the prone bent-knee
  hip extension against manual resistance, which stays as the partner alternative).
* erectors: a standing back extension against an anchored strap (alone, screen in
  view), or the Biering-Sørensen hold; the partner-resisted prone extension stays as
  an alternative. Several holds, keeping the largest (Biviá-Roig et al. 2019: a
  single MVIC task misses the maximum in about a third of people).
* each task: 3 holds of 5 s, the best 1 s window of each, 30 s rest between holds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..model import Muscle


@dataclass(frozen=True)
class Calibration:
    created_iso: str
    unit: str                                   # channel unit the amplitudes are in ("uV" / "mV")
    rest_rms: dict[str, float]                  # channel -> resting noise floor
    mvc_rms: dict[str, float]                   # channel -> MVC amplitude, noise already removed
    tasks: dict[str, str] = field(default_factory=dict)   # channel -> task that gave the MVC

    def to_dict(self) -> dict:
        return {"created_iso": self.created_iso, "unit": self.unit, "rest_rms": dict(self.rest_rms),
                "mvc_rms": dict(self.mvc_rms), "tasks": dict(self.tasks)}

    @classmethod
    def from_dict(cls, d: dict) -> "Calibration":
        try:
            cal = cls(created_iso=str(d["created_iso"]), unit=str(d["unit"]),
                      rest_rms={str(k): float(v) for k, v in d["rest_rms"].items()},
                      mvc_rms={str(k): float(v) for k, v in d["mvc_rms"].items()},
                      tasks={str(k): str(v) for k, v in d.get("tasks", {}).items()})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"calibration record is damaged ({exc}): calibrate again") from exc
        # a NaN or non-positive MVC would scale every envelope to NaN or inf, silently
        bad = [k for k, v in cal.mvc_rms.items() if not (math.isfinite(v) and v > 0)]
        bad += [k for k, v in cal.rest_rms.items() if not (math.isfinite(v) and v >= 0)]
        if bad:
            raise ValueError(f"calibration record is damaged (unusable amplitude for "
                             f"{', '.join(sorted(set(bad)))[:80]}): calibrate again")
        return cal


@dataclass(frozen=True)
class CalibrationTask:
    key: str
    name: str
    muscle: Muscle | None          # None: the rest recording
    instructions: str
    holds: int = 3
    hold_s: float = 5.0
    rest_between_s: float = 30.0   # enough to avoid fatigue across three short holds
    needs_partner: bool = False    # someone must hold or resist: not for a lifter alone
    equipment: str = ""            # what the task needs besides the lifter
    source: str = ""               # where the task comes from (docs/hardware.md)


REST_TASK = CalibrationTask(
    "rest", "Quiet standing rest", None,
    "Stand relaxed in front of the screen, feet hip-width, arms hanging loosely. Breathe "
    "normally and do not move for the whole recording: this is the noise floor every MVC "
    "and every rep is measured against.", holds=1, hold_s=6.0, rest_between_s=0.0)

# The lifter calibrates alone, standing, facing the laptop, so the tasks below come first;
# the partner tasks stay as alternatives (docs/hardware.md, "MVC tasks").
GLUTE_TASKS: tuple[CalibrationTask, ...] = (
    CalibrationTask(
        "standing_glute_squeeze", "Standing maximal glute squeeze", Muscle.GLUTE,
        "Stand tall, feet hip-width, toes slightly out, knees soft. Squeeze both buttocks "
        "together as hard as you can, without leaning forward or arching the back, and hold "
        "it at maximum until the bar says stop. Ramp up over one second.",
        source="Contreras et al. 2015, PeerJ 3:e1261: as high as the prone test"),
    CalibrationTask(
        "prone_bent_knee_hip_extension", "Prone bent-knee hip extension (partner)", Muscle.GLUTE,
        "Lie face down, knee bent to 90 degrees. A partner holds the back of your thigh down "
        "(or hook the thigh under a fixed strap). Drive the heel toward the ceiling as hard as "
        "you can and hold. Ramp up over 1 s, hold maximal for the rest. Do both legs together "
        "or each leg in turn.", needs_partner=True, equipment="bench or floor, a partner",
        source="SENIAM / Kendall manual muscle test; Contreras et al. 2015"),
)

ERECTOR_TASKS: tuple[CalibrationTask, ...] = (
    CalibrationTask(
        "standing_back_extension_strap", "Standing back extension against a strap",
        Muscle.ERECTOR,
        "Loop a strap or band around your upper back, under the armpits, and fix both ends to "
        "a rack or a door anchor in front of you at chest height. Stand with the hips slightly "
        "bent, back straight, and push backwards into the strap as hard as you can without "
        "moving; hold at maximum until the bar says stop.", equipment="a strap anchored in front",
        source="isometric trunk extension against fixed resistance (Vera-Garcia et al. 2010)"),
    CalibrationTask(
        "biering_sorensen_hold", "Biering-Sørensen hold", Muscle.ERECTOR,
        "Lie face down on a bench with the hips at its edge and the ankles hooked under a "
        "fixed bar or strap, hands crossed on the chest. Lift the trunk to horizontal and "
        "hold it there, pulling the shoulders back as hard as you can. Have the screen on the "
        "floor in front of you so you can see the bar.",
        equipment="a bench and an ankle anchor", source="Biering-Sørensen 1984, Spine 9:106"),
    CalibrationTask(
        "prone_back_extension", "Prone back extension against resistance (partner)",
        Muscle.ERECTOR,
        "Lie face down on a bench with the hips at its edge and the legs held down by a strap "
        "or partner, hands crossed on the chest. Lift the trunk to horizontal against a partner's "
        "hands (or a strap) on the upper back and push up as hard as you can; hold. Repeat all "
        "holds: the largest counts.", needs_partner=True,
        equipment="a bench, a partner", source="Biviá-Roig et al. 2019"),
)


def best_window_rms(envelope_1d: np.ndarray, sample_rate_hz: float, window_s: float = 1.0) -> float:
    """Largest RMS over any ``window_s`` window of an RMS envelope (the steadiest peak of a hold).

    The mean of a moving-RMS envelope's square over a window is the window's mean square.
    Shorter signals use their whole length.
    """
    e = np.asarray(envelope_1d, dtype=float)
    if e.size == 0:
        return 0.0
    w = max(1, min(e.size, int(round(window_s * sample_rate_hz))))
    c = np.concatenate(([0.0], np.cumsum(e * e)))
    ms = (c[w:] - c[:-w]) / w
    return float(np.sqrt(max(ms.max(), 0.0)))


def best_window_mean(envelope_1d: np.ndarray, sample_rate_hz: float, window_s: float = 1.0) -> float:
    """Same as :func:`best_window_rms` for sensor envelopes, which are amplitudes already."""
    e = np.asarray(envelope_1d, dtype=float)
    if e.size == 0:
        return 0.0
    w = max(1, min(e.size, int(round(window_s * sample_rate_hz))))
    c = np.concatenate(([0.0], np.cumsum(e)))
    return float(((c[w:] - c[:-w]) / w).max())


def rest_baseline(envelope_1d: np.ndarray, sample_rate_hz: float, skip_s: float = 1.0,
                  quadrature: bool = True) -> float:
    """Resting level of an envelope, skipping the first ``skip_s`` (filter settling, mains decision).

    quadrature=True: RMS of an RMS envelope (the noise power); False: mean of a sensor envelope.
    """
    e = np.asarray(envelope_1d, dtype=float)
    k = int(round(skip_s * sample_rate_hz))
    if e.size - k < max(1, int(0.5 * sample_rate_hz)):
        k = 0
    part = e[k:]
    if part.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(part * part))) if quadrature else float(np.mean(part))


def trial_quality(envelope: np.ndarray, sample_rate_hz: float, rest_level: float | None = None,
                  min_hold_s: float = 2.0, max_cv: float = 0.35, min_over_rest: float = 3.0) -> tuple[bool, str]:
    """Is this MVC hold usable? Long enough, steady, clearly above rest.

    - long enough: >= ``min_hold_s`` above half the best-1 s level (holds are 3-5 s);
    - stable: coefficient of variation inside the best 1 s window <= ``max_cv``;
    - above rest: best 1 s level >= ``min_over_rest`` x the rest level.
    """
    e = np.asarray(envelope, dtype=float)
    fs = sample_rate_hz
    if e.size < int(min_hold_s * fs):
        return False, f"recording too short: {e.size / fs:.1f} s, need at least {min_hold_s:.1f} s of hold"
    best = best_window_rms(e, fs)
    if best <= 0:
        return False, "no signal: check that the electrode is connected"
    if rest_level is not None and rest_level > 0 and best < min_over_rest * rest_level:
        return False, (f"contraction only {best / rest_level:.1f}x the resting level (need "
                       f"{min_over_rest:.0f}x): push harder or check the electrode")
    held_s = float(np.count_nonzero(e >= 0.5 * best)) / fs
    if held_s < min_hold_s:
        return False, f"hold too short: {held_s:.1f} s near the maximum, need {min_hold_s:.1f} s"
    w = max(1, min(e.size, int(round(fs))))
    c1 = np.concatenate(([0.0], np.cumsum(e)))
    c2 = np.concatenate(([0.0], np.cumsum(e * e)))
    ms = (c2[w:] - c2[:-w]) / w
    i = int(np.argmax(ms))
    mean = (c1[i + w] - c1[i]) / w
    var = max(ms[i] - mean * mean, 0.0)
    cv = float(np.sqrt(var) / mean) if mean > 0 else np.inf
    if cv > max_cv:
        return False, f"hold not steady (variation {cv:.0%} in the best second): hold the effort constant"
    return True, f"ok: {held_s:.1f} s held, variation {cv:.0%}"
