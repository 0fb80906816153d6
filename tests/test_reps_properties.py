"""Property tests: random sets of real-lifting movement against the rep detector's contract.

Hypothesis draws sets of 1-15 attempts (sim/patterns.py) of any of the four lifts:
tempos, sticking regions, grinders, pauses at random heights up and down, bottom pauses,
dead stops, touch-and-go, long squeezes, hitches, failed reps, resets, set-downs,
walking away, a drifting sensor zero. Envelopes and the angle are synthesised directly
(sim/envelopes.py, ~100x faster than raw sEMG through the DSP). Asserted for every draw:

* the number of complete reps, and every failed rep reported as PARTIAL, one row each;
* every top on the true plateau at the cycle's extreme (the true angle within the
  plateau tolerance of the held angle), a partial's top on its stall;
* every scoring window inside the true hold (the true angle within 1 deg of the held
  angle), allowing the motion low-pass delay at its end;
* a live cue for every complete rep, after its top is reached and before its result.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emg_monitor.exercises import get_exercise
from emg_monitor.model import RepStatus
from emg_monitor.reps import RepDetector
from emg_monitor.sim.movements import MOVEMENTS as SIM_EXERCISES
from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.sim.envelopes import synth_envelopes
from emg_monitor.sim.patterns import Attempt

RATE_HZ = 100.0
LAG_S = 0.12            # the 5 Hz motion low-pass and the decision step delay what is seen

heights = st.floats(0.1, 0.9)
attempts = st.builds(
    Attempt,
    eccentric_s=st.floats(0.6, 3.0),
    bottom_pause_s=st.one_of(st.just(0.0), st.floats(0.05, 2.0)),
    dead_stop=st.booleans(),
    concentric_s=st.one_of(st.floats(0.7, 2.6), st.floats(4.0, 6.0)),
    sticking_dip=st.one_of(st.just(0.0), st.floats(0.2, 0.97)),
    sticking_at=st.floats(0.25, 0.65),
    pause_up=st.one_of(st.none(), st.tuples(heights, st.floats(0.3, 2.5))),
    pause_down=st.one_of(st.none(), st.tuples(heights, st.floats(0.3, 2.5))),
    hitch=st.booleans(),
    reach=st.one_of(st.just(1.0), st.just(1.0), st.floats(0.25, 0.6)),   # failed: >= 40 % short
    top_hold_s=st.floats(0.4, 3.0),
    reset_s=st.one_of(st.just(0.0), st.floats(1.0, 3.0)),
    after=st.sampled_from(["none", "none", "none", "set_down", "walk"]),
    after_s=st.floats(2.0, 10.0))

sessions = st.fixed_dictionaries(dict(
    exercise=st.sampled_from(["deadlift", "squat", "romanian_deadlift", "hip_thrust"]),
    attempts=st.lists(attempts, min_size=1, max_size=15),
    lumbar=st.lists(st.booleans(), min_size=1, max_size=6),
    drift=st.floats(-4.0, 4.0),
    seed=st.integers(0, 2**16)))


def run(session: dict):
    ex = get_exercise(session["exercise"])
    athlete = Athlete(AthleteConfig(
        exercise=ex.name, sets=1, reps_per_set=len(session["attempts"]),
        attempts=tuple(session["attempts"]), lumbar_pattern=tuple(session["lumbar"]),
        zero_drift_deg_per_min=session["drift"], seed=session["seed"], setup_s=3.0))
    info, env, angle = synth_envelopes(athlete, RATE_HZ, seed=session["seed"])
    det = RepDetector(info, tuple(ch.name for ch in info.channels if ch.is_emg), "pct_mvc", True,
                      ex, RATE_HZ, True, top_at=ex.top_at)
    events = []
    for a in range(0, angle.size, 20):                  # live-sized chunks (0.2 s)
        reps = det.update(a, env[a:a + 20], angle[a:a + 20])
        events += [("cue", c) for c in det.take_cues()] + [("rep", r) for r in reps]
    events += [("rep", r) for r in det.flush()]
    return athlete, ex, events


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions)
def test_random_sets_keep_the_detector_contract(session):
    check(session)


def check(session: dict) -> None:
    athlete, ex, events = run(session)
    reps = [r for kind, r in events if kind == "rep"]
    truth = athlete.truth
    complete = [r for r in reps if r.status == RepStatus.COMPLETE]
    assert len(complete) == sum(not t.partial for t in truth)
    assert len(reps) == len(truth)                       # partials have their own row
    kin = SIM_EXERCISES[ex.name]
    tol = max(2.5, 0.05 * abs(kin.bottom_deg - kin.top_deg))    # the detector's plateau
    unmatched = list(reps)
    for t in truth:
        p0, p1 = athlete.plateau_s(t.t_top_s, tol)
        on = [r for r in unmatched if p0 <= r.t_top_s <= p1 + LAG_S]
        assert len(on) == 1, f"truth top {t.t_top_s:.2f} s (plateau {p0:.2f}-{p1:.2f})"
        rep = on[0]
        unmatched.remove(rep)
        assert (rep.status == RepStatus.PARTIAL) == t.partial
        h0, h1 = athlete.plateau_s(t.t_top_s, 1.0)
        assert h0 - 0.02 <= rep.window_start_s <= rep.window_end_s <= h1 + LAG_S
        if t.partial:
            assert rep.no_verdict_reason.startswith("partial") and rep.verdict.value == "unknown"
    # a cue for every complete rep: after its top is reached, before its result
    order = [(kind, x) for kind, x in events]
    for rep in complete:
        k = next(i for i, (kind, x) in enumerate(order) if kind == "rep" and x is rep)
        cues = [x for kind, x in order[:k] if kind == "cue"
                and rep.t_start_s <= x.t_top_s <= rep.t_end_s]
        assert cues, f"no live cue for the rep at {rep.t_top_s:.2f} s"
