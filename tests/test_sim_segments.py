"""sim.segments: pelvis/thigh/thorax kinematics of the simulated athlete and its IMUs."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.sim.segments import ImuConfig, held_imu

CFG = AthleteConfig(sets=1, reps_per_set=4, seed=21, lumbar_pattern=(False, True))


@pytest.fixture(scope="module")
def athlete():
    return Athlete(CFG)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3000), min_size=1, max_size=6), st.integers(0, 20000))
def test_imu_is_the_same_in_any_chunks_and_order(chunks, start):
    a = Athlete(CFG)
    n = sum(chunks)
    whole = a.imu(start, n)
    got = {seg: np.zeros_like(v) for seg, v in whole.items()}
    offsets = np.concatenate(([0], np.cumsum(chunks)[:-1]))
    for off, c in reversed(list(zip(offsets, chunks))):   # out of order: noise is per index
        part = a.imu(start + int(off), c)
        for seg in got:
            got[seg][off:off + c] = part[seg]
    for seg in whole:       # equal to rounding (vectorised sin/cos/matmul of other lengths)
        np.testing.assert_allclose(got[seg], whole[seg], rtol=0, atol=1e-12)


@pytest.mark.parametrize("exercise", ["deadlift", "squat", "romanian_deadlift", "hip_thrust"])
def test_compensated_reps_stop_the_hips_short_with_the_trunk_still_upright(exercise):
    a = Athlete(AthleteConfig(exercise=exercise, sets=1, reps_per_set=4, seed=5,
                              lumbar_pattern=(False, True)))
    top = {"hip_thrust": 90.0}.get(exercise, 0.0)
    for r in a.truth:
        ang = a.segments.angles(np.array([r.t_top_s]))
        trunk = float(a.inclination_deg(np.array([r.t_top_s]))[0])
        assert abs(float(ang.hip_deg[0]) - r.hip_short_deg) < 1e-6
        if r.compensated:
            assert 4.0 <= r.hip_short_deg <= 8.0
            assert float(ang.lumbar_deg[0]) < -3.0          # the lumbar spine extended
            assert abs(trunk - top) < 1.5                    # ... so the trunk looks upright
        else:
            assert r.hip_short_deg <= 1.5 and abs(float(ang.lumbar_deg[0])) < 1e-6


def test_imu_physics_still_stand_and_concentric(athlete):
    a = athlete
    fs = a.fs
    still = a.imu(0, int(2 * fs))                            # standing before the set
    clean = a.segments.true_imu(np.arange(int(2 * fs)) / fs)
    for seg, x in still.items():
        np.testing.assert_allclose(np.linalg.norm(clean[seg][:, :3], axis=1), 1.0, atol=1e-9)
        np.testing.assert_allclose(x[:, 3:].mean(axis=0), a.segments.gyr_bias[seg], atol=0.02)
    r = a.truth[0]
    i0, i1 = int((r.t_lockout_s - CFG.concentric_s) * fs), int(r.t_lockout_s * fs)
    t = np.arange(i0, i1) / fs
    conc = a.segments.true_imu(t)
    # the hinge's linear acceleration: what makes accelerometer-only inclination wrong
    assert np.abs(np.linalg.norm(conc["thorax"][:, :3], axis=1) - 1.0).max() > 0.2
    # the gyro integrates to the angle the segment turned (about the sensor's flexion axis)
    ang = a.segments.angles(t)
    m = a.segments._anat["thigh"] @ a.segments.mount["thigh"]
    axis = m.T @ np.array([0.0, 1.0, 0.0])                  # world Y in sensor axes
    turned = float(np.sum(conc["thigh"][:, 3:] @ axis) / fs)
    assert turned == pytest.approx(float(ang.thigh_deg[-1] - ang.thigh_deg[0]), abs=0.2)


def test_segments_subset_swap_and_bad_names():
    a = Athlete(AthleteConfig(sets=1, reps_per_set=1, imu=ImuConfig(segments=("pelvis", "thigh"))))
    assert set(a.imu(0, 10)) == {"pelvis", "thigh"}
    b = Athlete(AthleteConfig(sets=1, reps_per_set=1, imu=ImuConfig(swap_pelvis_thigh=True)))
    full = Athlete(AthleteConfig(sets=1, reps_per_set=1))
    np.testing.assert_array_equal(b.imu(0, 50)["pelvis"], full.imu(0, 50)["thigh"])
    with pytest.raises(ValueError, match="unknown IMU segment"):
        ImuConfig(segments=("pelvis", "knee"))
    with pytest.raises(ValueError):
        full.imu(-1, 5)


def test_held_imu_holds_each_value_until_the_next_tick(athlete):
    x = held_imu(athlete, 3, 40, 100.0)          # ticks every 10 samples at 1 kHz
    assert x.shape == (40, 18)
    for k in range(40):
        tick = (3 + k) - (3 + k) % 10
        np.testing.assert_array_equal(x[k, :6], athlete.imu(tick, 1)["pelvis"][0])
