"""The engine changes in place (issue 12): calibration is a scaling stage, exercise and target
changes and seeks keep the filters, the mains decision and every rep number; gaps and
disconnects are handled, never a bogus rep; a failing listener is detached, the rest go on."""
from __future__ import annotations

import numpy as np
import pytest

from emg_monitor.dsp.calibration import Calibration
from emg_monitor.dsp.pipeline import FilterSettings, Pipeline
from emg_monitor.engine import GAP_FLAG, Engine, EngineListener, EngineSettings
from emg_monitor.model import DeviceInfo, EventKind, SampleBlock, SourceEvent
from emg_monitor.sim.athlete import Athlete, AthleteConfig, Contamination

BLOCK = 20


class Sink(EngineListener):
    def __init__(self):
        self.reps, self.sets, self.env = [], [], []

    def on_processed(self, chunk):
        self.env.append((chunk.first_index, chunk.envelope.copy(), chunk.envelope_unit))

    def on_rep(self, rep):
        self.reps.append(rep)

    def on_set(self, record):
        self.sets.append(record)


def setup(seed=3, **cfg):
    athlete = Athlete(AthleteConfig(sets=1, reps_per_set=5, seed=seed,
                                    contamination=Contamination(mains_hz=50), **cfg))
    info = DeviceInfo(athlete.config.sample_rate_hz, athlete.channels)
    engine = Engine(EngineSettings(filters=FilterSettings(mains="auto")))
    sink = Sink()
    engine.add_listener(sink)
    engine.on_info(info)
    return athlete, info, engine, sink, athlete.render_all()


def feed(engine, data, start=0, stop=None, at=None):
    """Blocks of ``data`` from ``start`` to ``stop``; ``at(i)`` runs before the block at i."""
    stop = data.shape[0] if stop is None else stop
    for i in range(start, stop, BLOCK):
        if at is not None:
            at(i)
        engine.on_block(SampleBlock(i, data[i:min(i + BLOCK, stop)]))


def calibration(athlete):
    c = athlete.config
    return Calibration("t", "uV", {ch.name: 2.0 for ch in athlete.channels if ch.is_emg},
                       {ch.name: c.glute_mvc_uv if "glute" in ch.name else c.erector_mvc_uv
                        for ch in athlete.channels if ch.is_emg})


def test_a_calibration_rescales_in_place_filters_and_mains_go_on():
    athlete, info, engine, sink, data = setup()
    cal = calibration(athlete)
    switch = 8000
    pipe = engine.pipeline
    feed(engine, data, 0, switch)
    assert pipe.mains_decided and pipe.mains_hz == 50.0
    engine.set_calibration(cal)
    feed(engine, data, switch)
    assert engine.pipeline is pipe and pipe.mains_hz == 50.0 and pipe.calibrated
    # after the switch the envelope is exactly a chain calibrated from the first sample:
    # the filter state and the mains decision were never lost
    offline = Pipeline(info, FilterSettings(mains="auto"), cal).process(data).envelope
    after = np.concatenate([e for i, e, u in sink.env if i >= switch])
    np.testing.assert_allclose(after, offline[switch:], rtol=1e-9, atol=1e-9)
    assert {u for i, _, u in sink.env if i >= switch} == {"pct_mvc"}
    assert {u for i, _, u in sink.env if i < switch} == {"uV"}
    # reps before the change in uV, after it in %MVC; one numbering, one set
    assert [r.session_rep for r in sink.reps] == list(range(1, len(athlete.truth) + 1))
    assert {r.set_index for r in sink.reps} == {1}
    assert {r.calibrated for r in sink.reps} == {False, True}


def test_an_unusable_calibration_fails_on_the_callers_thread_and_changes_nothing():
    athlete, info, engine, sink, data = setup()
    feed(engine, data, 0, 4000)
    bad = Calibration("t", "uV", {}, {"left_glute": 100.0})
    with pytest.raises(Exception, match="no usable MVC"):
        engine.set_calibration(bad)
    feed(engine, data, 4000, 6000)
    assert not engine.pipeline.calibrated and engine.error is None


def test_exercise_and_target_changes_keep_the_filters_and_the_numbers():
    athlete, info, engine, sink, data = setup()
    pipe = engine.pipeline
    mid = int(athlete.truth[2].t_start_s * info.sample_rate_hz) - 300

    def change(i):
        if i == mid // BLOCK * BLOCK:
            engine.set_target(1.4)
            engine.set_exercise("romanian_deadlift")
    feed(engine, data, at=change)
    engine.on_stop()
    assert engine.pipeline is pipe and pipe.mains_hz == 50.0
    assert [r.session_rep for r in sink.reps] == list(range(1, len(athlete.truth) + 1))
    # a set is one exercise: the change closed the first set, numbering went on
    assert [r.exercise for r in sink.reps[:2]] == ["deadlift"] * 2
    assert {r.exercise for r in sink.reps[2:]} == {"romanian_deadlift"}
    closed = [s for s in sink.sets if s.closed]
    assert [(s.set_index, s.end_reason.value) for s in closed] == [(1, "exercise_changed"),
                                                                   (2, "end")]
    with pytest.raises(ValueError):
        engine.set_target(float("nan"))


def test_reset_on_a_seek_keeps_mains_and_numbers_and_replays_without_renumbering():
    athlete, info, engine, sink, data = setup()
    pipe = engine.pipeline
    feed(engine, data)
    first = [(r.set_index, r.rep, r.session_rep, round(r.t_top_s, 3)) for r in sink.reps]
    back = int(athlete.truth[1].t_start_s * info.sample_rate_hz) // BLOCK * BLOCK
    engine.reset(back)
    sink.reps.clear()
    feed(engine, data, back)
    assert engine.pipeline is pipe and pipe.mains_hz == 50.0
    again = [(r.set_index, r.rep, r.session_rep) for r in sink.reps]
    assert again == [f[:3] for f in first[1:]]
    assert len(engine.sets.records) == 1


def test_a_gap_inside_a_lockout_gives_no_bogus_rep_and_is_noted_on_the_set():
    athlete, info, engine, sink, data = setup()
    fs = info.sample_rate_hz
    hold = athlete.truth[2]
    gap_from = int((hold.t_lockout_s + 0.2) * fs) // BLOCK * BLOCK   # inside the top hold
    gap_to = gap_from + int(1.2 * fs)
    feed(engine, data, 0, gap_from)
    engine.on_event(SourceEvent(EventKind.DISCONNECTED, gap_from, 0.0, "unplugged"))
    engine.on_event(SourceEvent(EventKind.GAP, gap_from, 0.0, "disconnected", 1.2))
    feed(engine, data, gap_to)
    engine.on_event(SourceEvent(EventKind.END, data.shape[0], 0.0))
    tops = [r.t_top_s for r in sink.reps]
    assert len(sink.reps) == len(athlete.truth)            # the cut rep counted once
    for r in sink.reps:                                    # no lockout spans the hole
        assert not (r.window_start_s < gap_to / fs and r.window_end_s > gap_from / fs)
    cut = min(sink.reps, key=lambda r: abs(r.t_top_s - hold.t_top_s))
    assert GAP_FLAG in cut.quality_flags and cut.t_end_s <= gap_from / fs + 0.01
    rec = engine.sets.records[0]
    assert rec.interruptions == 1 and rec.count == len(tops)


def test_a_failing_listener_is_detached_and_the_others_go_on():
    athlete, info, engine, sink, data = setup()

    class Broken(EngineListener):
        def on_rep(self, rep):
            raise RuntimeError("disk full")
    engine.add_listener(Broken())
    feed(engine, data)
    assert len(sink.reps) == len(athlete.truth)
    assert [f.method for f in engine.failures] == ["on_rep"]
    assert "disk full" in str(engine.failures[0])
