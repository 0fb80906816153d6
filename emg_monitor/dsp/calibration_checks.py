"""Checks a lifter calibrating alone needs, with reasons they can act on.

Pure functions on raw samples (n, n_channels) in channel units; the wizard runs
them on a worker thread. Three moments:

* ``signal_check``: before anything is recorded, per channel: contact (not a flat
  line, not stuck at a rail), noise at rest, mains pickup. All must pass first:
  an MVC recorded through a lifted electrode would scale every later rep wrongly.
* ``rest_check``: the rest recording is quiet (no movement, no bursts) and no
  channel is dead; returns the resting levels the holds are compared with.
* ``hold_check``: one MVC hold of one muscle, per channel of that muscle: a dead
  channel is said to be dead (not "hold too short"), then ``trial_quality``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..model import DeviceInfo, Kind, Muscle, unit_label
from .calibration import rest_baseline, trial_quality
from .pipeline import FilterSettings, Pipeline

#: standard deviation below which a raw channel is a flat line (no contact), per unit
FLAT_STD = {"uV": 0.5, "mV": 0.0005, "V": 5e-7}
#: resting noise above this (band-passed RMS, per unit) means poor contact or dirty skin;
#: a prepared site on a relaxed muscle gives 2-10 µV with MyoWare-class amplifiers
NOISE_MAX = {"uV": 25.0, "mV": 100.0}
#: mains (50/60 Hz and harmonics) carrying more than this share of the raw power at rest
MAINS_MAX_FRACTION = 0.5
#: rest: envelope peaks above this multiple of its median are bursts (the lifter moved)
REST_BURST_RATIO = 4.0
#: rest: trunk inclination range above this (deg) or accelerometer SD above this (g)
REST_MAX_TILT_DEG = 8.0
REST_MAX_ACCEL_SD_G = 0.05


@dataclass(frozen=True)
class ChannelCheck:
    channel: str
    ok: bool
    reason: str             # what was found and, if not ok, what to do
    noise: float = math.nan          # band-passed RMS at rest, channel unit
    mains_fraction: float = math.nan


def short_name(name: str) -> str:
    side, _, muscle = name.partition("_")
    return f"{side[0].upper()} {muscle}" if side in ("left", "right") and muscle else name


def _flat(x: np.ndarray, unit: str) -> bool:
    return float(np.std(x)) < FLAT_STD.get(unit, 0.5)


def _railed(x: np.ndarray) -> bool:
    """Most samples at one extreme value: an input pulled to a rail (open lead)."""
    if x.size == 0:
        return False
    lo, hi = float(x.min()), float(x.max())
    return bool(max(np.count_nonzero(x == lo), np.count_nonzero(x == hi)) > 0.2 * x.size)


def _mains_fraction(x: np.ndarray, fs: float) -> float:
    x = x - x.mean()
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    f = np.fft.rfftfreq(x.size, 1.0 / fs)
    total = float(spec[f >= 5.0].sum())
    if total <= 0:
        return 0.0
    best = 0.0
    for base in (50.0, 60.0):
        band = np.zeros_like(f, dtype=bool)
        for k in (1, 2, 3):
            if base * k < fs / 2:
                band |= np.abs(f - base * k) <= 1.5
        best = max(best, float(spec[band].sum()) / total)
    return best


def signal_check(raw: np.ndarray, info: DeviceInfo, filters: FilterSettings | None = None
                 ) -> list[ChannelCheck]:
    """Contact, noise and mains per EMG channel, on >= 1 s of the lifter standing relaxed."""
    fs = float(info.sample_rate_hz)
    raw = np.asarray(raw, dtype=float)
    if raw.shape[0] < int(fs):
        raise ValueError("the signal check needs at least 1 s of samples")
    emg_idx = info.emg_indices()
    pipe = Pipeline(info, filters or FilterSettings())
    filtered = pipe.process(raw).filtered
    skip = min(int(0.5 * fs), filtered.shape[0] // 2)     # filter settling
    out = []
    for j, i in enumerate(emg_idx):
        ch = info.channels[i]
        label = short_name(ch.name)
        x = raw[:, i]
        if _flat(x, ch.unit) or _railed(x):
            out.append(ChannelCheck(ch.name, False, f"{label}: no contact (flat line) — the "
                                    "electrode is off or the cable is out: press the snaps on, "
                                    "check the lead"))
            continue
        if ch.kind != Kind.RAW_EMG:       # a sensor's own envelope: contact is all we can see
            out.append(ChannelCheck(ch.name, True, f"{label}: contact OK"))
            continue
        mains = _mains_fraction(x, fs)
        noise = float(np.sqrt(np.mean(filtered[skip:, j] ** 2)))
        limit = NOISE_MAX.get(ch.unit, math.inf)
        if mains > MAINS_MAX_FRACTION:
            out.append(ChannelCheck(ch.name, False, f"{label}: mains hum ({mains:.0%} of the "
                                    "signal) — an electrode is lifting or the reference is dry: "
                                    "press it on, re-wet or replace it", noise, mains))
        elif noise > limit:
            out.append(ChannelCheck(ch.name, False, f"{label}: noisy at rest ({noise:.0f} "
                                    f"{unit_label(ch.unit)}, want < {limit:.0f}) — relax, or clean the skin "
                                    "and press the electrode on", noise, mains))
        else:
            unit = unit_label(ch.unit)
            out.append(ChannelCheck(ch.name, True, f"{label}: contact OK, noise {noise:.1f} "
                                    f"{unit}", noise, mains))
    return out


@dataclass(frozen=True)
class RestResult:
    ok: bool
    reason: str
    levels: dict[str, float]         # resting envelope level per EMG channel


def rest_check(raw: np.ndarray, info: DeviceInfo, filters: FilterSettings | None = None
               ) -> RestResult:
    """Quiet rest: no dead channel, no movement (motion channels), no EMG bursts."""
    fs = float(info.sample_rate_hz)
    raw = np.asarray(raw, dtype=float)
    if raw.shape[0] < int(2 * fs):
        return RestResult(False, f"rest too short ({raw.shape[0] / fs:.1f} s): stay still for "
                          "the whole countdown", {})
    emg = [info.channels[i] for i in info.emg_indices()]
    dead = [short_name(ch.name) for i, ch in zip(info.emg_indices(), emg)
            if _flat(raw[:, i], ch.unit) or _railed(raw[:, i])]
    if dead:
        return RestResult(False, f"{', '.join(dead)}: no signal (a flat line) — the electrode "
                          "is off or the cable is loose; fix it and retry this step", {})
    for i in info.motion_indices():
        ch = info.channels[i]
        x = raw[:, i]
        if ch.unit == "deg" and float(np.ptp(x)) > REST_MAX_TILT_DEG:
            return RestResult(False, f"you moved during the rest (trunk moved {np.ptp(x):.0f}°): "
                              "stand still and retry", {})
        if ch.unit == "g" and float(np.std(x)) > REST_MAX_ACCEL_SD_G:
            return RestResult(False, "you moved during the rest (the trunk sensor moved): stand "
                              "still and retry", {})
    env = Pipeline(info, filters or FilterSettings()).process(raw).envelope
    k = min(int(1.0 * fs), env.shape[0] // 2)
    levels = {}
    for j, ch in enumerate(emg):
        e = env[k:, j]
        quad = ch.kind == Kind.RAW_EMG
        levels[ch.name] = rest_baseline(env[:, j], fs, skip_s=1.0, quadrature=quad)
        median = float(np.median(e))
        if median > 0 and float(np.max(e)) > REST_BURST_RATIO * median:
            return RestResult(False, f"{short_name(ch.name)} was active during the rest (a burst "
                              f"{np.max(e) / median:.0f}x the resting level): relax completely "
                              "and stand still, then retry", {})
    text = ", ".join(f"{short_name(ch.name)} {levels[ch.name]:.1f} {unit_label(ch.unit)}" for ch in emg)
    return RestResult(True, f"rest recorded: {text}", levels)


def hold_check(raw: np.ndarray, info: DeviceInfo, muscle: Muscle,
               rest_levels: dict[str, float], filters: FilterSettings | None = None
               ) -> tuple[bool, str]:
    """One MVC hold, judged on the channels of ``muscle``."""
    fs = float(info.sample_rate_hz)
    raw = np.asarray(raw, dtype=float)
    if raw.shape[0] < int(fs):
        return False, f"recording too short ({raw.shape[0] / fs:.1f} s)"
    idx = [i for i in info.emg_indices() if info.channels[i].muscle == muscle]
    dead = [short_name(info.channels[i].name) for i in idx
            if _flat(raw[:, i], info.channels[i].unit) or _railed(raw[:, i])]
    if dead:
        return False, (f"{', '.join(dead)}: no signal (a flat line) — the electrode is off or "
                       "the cable is loose; fix it and retry this hold")
    env = Pipeline(info, filters or FilterSettings()).process(raw).envelope
    skip = int(0.5 * fs) if env.shape[0] > 3 * fs else 0
    emg = info.emg_indices()
    problems: list[str] = []
    notes: list[str] = []
    for j, i in enumerate(emg):
        ch = info.channels[i]
        if ch.muscle != muscle:
            continue
        ok, reason = trial_quality(env[skip:, j], fs, rest_level=rest_levels.get(ch.name))
        (notes if ok else problems).append(f"{short_name(ch.name)}: {reason}")
    if problems:
        return False, "; ".join(problems)
    return True, "; ".join(notes)


def hold_level(envelope_rows: np.ndarray, names: tuple[str, ...], muscle: Muscle,
               last_s: float = 0.3) -> float:
    """Mean envelope of ``muscle``'s channels over the last ``last_s`` of display rows
    (t_s, envelope per channel, ...): the live level bar during a hold."""
    if envelope_rows is None or len(envelope_rows) == 0:
        return math.nan
    t = envelope_rows[:, 0]
    recent = envelope_rows[t >= t[-1] - last_s]
    cols = [k + 1 for k, n in enumerate(names) if muscle.value in n]
    if not cols:
        return math.nan
    return float(np.nanmean(recent[:, cols]))
