"""Rep scoring: a window of envelope samples + channel roles in, RepResult fields out.

Only signals that deserve it are judged (docs/reps-and-ratio.md, "Which signals judge"):

* a channel flagged by the quality monitor (electrode off, clipping) or with no
  samples in the window is left out, never averaged in. Its amplitude is reported
  as NaN and the reason travels with the rep;
* with a faulted channel, the ratio comes from the side(s) whose glute AND erector
  are both good ("left side only"), so a ratio always compares one side with itself;
  with no such side there is no verdict, and ``no_verdict_reason`` says why
  ("no verdict: R glute electrode off");
* uncalibrated amplitudes (uV, mV) have no %MVC meaning, so they get no absolute
  verdict: ``verdict_basis`` "relative" and ``ratio_relative`` = the ratio over the
  median of the athlete's recent reps.

To extend (e.g. the hip angle at the top), add a function of the same window that
returns more RepResult fields and merge its dict in :meth:`RepDetector._result`.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from ..dsp.quality import QualityFlag
from ..model import DeviceInfo, Muscle, Side, Verdict
from ..onset import hodges_bui_onset, quietest_window
from .params import RepParams

BASIS_BOTH = "both sides"
BASIS_SIDE = {Side.LEFT: "left side only", Side.RIGHT: "right side only"}
BASIS_RELATIVE = "relative"
#: quality flags that make a channel unfit to judge; mains, ECG and motion artefacts are
#: reduced by the filters and only reported
FAULT_FLAGS = {QualityFlag.ELECTRODE_OFF: "electrode off", QualityFlag.CLIPPING: "clipping"}
NO_SIGNAL = "no signal"
UNCALIBRATED_REASON = "uncalibrated: ratio relative to recent reps, calibrate for a verdict"


@dataclass(frozen=True)
class ChannelRole:
    column: int                      # envelope column
    name: str
    muscle: Muscle
    side: Side


def assign_roles(info: DeviceInfo, emg_names: tuple[str, ...]) -> tuple[ChannelRole, ...]:
    """Each envelope column's muscle and side from ``info``; an unsided channel of a muscle
    is "left" the first time, "right" the next."""
    out = []
    unsided: dict[Muscle, int] = {}
    for col, name in enumerate(emg_names):
        try:
            ch = info.channels[info.index(name)]
        except KeyError:
            continue
        if ch.muscle is None:
            continue
        side = ch.side
        if side is None:
            k = unsided.get(ch.muscle, 0)
            unsided[ch.muscle] = k + 1
            side = Side.LEFT if k % 2 == 0 else Side.RIGHT
        out.append(ChannelRole(col, name, ch.muscle, side))
    return tuple(out)


def faults_from_issues(issues: dict) -> dict[str, str]:
    """QualityMonitor issues ({channel: (QualityIssue, ...)}) -> {channel: reason} of the
    channels unfit to judge."""
    out = {}
    for name, found in issues.items():
        reasons = [FAULT_FLAGS[i.flag] for i in found if i.flag in FAULT_FLAGS]
        if reasons:
            out[name] = ", ".join(dict.fromkeys(reasons))
    return out


def verdict_for(ratio: float, target: float, borderline_pct: float = 15.0) -> Verdict:
    """Above target*(1+band): glutes finished; below target*(1-band): lumbar dominant."""
    if not math.isfinite(ratio):
        return Verdict.UNKNOWN
    band = borderline_pct / 100.0
    if ratio >= target * (1 + band):
        return Verdict.GLUTES_FINISHED
    if ratio <= target * (1 - band):
        return Verdict.LUMBAR_DOMINANT
    return Verdict.BORDERLINE


def _mean(values) -> float:
    vals = [v for v in values if math.isfinite(v)]
    return float(sum(vals) / len(vals)) if vals else float("nan")


def _label(role: ChannelRole) -> str:
    return f"{'L' if role.side == Side.LEFT else 'R'} {role.muscle.value}"


class RepScorer:
    """Amplitudes, ratio, verdict, symmetry and onset of one rep from its envelope rows."""

    def __init__(self, roles: tuple[ChannelRole, ...], params: RepParams, amplitude_unit: str,
                 calibrated: bool, quality_flags: tuple[str, ...] = (),
                 emg_names: tuple[str, ...] = ()) -> None:
        self.roles = roles
        self.emg_names = tuple(emg_names) or tuple(r.name for r in roles)
        self.params = params
        self.amplitude_unit = amplitude_unit
        self.calibrated = bool(calibrated)
        self.quality_flags = tuple(quality_flags)
        self.faults: dict[str, str] = {}
        self._recent: dict[str, deque[float]] = {}

    def set_channel_faults(self, faults: dict[str, str]) -> None:
        """{channel name: reason} of the channels that must not be judged from now on."""
        known = set(self.emg_names)       # EMG channels without a muscle role are ignored
        unknown = set(faults) - known
        if unknown:
            raise ValueError(f"no EMG channel named {', '.join(sorted(unknown))} "
                             f"(have: {', '.join(sorted(known))})")
        self.faults = {str(k): str(v) for k, v in faults.items()}

    def good_columns(self) -> list[int]:
        return [r.column for r in self.roles if r.name not in self.faults]

    def score(self, window: np.ndarray, *, complete: bool = True, remember: bool = True) -> dict:
        """RepResult fields from the envelope rows of the lockout window. ``complete`` False:
        amplitudes only, never judged; ``remember``: add the ratio to the relative history."""
        amp: dict[tuple[Muscle, Side], float] = {}
        bad: list[str] = []
        for muscle in Muscle:
            for side in Side:
                mine = [r for r in self.roles if r.muscle == muscle and r.side == side]
                if not mine:
                    continue
                vals = []
                for r in mine:
                    x = window[:, r.column] if window.shape[0] else np.empty(0)
                    x = x[np.isfinite(x)]
                    if r.name in self.faults:
                        bad.append(f"{_label(r)} {self.faults[r.name]}")
                    elif x.size == 0:
                        bad.append(f"{_label(r)} {NO_SIGNAL}")
                    else:
                        vals.append(float(x.mean()))
                amp[(muscle, side)] = _mean(vals) if len(vals) == len(mine) else float("nan")
        g = {s: amp.get((Muscle.GLUTE, s), float("nan")) for s in Side}
        e = {s: amp.get((Muscle.ERECTOR, s), float("nan")) for s in Side}
        bad.sort()
        if bad:      # only sides whose glute and erector are both good
            sides = [s for s in Side if math.isfinite(g[s]) and math.isfinite(e[s])]
        else:
            sides = [s for s in Side if math.isfinite(g[s]) or math.isfinite(e[s])]
        glute, erector = _mean(g[s] for s in sides), _mean(e[s] for s in sides)
        flags = list(self.quality_flags)
        floor = self.params.erector_floor_pct_mvc if self.calibrated else 1e-9
        reason = ""
        ratio = float("nan")
        if not sides:
            reason = "no verdict: " + "; ".join(bad)
        elif not math.isfinite(glute):
            flags.append("no_glute_signal")
            reason = "no verdict: no glute signal"
        elif not (math.isfinite(erector) and erector > floor):
            flags.append("no_erector_signal")
            reason = "no verdict: no erector signal"
        else:
            ratio = glute / erector
        if reason and bad and not reason.endswith("; ".join(bad)):
            reason += "; " + "; ".join(bad)
        basis = BASIS_BOTH if len(sides) != 1 else BASIS_SIDE[sides[0]]
        recent = self._recent.setdefault(basis, deque(maxlen=int(self.params.relative_memory)))
        ratio_rel = ratio / float(np.median(recent)) if recent and math.isfinite(ratio) else float("nan")
        verdict = Verdict.UNKNOWN
        if not complete:
            reason = reason or "partial rep: not judged"
        elif not self.calibrated:
            basis = BASIS_RELATIVE if basis == BASIS_BOTH else f"{BASIS_RELATIVE}; {basis}"
            reason = reason or UNCALIBRATED_REASON
        elif not reason:
            verdict = verdict_for(ratio, self.params.target_ratio, self.params.borderline_pct)
        if remember and complete and math.isfinite(ratio) and ratio > 0:
            recent.append(ratio)
        gl, gr = g[Side.LEFT], g[Side.RIGHT]
        symmetry = (abs(gl - gr) / (0.5 * (gl + gr)) * 100.0
                    if math.isfinite(gl) and math.isfinite(gr) and gl + gr > 0 else float("nan"))
        return dict(glute_left=gl, glute_right=gr, erector_left=e[Side.LEFT],
                    erector_right=e[Side.RIGHT], glute=glute, erector=erector, ratio=ratio,
                    verdict=verdict, no_verdict_reason=reason, verdict_basis=basis,
                    ratio_relative=ratio_rel, symmetry_index_pct=symmetry,
                    quality_flags=tuple(flags), amplitude_unit=self.amplitude_unit,
                    calibrated=self.calibrated)

    def onset_lag(self, rows: np.ndarray, fs: float, baseline_end: int) -> float:
        """Erector onset - glute onset (s) over ``rows`` (bottom .. lockout start): Hodges-Bui
        on the good channels' combined envelopes, baseline = the quietest 0.2 s before
        ``baseline_end`` rows (the bottom and the start of the concentric)."""
        good = set(self.good_columns())
        g_cols = [r.column for r in self.roles if r.muscle == Muscle.GLUTE and r.column in good]
        e_cols = [r.column for r in self.roles if r.muscle == Muscle.ERECTOR and r.column in good]
        if not g_cols or not e_cols or rows.shape[0] < int(0.3 * fs):
            return float("nan")
        base_end = min(rows.shape[0], max(baseline_end, int(0.2 * fs)))
        onsets = []
        for cols in (g_cols, e_cols):
            v = rows[:, cols]
            ok = np.isfinite(v)
            cnt = ok.sum(axis=1)       # a row with no finite value (lost, damaged) is NaN
            x = np.where(cnt > 0, np.where(ok, v, 0.0).sum(axis=1) / np.maximum(cnt, 1), np.nan)
            if not np.isfinite(x).all():
                return float("nan")
            b0, b1 = quietest_window(x[:base_end], fs, 0.2)
            onsets.append(hodges_bui_onset(x, fs, (b0, b1), k=3.0, min_duration_s=0.05,
                                           min_rise_fraction=0.3))
        if onsets[0] is None or onsets[1] is None:
            return float("nan")
        return (onsets[1] - onsets[0]) / fs
