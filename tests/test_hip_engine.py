"""The hip angle in the live chain: reps from the hip, the hip gap per rep, the combined verdict."""
import math
from dataclasses import replace

import pytest

from emg_monitor.dsp.calibration import Calibration
from emg_monitor.engine import Engine, EngineListener, EngineSettings
from emg_monitor.hip.neutral import HipNeutral
from emg_monitor.hip.scoring import CUE_FINISH_WITH_HIPS
from emg_monitor.model import DeviceInfo, SampleBlock, Verdict
from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.sim.segments import RELAXED_HIP_DEG, ImuConfig, with_imu, with_imu_info

CFG = AthleteConfig(sets=1, reps_per_set=6, seed=1031,
                    lumbar_pattern=(False, True, False, True, True, False))


def true_calibration(a: Athlete) -> Calibration:
    mvc = {n: (a.config.glute_mvc_uv if "glute" in n else a.config.erector_mvc_uv)
           for n, *_ in [(ch.name,) for ch in a.channels if ch.is_emg]}
    return Calibration("2026-12-01T00:00:00+00:00", "uV", {n: a.config.contamination.noise_uv
                                                          for n in mvc}, mvc)


class Collect(EngineListener):
    def __init__(self):
        self.reps, self.status, self.hip = [], [], []

    def on_rep(self, rep):
        self.reps.append(rep)

    def on_processed(self, chunk):
        self.status.append(chunk.hip_status)
        if chunk.hip_deg is not None:
            self.hip.append(chunk.hip_deg)


def run(config: AthleteConfig, neutral: HipNeutral | None, block_n: int = 200):
    a = Athlete(config)
    info = with_imu_info(DeviceInfo(a.fs, a.channels), config.imu.segments, 100.0)
    eng = Engine(EngineSettings(calibration=true_calibration(a), exercise=config.exercise,
                                hip_neutral=neutral))
    out = Collect()
    eng.add_listener(out)
    eng.on_info(info)
    eng.start_set()
    n = int(a.duration_s * a.fs)
    pos = 0
    while pos < n:
        m = min(block_n, n - pos)
        eng.on_block(with_imu(SampleBlock(pos, a.render(m)), a, 100.0))
        pos += m
    assert not eng.failures
    return a, eng, out


@pytest.mark.parametrize("exercise", ["deadlift", "hip_thrust"])
def test_compensated_reps_flagged_by_both_ratio_and_hip_gap(exercise):
    cfg = replace(CFG, exercise=exercise)
    a, eng, out = run(cfg, HipNeutral("2026-12-01T00:00:00+00:00", RELAXED_HIP_DEG))
    assert eng._reps_on_hip                       # reps and tops came from the hip angle
    assert len(out.reps) == len(a.truth)
    for rep, truth in zip(out.reps, a.truth):
        assert abs(rep.t_top_s - truth.t_top_s) < 0.6
        assert rep.hip_angle_at_top_deg == pytest.approx(truth.hip_short_deg, abs=1.0)
        assert math.isfinite(rep.lumbar_angle_at_top_deg)
        if truth.compensated:
            assert rep.ratio < eng.reps.target_ratio            # the EMG says: erectors
            assert rep.hip_short_of_neutral_deg > 3.0           # the hips say: short
            assert rep.verdict == Verdict.LUMBAR_DOMINANT and rep.cue == CUE_FINISH_WITH_HIPS
            assert rep.lumbar_angle_at_top_deg < -2.0           # ... and the back arched
        else:
            assert rep.verdict == Verdict.GLUTES_FINISHED and rep.cue == ""
    assert out.status[-1] == ""


def test_without_neutral_the_gap_is_from_the_relaxed_stand_and_says_so():
    a, eng, out = run(replace(CFG, reps_per_set=2), None)
    assert "calibrate the hip neutral" in eng.hip_status
    for rep, truth in zip(out.reps, a.truth):
        assert rep.hip_angle_at_top_deg == pytest.approx(truth.hip_short_deg - RELAXED_HIP_DEG,
                                                         abs=1.0)


def test_missing_thigh_imu_falls_back_to_the_trunk_and_says_why():
    cfg = replace(CFG, reps_per_set=3, imu=ImuConfig(segments=("pelvis", "thorax")))
    a, eng, out = run(cfg, None)
    assert not eng._reps_on_hip and "thigh IMU is missing" in eng.hip_status
    assert len(out.reps) == 3                     # reps still found, from the trunk sensor
    assert all(math.isnan(r.hip_angle_at_top_deg) for r in out.reps)


def test_offline_analysis_gives_the_live_hip_results():
    from emg_monitor.analysis import analyze_recording
    cfg = replace(CFG, reps_per_set=4)
    neutral = HipNeutral("2026-12-01T00:00:00+00:00", RELAXED_HIP_DEG)
    a, eng, live = run(cfg, neutral)
    b = Athlete(cfg)
    info = with_imu_info(DeviceInfo(b.fs, b.channels), cfg.imu.segments, 100.0)
    block = with_imu(SampleBlock(0, b.render_all()), b, 100.0)
    res = analyze_recording(block.data, info, calibration=true_calibration(b), hip_neutral=neutral)
    assert res.on_hip and len(res.reps) == len(live.reps) == 4
    for off, on in zip(res.reps, live.reps):
        assert off.hip_angle_at_top_deg == pytest.approx(on.hip_angle_at_top_deg, abs=0.3)
        assert (off.verdict, off.cue) == (on.verdict, on.cue)


def test_analyze_a_table_with_imu_columns(tmp_path, capsys):
    import csv
    from emg_monitor.cli import main
    cfg = replace(CFG, reps_per_set=3, lumbar_pattern=(False, True, False))
    b = Athlete(cfg)
    info = with_imu_info(DeviceInfo(b.fs, b.channels), cfg.imu.segments, 100.0)
    data = with_imu(SampleBlock(0, b.render_all()), b, 100.0).data
    path = tmp_path / "lift.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t"] + [ch.name + ("_uv" if ch.is_emg else "") for ch in info.channels])
        for i in range(0, data.shape[0]):
            w.writerow([f"{i / b.fs:.3f}"] + [f"{v:.5g}" for v in data[i]])
    out = tmp_path / "reps.csv"
    mvc = [f"{n}_uv={b.config.glute_mvc_uv if 'glute' in n else b.config.erector_mvc_uv}"
           for n in ("left_glute", "right_glute", "left_erector", "right_erector")]
    rc = main(["analyze", str(path), "--glute", "left_glute_uv", "right_glute_uv", "--erector",
               "left_erector_uv", "right_erector_uv", "--imu", "--imu-rate", "100",
               "--mvc", *mvc, "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "reps from the hip angle" in text and "finish with your hips" in text
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 3
    gaps = [float(r["hip_short_of_neutral_deg"]) for r in rows]
    # no neutral calibration here: the gap is from the relaxed stand (3 deg less)
    assert gaps[1] > gaps[0] + 2.5 and gaps[1] > gaps[2] + 2.5
    assert rows[1]["cue"] == "finish with your hips"
    # an IMU column missing: one clear line, exit 2
    rc = main(["analyze", str(path), "--glute", "left_glute_uv", "--erector", "left_erector_uv",
               "--imu", "--imu-rate", "0", "--out", str(out)])
    assert rc == 2 and "--imu-rate" in capsys.readouterr().err
