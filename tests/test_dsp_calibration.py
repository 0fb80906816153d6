"""MVC calibration and athlete profiles."""
import json

import numpy as np
import pytest
from scipy import signal

from emg_monitor.dsp import (ERECTOR_TASKS, GLUTE_TASKS, Calibration, FilterSettings, Pipeline,
                             best_window_rms, calibrate, trial_quality)
from emg_monitor.errors import UserError
from emg_monitor.model import EMG_PIN_ROLES, MOTION_PIN_NAMES, Channel, DeviceInfo, Kind, Muscle
from emg_monitor.profiles import AthleteProfile, list_profiles, load_profile, save_profile

FS = 1000.0
NAMES = [n for n, _, _ in EMG_PIN_ROLES]
GLUTE = [i for i, (_, m, _) in enumerate(EMG_PIN_ROLES) if m == Muscle.GLUTE]
ERECTOR = [i for i, (_, m, _) in enumerate(EMG_PIN_ROLES) if m == Muscle.ERECTOR]


def info():
    chans = tuple(Channel(n, Kind.RAW_EMG, "uV", m, s) for n, m, s in EMG_PIN_ROLES)
    chans += tuple(Channel(n, Kind.MOTION, "g") for n in MOTION_PIN_NAMES)
    return DeviceInfo(FS, chans)


def task(levels_uv, seconds, rng, noise_uv=3.0, hum_uv=20.0):
    """Raw data: sEMG at the given per-channel RMS plus electrode noise and 50 Hz hum."""
    n = int(seconds * FS)
    sos = signal.butter(4, [20, 350], "bandpass", fs=FS, output="sos")
    s = signal.sosfilt(sos, rng.normal(size=(n, 4)), axis=0)
    s = s / s.std(axis=0)
    nz = signal.sosfilt(sos, rng.normal(size=(n, 4)), axis=0)
    nz = nz / nz.std(axis=0)
    t = np.arange(n) / FS
    data = np.zeros((n, 6))
    data[:, :4] = s * np.asarray(levels_uv) + nz * noise_uv + hum_uv * np.sin(2 * np.pi * 50 * t)[:, None]
    return data


def test_best_window_rms_finds_the_steadiest_peak():
    env = np.concatenate([np.full(1000, 10.0), np.full(1500, 40.0), np.full(1000, 5.0)])
    assert best_window_rms(env, 1000.0) == pytest.approx(40.0)
    short = np.full(300, 7.0)
    assert best_window_rms(short, 1000.0) == pytest.approx(7.0)


def test_calibrate_takes_the_largest_trial_per_muscle_and_removes_noise():
    rng = np.random.default_rng(0)
    rest = task([0, 0, 0, 0], 5, rng)
    g1 = task([100, 10, 100, 10], 5, rng)
    g2 = task([160, 12, 150, 12], 5, rng)       # the squeeze wins for the glutes
    e1 = task([20, 90, 20, 80], 5, rng)
    e2 = task([20, 60, 20, 120], 5, rng)        # the repeat wins on one side only
    cal = calibrate(rest, [g1, g2], [e1, e2], info(), FilterSettings(),
                    glute_task_names=["prone", "squeeze"], erector_task_names=["ext1", "ext2"])
    # the chain's gain on the pure signal: measure the 160 uV glute through it without noise
    assert cal.unit == "uV"
    assert cal.tasks[NAMES[GLUTE[0]]] == "squeeze"
    assert cal.tasks[NAMES[ERECTOR[0]]] == "ext1"
    assert cal.tasks[NAMES[ERECTOR[1]]] == "ext2"
    gain = cal.mvc_rms[NAMES[GLUTE[0]]] / 160.0
    assert 0.85 < gain < 1.05         # band-pass passes most of a 20-350 Hz signal
    assert cal.mvc_rms[NAMES[GLUTE[1]]] / 150.0 == pytest.approx(gain, rel=0.05)
    assert cal.mvc_rms[NAMES[ERECTOR[0]]] / 90.0 == pytest.approx(gain, rel=0.05)
    assert cal.mvc_rms[NAMES[ERECTOR[1]]] / 120.0 == pytest.approx(gain, rel=0.05)
    for n in NAMES:
        assert 2.0 < cal.rest_rms[n] < 3.5          # the noise floor, hum notched out
    # a contraction at half the MVC then reads ~50 %MVC
    half = task([80, 45, 75, 60], 4, rng)
    pipe = Pipeline(info(), FilterSettings(), cal)
    pct = pipe.process(half).envelope[int(1.5 * FS):].mean(axis=0)
    np.testing.assert_allclose(pct, 50.0, rtol=0.08)


def test_calibrate_requires_trials():
    rng = np.random.default_rng(1)
    rest = task([0, 0, 0, 0], 3, rng)
    with pytest.raises(ValueError, match="glute"):
        calibrate(rest, [], [task([1, 50, 1, 50], 3, rng)], info(), FilterSettings())


def test_trial_quality_accepts_a_steady_hold_and_explains_rejections():
    fs = 1000.0
    rng = np.random.default_rng(2)
    hold = np.concatenate([np.full(500, 3.0), 100 + 10 * rng.normal(size=4000), np.full(500, 3.0)])
    ok, reason = trial_quality(hold, fs, rest_level=3.0)
    assert ok, reason
    ok, reason = trial_quality(hold[:1500], fs)
    assert not ok and "short" in reason
    weak = np.concatenate([np.full(500, 3.0), 6 + 0.5 * rng.normal(size=4000)])
    ok, reason = trial_quality(weak, fs, rest_level=3.0)
    assert not ok and "resting level" in reason
    blip = np.concatenate([np.full(3000, 3.0), np.full(800, 100.0), np.full(2000, 3.0)])
    ok, reason = trial_quality(blip, fs, rest_level=3.0)
    assert not ok and "hold too short" in reason
    shaky = np.abs(100 * np.sin(2 * np.pi * 2 * np.arange(4000) / fs)) + 1
    ok, reason = trial_quality(shaky, fs, rest_level=1.0, min_hold_s=1.0)
    assert not ok and "steady" in reason


def test_protocol_is_described_for_the_wizard():
    assert {t.muscle for t in GLUTE_TASKS} == {Muscle.GLUTE}
    assert {t.muscle for t in ERECTOR_TASKS} == {Muscle.ERECTOR}
    keys = {t.key for t in GLUTE_TASKS}
    assert {"prone_bent_knee_hip_extension", "standing_glute_squeeze"} <= keys
    for t in GLUTE_TASKS + ERECTOR_TASKS:
        assert t.holds == 3 and 3.0 <= t.hold_s <= 5.0 and t.rest_between_s > 0 and len(t.instructions) > 40


def test_calibration_round_trip_and_damage():
    cal = Calibration("2026-01-02T03:04:05+00:00", "uV", {"a": 2.0}, {"a": 100.0}, {"a": "squeeze"})
    assert Calibration.from_dict(json.loads(json.dumps(cal.to_dict()))) == cal
    with pytest.raises(ValueError):
        Calibration.from_dict({"unit": "uV"})


def test_profiles_save_load_list_latest(tmp_path, monkeypatch):
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path))
    old = Calibration("2026-01-01T00:00:00+00:00", "uV", {"a": 2.0}, {"a": 90.0}, {})
    new = Calibration("2026-02-01T00:00:00+00:00", "uV", {"a": 2.5}, {"a": 110.0}, {})
    p = AthleteProfile("Ana María", [new, old])
    path = save_profile(p)
    assert path.parent == tmp_path / "profiles"
    assert list(path.parent.glob("*.tmp")) == []
    back = load_profile("Ana María")
    assert back == p and back.latest_calibration() == new
    assert list_profiles() == ["Ana María"]
    other = tmp_path / "elsewhere"
    save_profile(AthleteProfile("Bo"), home=other)
    assert list_profiles(other) == ["Bo"] and load_profile("Bo", home=other).latest_calibration() is None


def test_corrupt_or_missing_profile_is_a_user_error(tmp_path):
    save_profile(AthleteProfile("Cy"), home=tmp_path)
    f = tmp_path / "profiles" / "Cy.json"
    f.write_text("{ not json")
    with pytest.raises(UserError, match="damaged"):
        load_profile("Cy", home=tmp_path)
    f.write_text(json.dumps({"name": "Cy", "calibrations": [{"unit": "uV"}]}))
    with pytest.raises(UserError, match="damaged"):
        load_profile("Cy", home=tmp_path)
    with pytest.raises(UserError, match="no profile"):
        load_profile("Nobody", home=tmp_path)
