"""The engine on the acquisition thread: simulated board -> real decoder -> DSP -> reps."""
import threading

import numpy as np
import pytest

from emg_monitor.analysis import analyze_recording
from emg_monitor.dsp.calibration import Calibration
from emg_monitor.engine import DisplayBuffer, Engine, EngineListener, EngineSettings
from emg_monitor.model import Verdict
from emg_monitor.sets import SetEnd
from emg_monitor.sim.athlete import AthleteConfig
from emg_monitor.sources.base import Listener
from emg_monitor.sources.simulated import SimulatedSource
from emg_monitor.sources.notifier import Notifier


def true_calibration(cfg: AthleteConfig, names) -> Calibration:
    mvc = {n: cfg.glute_mvc_uv if "glute" in n else cfg.erector_mvc_uv for n in names}
    return Calibration("2026-11-24T00:00:00+00:00", "uV", {n: 0.0 for n in names}, mvc)


class Collect(EngineListener, Listener):
    def __init__(self):
        self.reps, self.threads, self.blocks, self.events = [], set(), [], []

    def on_top(self, cue):
        self.events.append(("top", cue))

    def on_rep(self, rep):
        self.reps.append(rep)
        self.events.append(("rep", rep))
        self.threads.add(threading.get_ident())

    def on_block(self, block):
        self.blocks.append(block)


def run_engine(cfg: AthleteConfig, settings: EngineSettings, start_set=True):
    source = SimulatedSource(cfg, realtime=False)
    engine = Engine(settings)
    got, raw = Collect(), Collect()
    engine.add_listener(got)
    display = DisplayBuffer(seconds=5.0)
    engine.add_listener(display)
    rd = Notifier(source)
    rd.add_listener(raw)
    rd.add_listener(engine)
    if start_set:
        engine.start_set()
    rd.start()
    assert rd.wait(120)
    rd.raise_error()
    rd.stop()
    assert rd.failures == [] and engine.failures == []
    return source, engine, got, raw, display


@pytest.mark.parametrize("exercise", ["deadlift", "hip_thrust"])
def test_engine_finds_every_rep_with_the_true_ratio(exercise):
    cfg = AthleteConfig(exercise=exercise, sets=1, reps_per_set=5, seed=3,
                        lumbar_pattern=(False, True, False, False, True))
    names = ("left_glute", "left_erector", "right_glute", "right_erector")
    source, engine, got, _, display = run_engine(
        cfg, EngineSettings(calibration=true_calibration(cfg, names), exercise=exercise))
    truth = source.athlete.truth
    assert len(got.reps) == len(truth)
    assert threading.main_thread().ident not in got.threads      # never on the caller's thread
    for rep, true in zip(got.reps, truth):
        assert rep.set_index == 1 and rep.calibrated and rep.amplitude_unit == "pct_mvc"
        assert abs(rep.t_top_s - true.t_top_s) < 0.3
        assert rep.ratio == pytest.approx(true.ratio, rel=0.2)
        expected = Verdict.LUMBAR_DOMINANT if true.compensated else Verdict.GLUTES_FINISHED
        assert rep.verdict == expected
    assert display.reps_snapshot() == got.reps
    env = display.envelope.latest()
    assert env.shape[1] == 2 + 4 and np.isfinite(env[:, 1:5]).all()


def test_every_rep_is_cued_at_its_top_before_its_verdict():
    """The live cue (issue 10 item 2): a TopCue reaches the listeners when the top is
    reached, while the lifter still holds it, and the rep's verdict follows later."""
    cfg = AthleteConfig(sets=1, reps_per_set=5, seed=21, lumbar_pattern=(False, True))
    names = ("left_glute", "left_erector", "right_glute", "right_erector")
    source, _, got, _, _ = run_engine(cfg, EngineSettings(calibration=true_calibration(cfg, names)))
    assert len(got.reps) == 5
    pending = []
    for kind, item in got.events:
        if kind == "top":
            pending.append(item)
            continue
        assert len(pending) == 1                          # one cue per rep, before its verdict
        cue = pending.pop()
        # the cue marks the arrival at the top: inside the rep, no later than its plateau's centre
        assert item.t_start_s < cue.t_top_s <= item.t_top_s < item.t_end_s
        assert cue.verdict == item.verdict                # the live state agrees with the verdict
    for rep, true in zip(got.reps, source.athlete.truth):
        assert (rep.verdict == Verdict.LUMBAR_DOMINANT) == true.compensated


def test_live_engine_equals_offline_analysis():
    cfg = AthleteConfig(sets=1, reps_per_set=4, seed=11, lumbar_pattern=(True, False))
    source, engine, got, raw, _ = run_engine(cfg, EngineSettings(), start_set=True)
    data = np.concatenate([b.data for b in raw.blocks])
    offline = analyze_recording(data, source.info, exercise="deadlift", set_starts=(0,))
    assert len(offline.reps) == len(got.reps) == 4
    for a, b in zip(got.reps, offline.reps):
        assert a.t_top_s == b.t_top_s
        assert a.ratio == pytest.approx(b.ratio, rel=1e-9)
        assert not a.calibrated and a.amplitude_unit == "uV"


def test_requests_from_other_threads_apply_between_blocks():
    cfg = AthleteConfig(sets=2, reps_per_set=2, seed=5, rest_between_sets_s=4.0)
    source = SimulatedSource(cfg, realtime=False)
    engine = Engine(EngineSettings())
    got = Collect()
    engine.add_listener(got)
    rd = Notifier(source)
    rd.add_listener(engine)
    sets, closed = [], []

    class SetStarter(EngineListener):
        def on_rep(self, rep):
            if rep.rep == 2 and rep.set_index == len(sets):
                engine.start_set()            # queued; applied before the next block

        def on_set(self, record):
            if not record.closed and record.set_index not in [i for i, _ in sets]:
                sets.append((record.set_index, record.manual))
            if record.closed:
                closed.append((record.set_index, record.end_reason))

    engine.add_listener(SetStarter())
    engine.start_set()
    rd.start()
    assert rd.wait(120)
    rd.stop()
    assert [r.set_index for r in got.reps] == [1, 1, 2, 2]
    assert [r.rep for r in got.reps] == [1, 2, 1, 2]
    assert sets == [(1, True), (2, True), (3, True)]     # all started by hand
    assert closed[:2] == [(1, SetEnd.NEW_SET), (2, SetEnd.NEW_SET)]
    assert len(engine.sets.records) == 2                # set 3 got no rep: never a record
    with pytest.raises(Exception, match="exercise"):
        engine.set_exercise("bench press")
