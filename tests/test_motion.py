import numpy as np
import pytest

from emg_monitor.model import Channel, DeviceInfo, Kind
from emg_monitor.motion import MotionTracker, inclination_deg, zero_from_standing
from emg_monitor.sim.athlete import Athlete, AthleteConfig


def test_inclination_from_gravity_projection():
    theta = np.radians([0.0, 30.0, 72.0, 90.0])
    np.testing.assert_allclose(inclination_deg(np.cos(theta), np.sin(theta)), [0, 30, 72, 90],
                               atol=1e-9)


def test_tracker_follows_the_simulated_trunk():
    a = Athlete(AthleteConfig(sets=1, reps_per_set=2, seed=3))
    data = a.render_all()
    info = DeviceInfo(a.fs, a.channels)
    angle = MotionTracker(info).process(data)
    t = np.arange(data.shape[0]) / a.fs
    truth = a.inclination_deg(t)
    delay = int(0.05 * a.fs)                 # the 5 Hz causal low-pass lags ~45 ms
    err = np.abs(angle[delay:] - truth[:-delay])
    assert np.median(err) < 1.0 and err.max() < 8.0


def test_tracker_chunked_equals_whole_and_zeroing():
    fs = 500.0
    t = np.arange(0, 6, 1 / fs)
    theta = np.radians(5 + 30 * (t > 2))
    data = np.column_stack([np.cos(theta), np.sin(theta)])
    info = DeviceInfo(fs, (Channel("ax", Kind.MOTION, "g"), Channel("ay", Kind.MOTION, "g")))
    whole = MotionTracker(info).process(data)
    tr = MotionTracker(info)
    parts = np.concatenate([tr.process(data[i:i + 13]) for i in range(0, len(data), 13)])
    np.testing.assert_allclose(parts, whole, atol=1e-9)
    zero = zero_from_standing(whole, fs)
    assert zero == pytest.approx(5.0, abs=0.01)
    zeroed = MotionTracker(info, zero_deg=zero).process(data)
    assert zeroed[-1] == pytest.approx(30.0, abs=0.05)


def test_angle_channel_used_directly_and_no_motion():
    fs = 100.0
    info = DeviceInfo(fs, (Channel("e", Kind.RAW_EMG, "uV"), Channel("knee", Kind.MOTION, "deg")))
    data = np.column_stack([np.zeros(300), np.full(300, 42.0)])
    assert MotionTracker(info).process(data) == pytest.approx(np.full(300, 42.0))
    no_motion = DeviceInfo(fs, (Channel("e", Kind.RAW_EMG, "uV"),))
    assert MotionTracker(no_motion).process(np.zeros((10, 1))) is None
    with pytest.raises(ValueError):
        MotionTracker(info, top_at="middle")
