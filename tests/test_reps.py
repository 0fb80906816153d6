"""Rep detection and the lockout ratio on simulated sessions with ground truth."""
from __future__ import annotations

import math

import numpy as np
import pytest

from emg_monitor.analysis import analyze_recording
from emg_monitor.dsp.calibration import Calibration
from emg_monitor.dsp.pipeline import FilterSettings, Pipeline
from emg_monitor.exercises import EXERCISES, get_exercise
from emg_monitor.model import Channel, DeviceInfo, Kind, Muscle, Side, Verdict
from emg_monitor.motion import MotionTracker
from emg_monitor.reps import RepDetector, verdict_for
from emg_monitor.sim.athlete import Athlete, AthleteConfig, Contamination


def true_calibration(athlete: Athlete) -> Calibration:
    c = athlete.config
    return Calibration("test", "uV", {}, {
        ch.name: (c.glute_mvc_uv if ch.muscle == Muscle.GLUTE else c.erector_mvc_uv)
        for ch in athlete.channels if ch.is_emg})


def run_sim(config: AthleteConfig, use_motion: bool = True, mains: str = "auto"):
    athlete = Athlete(config)
    info = DeviceInfo(config.sample_rate_hz, athlete.channels)
    result = analyze_recording(athlete.render_all(), info, exercise=config.exercise,
                               settings=FilterSettings(mains=mains),
                               calibration=true_calibration(athlete), use_motion=use_motion)
    return athlete, result


def match(reps, truth):
    """Each true rep -> the detected rep with the nearest top."""
    tops = np.array([r.t_top_s for r in reps])
    return [(reps[int(np.argmin(np.abs(tops - t.t_top_s)))], t) for t in truth]


CASES = [
    # seed, rate, contamination, tempo changes, exercise
    (0, 1000.0, Contamination(mains_hz=50, ecg=True), {}, "deadlift"),
    (1, 2000.0, Contamination(mains_hz=60, motion_artifacts=True), {}, "deadlift"),
    (2, 1000.0, Contamination(mains_hz=60, ecg=True, motion_artifacts=True),
     dict(concentric_s=0.8, eccentric_s=1.0, top_hold_s=0.6, bottom_pause_s=0.0), "squat"),
    (3, 2000.0, Contamination(mains_hz=50), dict(concentric_s=2.0, eccentric_s=2.5, top_hold_s=2.0,
                                                 bottom_pause_s=1.5), "romanian_deadlift"),
    (4, 1000.0, Contamination(ecg=True), {}, "hip_thrust"),
]


@pytest.mark.parametrize("seed,rate,cont,tempo,exercise", CASES)
def test_motion_mode_counts_tops_and_ratio(seed, rate, cont, tempo, exercise):
    cfg = AthleteConfig(exercise=exercise, sets=2, reps_per_set=4, rest_between_sets_s=8.0,
                        sample_rate_hz=rate, seed=seed, contamination=cont, **tempo)
    athlete, result = run_sim(cfg)
    assert len(result.reps) == len(athlete.truth)
    for rep, truth in match(result.reps, athlete.truth):
        assert abs(rep.t_top_s - truth.t_top_s) < 0.3
        assert rep.ratio == pytest.approx(truth.ratio, rel=0.2)
        assert rep.calibrated and rep.amplitude_unit == "pct_mvc"
        assert rep.t_start_s < rep.window_start_s <= rep.t_top_s <= rep.window_end_s <= rep.t_end_s
        expected = Verdict.LUMBAR_DOMINANT if truth.compensated else Verdict.GLUTES_FINISHED
        assert rep.verdict == expected
        assert rep.exercise == exercise


def test_compensated_reps_show_erector_first_onset():
    cfg = AthleteConfig(sets=1, reps_per_set=8, lumbar_pattern=(False, True), seed=5)
    athlete, result = run_sim(cfg)
    lags = {t.compensated: [] for t in athlete.truth}
    for rep, truth in match(result.reps, athlete.truth):
        lags[truth.compensated].append(rep.onset_lag_s)
    # compensated: erectors fire ~0.7 s before the glutes (truth -0.69 s)
    assert np.nanmedian(lags[True]) < -0.4
    assert np.nanmedian(lags[False]) > np.nanmedian(lags[True]) + 0.4


def test_emg_only_mode_counts_reps():
    cfg = AthleteConfig(sets=2, reps_per_set=5, rest_between_sets_s=10.0, seed=7,
                        contamination=Contamination(mains_hz=50, ecg=True))
    athlete, result = run_sim(cfg, use_motion=False)
    assert not result.use_motion
    assert len(result.reps) == len(athlete.truth)
    errors = [abs(r.t_top_s - t.t_top_s) for r, t in match(result.reps, athlete.truth)]
    assert max(errors) < 0.5
    verdict_ok = [(r.verdict == Verdict.LUMBAR_DOMINANT) == t.compensated
                  for r, t in match(result.reps, athlete.truth)]
    assert all(verdict_ok)


def test_chunked_streaming_equals_one_call():
    cfg = AthleteConfig(sets=1, reps_per_set=3, seed=11, contamination=Contamination(mains_hz=50))
    athlete = Athlete(cfg)
    info = DeviceInfo(cfg.sample_rate_hz, athlete.channels)
    data = athlete.render_all()
    cal = true_calibration(athlete)
    ex = get_exercise("deadlift")

    def run(chunk: int, use_motion: bool):
        pipe = Pipeline(info, FilterSettings(mains="50"), cal)
        motion = MotionTracker(info)
        det = RepDetector(info, pipe.emg_names, pipe.envelope_unit, pipe.calibrated, ex,
                          info.sample_rate_hz, use_motion)
        reps = []
        for a in range(0, data.shape[0], chunk):
            block = data[a:a + chunk]
            pr = pipe.process(block)
            reps += det.update(a, pr.envelope, motion.process(block))
        return reps

    for use_motion in (True, False):
        whole = run(data.shape[0], use_motion)
        chunked = run(37, use_motion)
        assert len(whole) == 3
        assert [r.t_top_s for r in whole] == [r.t_top_s for r in chunked]
        np.testing.assert_allclose([r.ratio for r in whole], [r.ratio for r in chunked], rtol=1e-9)


def _synthetic(fs: float, angle: np.ndarray, glute: np.ndarray, erector: np.ndarray):
    info = DeviceInfo(fs, (Channel("g", Kind.ENVELOPE, "mV", Muscle.GLUTE, Side.LEFT),
                           Channel("e", Kind.ENVELOPE, "mV", Muscle.ERECTOR, Side.LEFT),
                           Channel("a", Kind.MOTION, "deg")))
    return info, np.column_stack([glute, erector])


def test_partial_reps_and_pauses():
    """A 15-deg wobble is no rep; a long pause at the bottom is still one rep."""
    fs = 100.0
    seg = []

    def move(a, b, s):
        n = int(s * fs)
        x = np.linspace(0, 1, n, endpoint=False)
        seg.append(a + (b - a) * (10 * x**3 - 15 * x**4 + 6 * x**5))

    move(0, 0, 2); move(0, 70, 1.5); move(70, 70, 0.5); move(70, 0, 1.2); move(0, 0, 1.0)  # rep 1
    move(0, 15, 0.8); move(15, 0, 0.8); move(0, 0, 1.0)                                    # partial
    move(0, 70, 1.5); move(70, 70, 6.0); move(70, 0, 1.2); move(0, 0, 2.0)                 # rep 2
    angle = np.concatenate(seg)
    n = angle.size
    info, env = _synthetic(fs, angle, np.full(n, 60.0), np.full(n, 30.0))
    det = RepDetector(info, ("g", "e"), "pct_mvc", True, get_exercise("deadlift"), fs, True)
    reps = det.update(0, env, angle)
    assert [r.rep for r in reps] == [1]          # rep 2 is still in its lockout at the end
    reps += det.flush()
    assert [r.rep for r in reps] == [1, 2]
    assert reps[0].ratio == pytest.approx(2.0)
    assert reps[0].verdict == Verdict.GLUTES_FINISHED
    assert 5.2 < reps[0].t_top_s < 6.7          # top hold from 5.2 s to 6.2 s (+ the last rest)
    assert math.isnan(reps[0].symmetry_index_pct)   # one side only


def test_top_at_max_and_new_set():
    fs = 200.0
    t = np.arange(0, 20, 1 / fs)
    angle = 60 * (1 - np.cos(2 * np.pi * t / 4)) / 2        # tops (max) at 2, 6, 10, 14, 18 s
    n = t.size
    info, env = _synthetic(fs, angle, np.full(n, 20.0), np.full(n, 40.0))
    det = RepDetector(info, ("g", "e"), "pct_mvc", True, get_exercise("squat"), fs, True,
                      top_at="max")
    half = n // 2
    first = det.update(0, env[:half], angle[:half])
    det.new_set()
    second = det.update(half, env[half:], angle[half:])
    tops = [r.t_top_s for r in first + second]
    assert len(tops) >= 4
    for top in tops:
        assert min(abs(top - k) for k in (2, 6, 10, 14, 18)) < 0.25
    assert all(r.set_index == 1 for r in first) and all(r.set_index == 2 for r in second)
    assert second[0].rep == 1
    assert all(r.verdict == Verdict.LUMBAR_DOMINANT for r in first + second)   # 0.5 < 0.85


def test_silent_erector_gives_nan_ratio_and_flag():
    fs = 100.0
    t = np.arange(0, 12, 1 / fs)
    angle = 70 * (1 - np.cos(2 * np.pi * t / 4)) / 2
    n = t.size
    info, env = _synthetic(fs, angle, np.full(n, 50.0), np.zeros(n))
    det = RepDetector(info, ("g", "e"), "pct_mvc", True, get_exercise("deadlift"), fs, True,
                      quality_flags=("left_erector:electrode_off",))
    reps = det.update(0, env, angle)
    assert reps
    assert all(math.isnan(r.ratio) and r.verdict == Verdict.UNKNOWN for r in reps)
    assert all("no_erector_signal" in r.quality_flags for r in reps)
    assert all("left_erector:electrode_off" in r.quality_flags for r in reps)


def test_verdict_band_and_target_override():
    assert verdict_for(1.2, 1.0) == Verdict.GLUTES_FINISHED
    assert verdict_for(1.1, 1.0) == Verdict.BORDERLINE
    assert verdict_for(0.9, 1.0) == Verdict.BORDERLINE
    assert verdict_for(0.8, 1.0) == Verdict.LUMBAR_DOMINANT
    assert verdict_for(float("nan"), 1.0) == Verdict.UNKNOWN
    assert verdict_for(1.2, 1.5) == Verdict.LUMBAR_DOMINANT


def test_exercises():
    assert set(EXERCISES) == {"deadlift", "squat", "hip_thrust", "romanian_deadlift"}
    assert get_exercise("deadlift").target_ratio == pytest.approx(1.0)
    assert get_exercise("hip_thrust").target_ratio > get_exercise("deadlift").target_ratio
    assert get_exercise("romanian_deadlift").target_ratio < get_exercise("deadlift").target_ratio
    assert get_exercise("Romanian-Deadlift").name == "romanian_deadlift"
    with pytest.raises(ValueError, match="deadlift"):
        get_exercise("bench_press")


def test_symmetry_index():
    fs = 100.0
    t = np.arange(0, 12, 1 / fs)
    angle = 70 * (1 - np.cos(2 * np.pi * t / 4)) / 2
    n = t.size
    info = DeviceInfo(fs, (Channel("gl", Kind.ENVELOPE, "mV", Muscle.GLUTE, Side.LEFT),
                           Channel("gr", Kind.ENVELOPE, "mV", Muscle.GLUTE, Side.RIGHT),
                           Channel("el", Kind.ENVELOPE, "mV", Muscle.ERECTOR, Side.LEFT),
                           Channel("a", Kind.MOTION, "deg")))
    env = np.column_stack([np.full(n, 60.0), np.full(n, 40.0), np.full(n, 50.0)])
    det = RepDetector(info, ("gl", "gr", "el"), "pct_mvc", True, get_exercise("deadlift"), fs, True)
    reps = det.update(0, env, angle)
    assert reps
    r = reps[0]
    assert r.symmetry_index_pct == pytest.approx(40.0)     # |60-40| / 50 * 100
    assert r.glute == pytest.approx(50.0) and r.ratio == pytest.approx(1.0)
    assert math.isnan(r.erector_right)


EMG_ONLY_CASES = [
    # seeds outside the benchmark's tuning (5000+) and reporting (1000+) ranges
    (31, 1000.0, Contamination(mains_hz=50, ecg=True), {}, "squat"),
    (32, 2000.0, Contamination(mains_hz=60, motion_artifacts=True),
     dict(concentric_s=0.8, eccentric_s=1.0, top_hold_s=0.6, bottom_pause_s=0.0), "romanian_deadlift"),
    (33, 1000.0, Contamination(), dict(concentric_s=2.0, eccentric_s=2.5, top_hold_s=2.0,
                                       bottom_pause_s=1.5), "deadlift"),
    (34, 2000.0, Contamination(mains_hz=60, ecg=True, motion_artifacts=True), {}, "hip_thrust"),
    (35, 1000.0, Contamination(mains_hz=50), {}, "squat"),
    (36, 1000.0, Contamination(ecg=True),
     dict(concentric_s=0.8, eccentric_s=1.0, top_hold_s=0.6, bottom_pause_s=0.0), "deadlift"),
]


def test_emg_only_accuracy_on_simulated_sessions():
    """EMG-only (no motion channel) on six sessions of all four lifts and three tempos:
    the level measured by benchmarks/accuracy.py (docs/accuracy.md), with margin."""
    exact, top_errors, ratio_errors = 0, [], []
    for seed, rate, cont, tempo, exercise in EMG_ONLY_CASES:
        cfg = AthleteConfig(exercise=exercise, sets=2, reps_per_set=4, rest_between_sets_s=8.0,
                            sample_rate_hz=rate, seed=seed, contamination=cont, **tempo)
        athlete, result = run_sim(cfg, use_motion=False)
        exact += len(result.reps) == len(athlete.truth)
        for rep, truth in match(result.reps, athlete.truth):
            top_errors.append(abs(rep.t_top_s - truth.t_top_s))
            ratio_errors.append(abs(rep.ratio - truth.ratio) / truth.ratio)
            assert rep.t_start_s <= rep.window_start_s <= rep.t_top_s <= rep.window_end_s <= rep.t_end_s
    assert exact >= 4                   # measured 5 of 6
    assert np.mean(np.array(top_errors) < 0.3) >= 0.85     # measured 0.94
    assert np.mean(np.array(ratio_errors) < 0.2) >= 0.9    # measured 0.96


# --- the live cue, channel faults, uncalibrated and partial reps ---------------------------
def _min_jerk(a, b, n):
    x = np.linspace(0, 1, n, endpoint=False)
    return a + (b - a) * (10 * x**3 - 15 * x**4 + 6 * x**5)


def _two_side_trace(fs, segments, lead_s=0.25):
    """segments: (angle from, angle to, seconds, glute, erector) -> info, env (gl, el, gr, er),
    angle; the right side at 0.9 x the left; the muscles lead the movement by lead_s."""
    ang, g, e = [], [], []
    for a, b, s, gv, ev in segments:
        n = int(round(s * fs))
        ang.append(_min_jerk(a, b, n))
        g.append(np.full(n, gv))
        e.append(np.full(n, ev))
    angle, g, e = np.concatenate(ang), np.concatenate(g), np.concatenate(e)
    lead = int(round(lead_s * fs))
    g, e = np.r_[g[lead:], np.full(lead, g[-1])], np.r_[e[lead:], np.full(lead, e[-1])]
    info = DeviceInfo(fs, (Channel("gl", Kind.ENVELOPE, "mV", Muscle.GLUTE, Side.LEFT),
                           Channel("el", Kind.ENVELOPE, "mV", Muscle.ERECTOR, Side.LEFT),
                           Channel("gr", Kind.ENVELOPE, "mV", Muscle.GLUTE, Side.RIGHT),
                           Channel("er", Kind.ENVELOPE, "mV", Muscle.ERECTOR, Side.RIGHT),
                           Channel("a", Kind.MOTION, "deg")))
    return info, np.column_stack([g, e, 0.9 * g, 0.9 * e]), angle


REPS3 = [(0, 0, 2.0, 3, 5)] + [seg for _ in range(3) for seg in (
    (0, 70, 1.5, 20, 30), (70, 70, 0.4, 10, 20), (70, 2, 1.2, 30, 50), (2, 2, 1.2, 60, 30))] \
    + [(2, 0, 1.0, 3, 5), (0, 0, 2.0, 3, 5)]


def _detector(info, calibrated=True, **kw):
    return RepDetector(info, ("gl", "el", "gr", "er"), "pct_mvc" if calibrated else "mV",
                       calibrated, get_exercise("deadlift"), info.sample_rate_hz, True, **kw)


def test_top_cue_comes_at_the_top_before_the_rep():
    fs = 200.0
    info, env, angle = _two_side_trace(fs, REPS3)
    det = _detector(info)
    events = []
    for a in range(0, angle.size, 25):       # live-sized chunks
        reps = det.update(a, env[a:a + 25], angle[a:a + 25])
        events += [("cue", c) for c in det.take_cues()] + [("rep", r) for r in reps]
    kinds = [k for k, _ in events]
    assert kinds == ["cue", "rep"] * 3
    # the true tops: the angle arrives at 2 deg at the end of each concentric
    arrivals = [2.0 + 1.5 + 0.4 + 1.2 + k * 4.3 for k in range(3)]
    for (_, cue), (_, rep), t_true in zip(events[::2], events[1::2], arrivals):
        delay_samples = round((cue.t_detected_s - t_true) * fs)
        # within 300 ms of the true top; a little before it only on the last degree
        assert -0.1 * fs <= delay_samples <= 0.3 * fs
        assert angle[round(cue.t_detected_s * fs)] <= 2.0 + 1.0
        assert cue.t_top_s <= cue.t_detected_s < rep.t_end_s
        assert cue.ratio == pytest.approx(2.0) and cue.verdict == Verdict.GLUTES_FINISHED
        assert rep.ratio == pytest.approx(2.0, rel=0.03) and rep.verdict == Verdict.GLUTES_FINISHED
        assert t_true <= rep.window_start_s < rep.window_end_s <= t_true + 1.2
    assert det.take_cues() == []


def test_faulted_channel_is_never_averaged_in():
    fs = 100.0
    info, env, angle = _two_side_trace(fs, REPS3)
    env[:, 2] = 0.0                          # the right glute is dead
    det = _detector(info)
    plain = det.update(0, env, angle) + det.flush()
    assert plain and all(r.ratio == pytest.approx(30 / 28.5, rel=0.03) for r in plain)  # averaged
    det = _detector(info)
    det.set_channel_faults({"gr": "electrode off"})
    reps = det.update(0, env, angle) + det.flush()
    assert len(reps) == 3
    for r in reps:
        assert r.verdict_basis == "left side only" and r.no_verdict_reason == ""
        assert r.ratio == pytest.approx(2.0, rel=0.03) and r.verdict == Verdict.GLUTES_FINISHED
        assert math.isnan(r.glute_right) and math.isnan(r.symmetry_index_pct)
    det = _detector(info)
    det.set_channel_faults({"gr": "electrode off", "el": "clipping"})
    reps = det.update(0, env, angle) + det.flush()
    for r in reps:
        assert r.verdict == Verdict.UNKNOWN and math.isnan(r.ratio)
        assert r.no_verdict_reason == "no verdict: L erector clipping; R glute electrode off"
    cues = det.take_cues()
    assert cues and all(c.verdict == Verdict.UNKNOWN and "R glute electrode off"
                        in c.no_verdict_reason for c in cues)
    with pytest.raises(ValueError, match="no EMG channel"):
        det.set_channel_faults({"nope": "electrode off"})


def test_uncalibrated_reps_are_relative_not_judged():
    fs = 100.0
    segs = list(REPS3)
    segs[8] = (2, 2, 1.2, 30, 30)             # the second rep's lockout: half the glute share
    info, env, angle = _two_side_trace(fs, segs)
    det = _detector(info, calibrated=False)
    reps = det.update(0, env, angle) + det.flush()
    assert len(reps) == 3
    assert all(r.verdict == Verdict.UNKNOWN and r.verdict_basis == "relative" for r in reps)
    assert all("calibrate" in r.no_verdict_reason for r in reps)
    assert math.isnan(reps[0].ratio_relative)                    # nothing to compare with yet
    assert reps[1].ratio_relative == pytest.approx(0.5, rel=0.03)
    assert reps[2].ratio_relative == pytest.approx(2.0 / 1.5, rel=0.03)  # median of 2.0 and 1.0


def test_partial_rep_is_its_own_row_never_judged():
    fs = 100.0
    segs = [(0, 0, 2.0, 3, 5),
            (0, 70, 1.5, 20, 30), (70, 70, 0.4, 10, 20), (70, 2, 1.2, 30, 50), (2, 2, 1.2, 60, 30),
            (2, 70, 1.5, 20, 30), (70, 70, 0.4, 10, 20), (70, 40, 1.5, 40, 60),   # stalls at 40
            (40, 40, 0.8, 40, 60), (40, 70, 1.0, 20, 30), (70, 70, 0.5, 10, 20),  # and sinks back
            (70, 2, 1.2, 30, 50), (2, 2, 1.2, 60, 30), (2, 0, 1.0, 3, 5), (0, 0, 2.0, 3, 5)]
    info, env, angle = _two_side_trace(fs, segs)
    det = _detector(info)
    reps = det.update(0, env, angle) + det.flush()
    assert [r.status.value for r in reps] == ["complete", "partial", "complete"]
    partial = reps[1]
    assert partial.verdict == Verdict.UNKNOWN and "partial" in partial.no_verdict_reason
    assert 9.7 <= partial.t_top_s <= 10.5                # on its stall at 40 deg
    assert len(det.take_cues()) == 2                     # no cue at a stall far from upright


def test_dead_electrode_in_simulated_session_gives_one_side_verdicts():
    cfg = AthleteConfig(sets=1, reps_per_set=4, seed=41, lumbar_pattern=(False, True),
                        contamination=Contamination(electrode_off=("right_glute",)))
    athlete, result = run_sim(cfg)
    assert len(result.reps) == len(athlete.truth)
    for rep, truth in match(result.reps, athlete.truth):
        assert rep.verdict_basis == "left side only"
        assert rep.ratio == pytest.approx(truth.ratio, rel=0.2)
        assert (rep.verdict == Verdict.LUMBAR_DOMINANT) == truth.compensated
