"""MVC calibration from raw task recordings, through the same pipeline as the live path.

Above ``pipeline.py`` (it runs the pipeline on each trial), which itself only needs the
:class:`~.calibration.Calibration` record: the two never import each other.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt

import numpy as np

from ..model import DeviceInfo, Kind, Muscle
from .calibration import (Calibration, best_window_mean, best_window_rms,
                          rest_baseline)
from .pipeline import FilterSettings, Pipeline


def _settings_with_mains(rest: np.ndarray, info: DeviceInfo, settings):
    """Decide the mains line once, on the rest recording, so every task is filtered alike."""
    if settings.mains != "auto":
        return settings
    pipe = Pipeline(info, settings)
    pipe.process(rest)
    hz = pipe.mains_hz
    return dataclasses.replace(settings, mains="off" if hz is None else str(int(hz)))


def calibrate(rest: np.ndarray, glute_trials: list[np.ndarray], erector_trials: list[np.ndarray],
              info: DeviceInfo, settings=None, *, glute_task_names: list[str] | None = None,
              erector_task_names: list[str] | None = None, skip_s: float = 0.5,
              created_iso: str | None = None) -> Calibration:
    """Rest floor and MVC per EMG channel from raw task recordings (n, n_channels).

    Glute channels take their MVC from the glute trials, erector channels from the
    erector trials; each trial's best 1 s window, the largest over trials, minus the
    rest floor in quadrature (RMS channels) or linearly (sensor envelopes).
    """
    settings = settings or FilterSettings()
    fs = float(info.sample_rate_hz)
    emg = [info.channels[i] for i in info.emg_indices()]
    if not emg:
        raise ValueError("the device has no EMG channels to calibrate")
    units = {ch.unit for ch in emg}
    if len(units) != 1:
        raise ValueError("calibration needs all EMG channels in one unit")
    if not glute_trials and any(ch.muscle == Muscle.GLUTE for ch in emg):
        raise ValueError("no glute MVC trial recorded: record at least one glute task")
    if not erector_trials and any(ch.muscle == Muscle.ERECTOR for ch in emg):
        raise ValueError("no erector MVC trial recorded: record at least one erector task")
    settings = _settings_with_mains(np.asarray(rest, dtype=float), info, settings)
    k = int(round(skip_s * fs))

    def envelopes(data: np.ndarray) -> np.ndarray:
        env = Pipeline(info, settings).process(np.asarray(data, dtype=float)).envelope
        return env[k:] if env.shape[0] - k >= int(fs) else env

    rest_env = Pipeline(info, settings).process(np.asarray(rest, dtype=float)).envelope
    g_names = glute_task_names or [f"glute trial {i + 1}" for i in range(len(glute_trials))]
    e_names = erector_task_names or [f"erector trial {i + 1}" for i in range(len(erector_trials))]
    trial_env = {Muscle.GLUTE: [(n, envelopes(t)) for n, t in zip(g_names, glute_trials)],
                 Muscle.ERECTOR: [(n, envelopes(t)) for n, t in zip(e_names, erector_trials)]}
    rest_rms, mvc_rms, tasks = {}, {}, {}
    for j, ch in enumerate(emg):
        quad = ch.kind == Kind.RAW_EMG
        rest_level = rest_baseline(rest_env[:, j], fs, skip_s=1.0, quadrature=quad)
        own = trial_env.get(ch.muscle) if ch.muscle is not None else None
        trials = own or trial_env[Muscle.GLUTE] + trial_env[Muscle.ERECTOR]
        best, best_task = 0.0, ""
        for name, env in trials:
            level = best_window_rms(env[:, j], fs) if quad else best_window_mean(env[:, j], fs)
            if level > best:
                best, best_task = level, name
        mvc = np.sqrt(max(best ** 2 - rest_level ** 2, 0.0)) if quad else max(best - rest_level, 0.0)
        rest_rms[ch.name] = rest_level
        mvc_rms[ch.name] = float(mvc)
        tasks[ch.name] = best_task
    created = created_iso or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return Calibration(created, units.pop(), rest_rms, mvc_rms, tasks)
