"""Fault suite, signal chain: NaN, inf and impossible values never poison filter state.

Before: one NaN in a channel made its envelope NaN for the rest of the session and
the ratios silently used the other side. Now the bad samples are marked (NaN out,
``Processed.invalid``), the state stays finite, and the channel recovers at once.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings, strategies as st

from emg_monitor.dsp.finite import PLAUSIBLE_ABS_MAX, FiniteGuard
from emg_monitor.dsp.pipeline import FilterSettings, Pipeline
from emg_monitor.engine import Engine, EngineListener, EngineSettings
from emg_monitor.model import EventKind, SampleBlock, SourceEvent
from emg_monitor.motion import MotionTracker
from emg_monitor.sim.athlete import AthleteConfig
from emg_monitor.sources.base import Listener
from emg_monitor.sources.notifier import Notifier
from emg_monitor.sources.simulated import SimulatedSource

from session_support import device_info

BAD = [float("nan"), float("inf"), -float("inf"), 1e30, -2 * PLAUSIBLE_ABS_MAX]


def held(x: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """The reference hold: each bad sample takes its channel's previous good value (0 before
    the first)."""
    out = x.copy()
    for c in range(x.shape[1]):
        last = 0.0
        for i in range(x.shape[0]):
            if bad[i, c]:
                out[i, c] = last
            else:
                last = x[i, c]
    return out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 16), positions=st.lists(
    st.tuples(st.integers(0, 2999), st.integers(0, 3), st.sampled_from(BAD)), min_size=1,
    max_size=12), chunk=st.sampled_from([3, 20, 64, 500, 4096, 3000]))
def test_bad_samples_are_marked_and_the_channel_recovers(seed, positions, chunk):
    info = device_info(1000.0)
    x = np.random.default_rng(seed).normal(0.0, 40.0, (3000, 6))
    bad = np.zeros((3000, 4), dtype=bool)
    for i, c, v in positions:
        x[i, c] = v
        bad[i, c] = True
    settings_ = FilterSettings(mains="off")
    pipe = Pipeline(info, settings_)
    parts = [pipe.process(x[a:a + chunk]) for a in range(0, 3000, chunk)]
    env = np.concatenate([p.envelope for p in parts])
    invalid = np.concatenate([p.invalid if p.invalid is not None else np.zeros((p.envelope.shape[0], 4), bool)
                              for p in parts])
    np.testing.assert_array_equal(invalid, bad)                  # exactly the bad ones marked
    assert np.isnan(env[bad]).all() and np.isfinite(env[~bad]).all()   # nothing else lost
    clean = np.hstack([held(x[:, :4], bad), x[:, 4:]])
    ref = Pipeline(info, settings_).process(clean).envelope
    np.testing.assert_allclose(env[~bad], ref[~bad], rtol=1e-9, atol=1e-9)
    assert np.isfinite(pipe._filter.state).all()


def test_a_single_nan_no_longer_empties_the_channel():
    info = device_info(1000.0)
    x = np.random.default_rng(1).normal(0.0, 40.0, (20000, 6))
    x[5000, 0] = np.nan
    env = Pipeline(info, FilterSettings(mains="off")).process(x).envelope
    assert np.isnan(env[:, 0]).sum() == 1
    assert 20 < np.mean(env[6000:, 0]) < 60                      # the channel is back at 40 uV


def test_the_guard_passes_good_chunks_through_untouched():
    g = FiniteGuard(2)
    x = np.ones((5, 2))
    out, bad = g.process(x)
    assert out is x and bad is None
    y, bad = g.process(np.array([[np.nan, 2.0], [3.0, np.inf]]))
    np.testing.assert_array_equal(y, [[1.0, 2.0], [3.0, 2.0]])
    assert bad.tolist() == [[True, False], [False, True]] and g.replaced == 2


def test_motion_angle_recovers_after_a_nan():
    info = device_info(1000.0)
    x = np.zeros((4000, 6))
    x[:, 4], x[:, 5] = 1.0, 0.0                                  # standing upright
    x[1000, 4] = np.nan
    angle = MotionTracker(info).process(x)
    assert np.isnan(angle).sum() == 1 and abs(angle[-1]) < 1e-6


class Reps(EngineListener):
    def __init__(self):
        self.reps = []

    def on_rep(self, rep):
        self.reps.append(rep)


class Blocks(Listener):
    def __init__(self):
        self.blocks = []

    def on_block(self, block):
        self.blocks.append(block)


def test_live_nans_cost_no_rep_and_no_side():
    """A live source delivering NaN on one channel now and then: every rep is still found,
    judged on both sides, with the ratio of the clean stream."""
    cfg = AthleteConfig(exercise="deadlift", sets=1, reps_per_set=5, seed=4)
    source = SimulatedSource(cfg, realtime=False)
    raw = Blocks()
    info = source.open()
    reader = Notifier(source, [raw])
    reader.start()
    assert reader.wait(120)
    reader.stop()

    def run(poison: bool):
        engine, got = Engine(EngineSettings(exercise="deadlift")), Reps()
        engine.add_listener(got)
        engine.on_info(info)
        engine.start_set()
        for k, b in enumerate(raw.blocks):
            data = b.data.copy()
            if poison and k % 97 == 5:
                data[3, 2] = np.nan                               # right glute
            engine.on_block(SampleBlock(b.first_index, data))
        engine.on_event(SourceEvent(EventKind.END, raw.blocks[-1].first_index, 0.0))
        assert not engine.failures
        return got.reps

    clean, dirty = run(False), run(True)
    assert len(clean) == len(dirty) == 5
    for a, b in zip(clean, dirty):
        assert math.isfinite(b.glute_right) and math.isfinite(b.ratio)
        assert b.verdict_basis == a.verdict_basis
        assert abs(b.ratio - a.ratio) <= 0.02 * a.ratio
