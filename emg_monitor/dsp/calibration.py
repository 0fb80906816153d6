"""Normalising to maximal voluntary isometric contraction (MVIC): rest floor and MVC per channel.

Raw sEMG amplitude depends on skin, fat and electrode placement, so a ratio of
glute to erector microvolts says little; a ratio of %MVC does. The protocol:

* rest: the noise floor, removed in quadrature later (noise and EMG are
  independent, so their powers add).
* glutes: the larger of prone bent-knee hip extension and standing glute
  squeeze (Contreras et al. 2015, J Appl Biomech 31:452: neither task gave the
  highest gluteus maximus MVIC in every subject).
* erectors: the prone back extension repeated, keeping the largest (Biviá-Roig
  et al. 2019: a single MVIC task misses the maximum in about a third of people).
* each task: 3 holds of 5 s, the best 1 s window of each, 30 s rest between holds.
"""
from __future__ import annotations

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
            return cls(created_iso=str(d["created_iso"]), unit=str(d["unit"]),
                       rest_rms={str(k): float(v) for k, v in d["rest_rms"].items()},
                       mvc_rms={str(k): float(v) for k, v in d["mvc_rms"].items()},
                       tasks={str(k): str(v) for k, v in d.get("tasks", {}).items()})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"calibration record is damaged ({exc}): calibrate again") from exc


@dataclass(frozen=True)
class CalibrationTask:
    key: str
    name: str
    muscle: Muscle | None          # None: the rest recording
    instructions: str
    holds: int = 3
    hold_s: float = 5.0
    rest_between_s: float = 30.0   # enough to avoid fatigue across three short holds


REST_TASK = CalibrationTask(
    "rest", "Quiet rest", None,
    "Lie face down, arms by your sides, completely relaxed. Breathe normally and do not move "
    "for the whole recording.", holds=1, hold_s=10.0, rest_between_s=0.0)

GLUTE_TASKS: tuple[CalibrationTask, ...] = (
    CalibrationTask(
        "prone_bent_knee_hip_extension", "Prone bent-knee hip extension", Muscle.GLUTE,
        "Lie face down, knee bent to 90 degrees. A partner holds the back of your thigh down "
        "(or hook the thigh under a fixed strap). Drive the heel toward the ceiling as hard as "
        "you can and hold. Ramp up over 1 s, hold maximal for the rest. Do both legs together "
        "or each leg in turn."),
    CalibrationTask(
        "standing_glute_squeeze", "Standing glute squeeze", Muscle.GLUTE,
        "Stand tall, feet hip-width, toes slightly out. Squeeze both buttocks together as hard "
        "as you can without bending forward and hold."),
)

ERECTOR_TASKS: tuple[CalibrationTask, ...] = (
    CalibrationTask(
        "prone_back_extension", "Prone back extension against resistance", Muscle.ERECTOR,
        "Lie face down on a bench with the hips at its edge and the legs held down by a strap "
        "or partner, hands crossed on the chest. Lift the trunk to horizontal against a partner's "
        "hands (or a strap) on the upper back and push up as hard as you can; hold. Repeat all "
        "holds: the largest counts."),
    CalibrationTask(
        "prone_back_extension_repeat", "Prone back extension (second set)", Muscle.ERECTOR,
        "Same as before after at least one minute of rest. A second set finds the maximum "
        "that one set misses in about a third of people."),
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
