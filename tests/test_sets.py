"""Set records: found from the reps, numbered once, summarised once (emg_monitor/sets.py).

Property tests drive the tracker with random rep sequences, pauses, manual
presses, calibration-like unit changes and replay seeks, and check what a
physiotherapist relies on: every rep in exactly one set, numbers unique and
never changed, and the summary equal to a recount of the record.
"""
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from emg_monitor.model import RepResult, RepStatus, Verdict
from emg_monitor.sets import (SetEnd, SetRules, SetTracker, records_from_reps, set_activity,
                              set_to_dict, summarize)

FS = 20.0


def make_rep(t_top, ratio=1.2, verdict=Verdict.GLUTES_FINISHED, lag=0.05, unit="pct_mvc",
             status=RepStatus.COMPLETE, rep=0, set_index=0, session_rep=0):
    return RepResult(rep=rep, set_index=set_index, t_start_s=t_top - 2.0, t_top_s=t_top,
                     t_end_s=t_top + 0.5, window_start_s=t_top - 0.25, window_end_s=t_top + 0.25,
                     lockout_s=0.5, glute_left=40 * ratio, glute_right=40 * ratio,
                     erector_left=40.0, erector_right=40.0, glute=40 * ratio, erector=40.0,
                     ratio=ratio, verdict=verdict, amplitude_unit=unit,
                     calibrated=unit == "pct_mvc", onset_lag_s=lag, exercise="deadlift",
                     status=status, session_rep=session_rep)


def feed(tracker, reps, until_s, active=50.0, rest=1.0, rest_after_s=math.inf, block=7):
    """Reps at their emission time (t_end) and the activity between, block by block."""
    out = []
    pending = sorted(reps, key=lambda r: r.t_end_s)
    i, end = int(round(min([r.t_start_s for r in reps] + [0]) * FS)), int(until_s * FS)
    i = max(i, 0)
    while i < end:
        n = min(block, end - i)
        t = (i + np.arange(n)) / FS
        tracker.observe(i, np.where(t > rest_after_s, rest, active), "pct_mvc")
        while pending and pending[0].t_end_s * FS < i + n:
            out += tracker.rep(pending.pop(0))
        out += tracker.decide()
        i += n
    return out


def reps_of(out):
    return [o for o in out if isinstance(o, RepResult)]


def test_a_set_begins_at_its_first_rep_and_ends_after_the_idle_time():
    tr = SetTracker(FS, SetRules(idle_s=15.0, pending_s=5.0))
    reps = [make_rep(t) for t in (5, 9, 13)] + [make_rep(t) for t in (60, 64)]
    out = feed(tr, reps, 100)
    assert [(r.set_index, r.rep, r.session_rep) for r in reps_of(out)] == [
        (1, 1, 1), (1, 2, 2), (1, 3, 3), (2, 1, 4), (2, 2, 5)]
    assert [(s.set_index, s.end_reason) for s in tr.records] == [(1, SetEnd.IDLE),
                                                                 (2, SetEnd.IDLE)]
    first = tr.records[0]
    assert first.t_start_s == 3.0 and first.t_end_s == 13.5
    # the close was decided only once a rep in flight could no longer arrive
    closes = [k for k, o in enumerate(out) if not isinstance(o, RepResult) and o.closed]
    assert len(closes) == 2


def test_a_pause_shorter_than_idle_stays_in_the_set():
    tr = SetTracker(FS, SetRules(idle_s=15.0))
    out = feed(tr, [make_rep(t) for t in (5, 9, 23, 37.5)], 80)
    assert {r.set_index for r in reps_of(out)} == {1}
    assert tr.records[0].count == 4


def test_putting_the_bar_down_ends_the_set_before_the_idle_time():
    tr = SetTracker(FS, SetRules(idle_s=15.0, put_down_s=5.0))
    out = feed(tr, [make_rep(t) for t in (5, 9, 13)], 40, rest_after_s=14.0)
    rec = tr.records[0]
    assert rec.end_reason == SetEnd.BAR_DOWN and rec.closed
    assert rec.t_end_s == pytest.approx(14.0, abs=1.5 / FS)
    # decided 5 s after the muscles let go, well before the idle time
    k = next(k for k, o in enumerate(out) if not isinstance(o, RepResult) and o.closed)
    assert k == len(out) - 1


def test_manual_start_and_stop_override_and_no_rep_is_outside_a_set():
    tr = SetTracker(FS)
    out = tr.rep(make_rep(5))                     # before START: its own set
    out += tr.start(8.0, "deadlift")              # START closes it, opens a manual set
    out += tr.rep(make_rep(10)) + tr.rep(make_rep(14))
    out += tr.stop(15.0)
    out += tr.rep(make_rep(17))                   # after STOP: a new set, not the stopped one
    out += tr.finish()
    got = [(r.set_index, r.rep) for r in reps_of(out)]
    assert got == [(1, 1), (2, 1), (2, 2), (3, 1)]
    assert [(s.end_reason, s.manual) for s in tr.records] == [
        (SetEnd.NEW_SET, False), (SetEnd.MANUAL, True), (SetEnd.END, False)]


def test_a_rep_in_its_lockout_when_stop_is_pressed_stays_in_the_stopped_set():
    tr = SetTracker(FS)
    tr.start(1.0)
    tr.rep(make_rep(5))
    tr.stop(9.2)                                    # pressed at 9.2 s, during the rep topping at 9
    out = tr.rep(make_rep(9)) + tr.rep(make_rep(14))
    assert [(r.set_index, r.rep) for r in reps_of(out)] == [(1, 2), (2, 1)]
    assert tr.records[0].closed and tr.records[0].count == 2


def test_an_empty_manual_set_is_never_a_record():
    tr = SetTracker(FS)
    out = tr.start(1.0) + tr.stop(2.0) + tr.start(3.0)
    assert tr.records == [] and tr.open.set_index == 1
    closed = [o for o in out if o.closed]
    assert len(closed) == 1 and not closed[0].reps
    assert tr.finish()[0].reps == () and tr.records == []


def test_a_seek_back_replays_with_the_same_numbers_and_past_the_end_adds_no_set():
    tr = SetTracker(FS)
    reps = [make_rep(t) for t in (5, 9, 13, 17, 21)]
    first = reps_of(feed(tr, reps, 30))
    tr.seek(0.0)                                    # back to the start
    again = reps_of(feed(tr, [replace(r, t_top_s=r.t_top_s + 0.03) for r in reps], 30))
    assert [(r.set_index, r.rep, r.session_rep) for r in again] == [
        (r.set_index, r.rep, r.session_rep) for r in first]
    tr.seek(200.0)                                  # past the end: set 1 ends, no set 2
    closed = tr.advance(int(200 * FS), np.ones(5), "pct_mvc")
    assert [(s.set_index, s.end_reason, s.t_end_s) for s in closed] == [(1, SetEnd.IDLE, 21.5)]
    assert tr.finish() == []
    assert len(tr.records) == 1 and tr.records[0].count == 5


def test_a_skipped_stretch_seen_later_joins_its_set_without_renumbering():
    tr = SetTracker(FS)
    reps = [make_rep(t) for t in (5, 9, 13, 17, 21)]
    tr.seek(11.0)
    later = reps_of(feed(tr, reps[3:], 40))         # the replay started at 11 s
    tr.seek(0.0)
    early = reps_of(feed(tr, reps[:3], 14))
    assert {r.set_index for r in later + early} == {1}
    assert sorted(r.session_rep for r in later + early) == [1, 2, 3, 4, 5]
    assert [r.session_rep for r in later] == [1, 2]


def test_exercise_change_closes_the_set_and_numbering_goes_on():
    tr = SetTracker(FS)
    out = tr.rep(make_rep(5)) + tr.change_exercise("squat", 6.0)
    out += tr.rep(replace(make_rep(9), exercise="squat"))
    reps = reps_of(out)
    assert [(r.set_index, r.rep, r.session_rep) for r in reps] == [(1, 1, 1), (2, 1, 2)]
    assert tr.records[0].end_reason == SetEnd.EXERCISE and tr.open.exercise == "squat"


def test_interruptions_are_noted_on_the_open_set():
    tr = SetTracker(FS)
    tr.rep(make_rep(5))
    tr.interrupt(2.5)
    assert tr.open.interruptions == 1 and tr.open.interrupted_s == 2.5


def test_summary_is_one_recount_of_the_record():
    tr = SetTracker(FS)
    for t, ratio, verdict, lag in [(5, 1.4, Verdict.GLUTES_FINISHED, 0.05),
                                   (9, 0.6, Verdict.LUMBAR_DOMINANT, -0.1),
                                   (13, 1.1, Verdict.BORDERLINE, 0.0),
                                   (17, float("nan"), Verdict.UNKNOWN, 0.02)]:
        tr.rep(make_rep(t, ratio, verdict, lag))
    tr.rep(make_rep(21, 2.0, Verdict.UNKNOWN, status=RepStatus.PARTIAL))
    s = summarize(tr.finish()[0])
    assert (s.reps, s.partial_reps) == (4, 1)
    assert s.mean_ratio == pytest.approx((1.4 + 0.6 + 1.1) / 3)
    assert (s.worst_rep, s.min_ratio) == (2, 0.6)
    # a lag of exactly 0 is neither glutes first nor erectors first
    assert (s.glute_first_reps, s.erector_first_reps, s.onset_order) == (2, 1, "mixed")
    assert s.onset_text == "glutes first in 2 of 3 reps"
    assert s.verdict_count(Verdict.LUMBAR_DOMINANT) == 1 and s.verdict_count(Verdict.UNKNOWN) == 1


def test_records_round_trip_through_their_lines_and_old_sessions_are_renumbered():
    tr = SetTracker(FS)
    out = feed(tr, [make_rep(t) for t in (5, 9, 60, 64)], 100) + tr.finish()
    reps = reps_of(out)
    lines = [set_to_dict(r) for r in tr.records]
    assert records_from_reps(reps, lines) == tr.records
    # an old session: two reps numbered 1 in set 1 (numbering restarted mid-set), no lines
    old = [make_rep(5, rep=1, set_index=1), make_rep(9, rep=2, set_index=1),
           make_rep(13, rep=1, set_index=1), make_rep(40, rep=1, set_index=2)]
    recs = records_from_reps(old)
    assert [[(r.rep, r.session_rep) for r in s.reps] for s in recs] == [
        [(1, 1), (2, 2), (3, 3)], [(1, 4)]]
    assert not any(s.closed for s in records_from_reps(reps[:2]))   # cut while open


def test_set_activity_ignores_dead_channels_and_rules_reject_nonsense():
    env = np.array([[1.0, 3.0], [np.nan, 2.0], [np.nan, np.nan]])
    np.testing.assert_array_equal(set_activity(env)[:2], [2.0, 2.0])
    assert math.isnan(set_activity(env)[2])
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            SetRules(idle_s=bad)
    with pytest.raises(ValueError):
        SetTracker(0.0)


# --- properties over random sessions -------------------------------------------------------
gaps = st.lists(st.floats(min_value=1.0, max_value=40.0), min_size=1, max_size=25)
actions = st.lists(st.tuples(st.sampled_from(["start", "stop", "seek", "interrupt", "exercise"]),
                             st.floats(min_value=0.0, max_value=400.0)), max_size=6)


@settings(max_examples=60, deadline=None)
@given(gaps=gaps, actions=actions, block=st.integers(3, 50),
       rest_after=st.one_of(st.none(), st.floats(min_value=0.0, max_value=400.0)))
def test_every_rep_is_in_exactly_one_set_with_unique_stable_numbers(gaps, actions, block,
                                                                    rest_after):
    tops = np.cumsum(gaps) + 3.0
    reps = [make_rep(float(t)) for t in tops]
    tr = SetTracker(FS)
    out = []
    events = sorted([(float(r.t_end_s), "rep", r) for r in reps]
                    + [(t, a, None) for a, t in actions], key=lambda e: e[0])
    i = 0
    for t, kind, r in events:
        stop_i = int(t * FS)
        while i < stop_i:
            n = min(block, stop_i - i)
            tt = (i + np.arange(n)) / FS
            act = np.full(n, 50.0)
            if rest_after is not None:
                act[tt > rest_after] = 0.5
            out += tr.advance(i, act, "pct_mvc")
            i += n
        if kind == "rep":
            out += tr.rep(r)
        elif kind == "start":
            out += tr.start(t)
        elif kind == "stop":
            out += tr.stop(t)
        elif kind == "interrupt":
            out += tr.interrupt(1.0)
        elif kind == "exercise":
            out += tr.change_exercise("squat" if not tr.open or tr.open.exercise != "squat"
                                      else "deadlift", t)
        elif kind == "seek":
            tr.seek(t)
    # replay everything once more after a seek to 0: nothing is renumbered
    first = {r.session_rep: (r.set_index, r.rep) for r in reps_of(out)}
    tr.seek(0.0)
    for r in reps:
        for o in reps_of(tr.rep(r)):
            assert first[o.session_rep] == (o.set_index, o.rep)
    out += tr.finish()
    numbered = reps_of(out)
    assert sorted(first) == list(range(1, len(reps) + 1))          # every rep once, 1..N
    in_records = [r for s in tr.records for r in s.reps]
    assert sorted(r.session_rep for r in in_records) == list(range(1, len(reps) + 1))
    assert [s.set_index for s in tr.records] == list(range(1, len(tr.records) + 1))
    for s in tr.records:
        assert s.closed and [r.rep for r in s.reps] == list(range(1, len(s.reps) + 1))
        assert all(r.set_index == s.set_index for r in s.reps)
        assert summarize(s).reps == s.count == len(s.reps)
    assert {r.session_rep: (r.set_index, r.rep) for r in numbered} == first
    # reps further apart than idle_s never share a set
    by_top = sorted(in_records, key=lambda r: r.t_top_s)
    for a, b in zip(by_top, by_top[1:]):
        if b.t_top_s - a.t_top_s > tr.rules.idle_s:
            assert a.set_index != b.set_index


@settings(max_examples=40, deadline=None)
@given(gaps=gaps, b1=st.integers(3, 60), b2=st.integers(3, 60))
def test_set_decisions_do_not_depend_on_how_the_stream_is_chunked(gaps, b1, b2):
    tops = np.cumsum(gaps) + 3.0
    reps = [make_rep(float(t)) for t in tops]
    until = float(tops[-1]) + 40
    runs = []
    for block in (b1, b2):
        tr = SetTracker(FS)
        feed(tr, reps, until, rest_after_s=float(tops[len(tops) // 2]) + 1.0, block=block)
        runs.append(tr.records)
    assert runs[0] == runs[1]
