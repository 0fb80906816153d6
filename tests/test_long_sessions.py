"""Long sessions cost bounded memory (issue 11): hours-long gaps, streamed analysis.

Memory is checked with tracemalloc peaks and buffer sizes, never wall time. The
bounds are far below what the unbounded code allocated (the gap tests: ~0.9 GB of
NaN rows; the streamed analysis: the whole recording as float64), and far above
what the bounded code needs, so they neither flake nor pass by accident.
"""
from __future__ import annotations

import tracemalloc
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from emg_monitor.analysis import analyze_chunks, analyze_recording, analyze_session
from emg_monitor.dsp.pipeline import FilterSettings
from emg_monitor.model import DeviceInfo, SampleBlock
from emg_monitor.reps.history import History
from emg_monitor.session import Recorder, SessionMeta, load_session
from emg_monitor.sim.athlete import Athlete, AthleteConfig

HOURS_3 = 3 * 3600


def peak_mb(fn, *args, **kwargs):
    """(fn's result, tracemalloc peak in MB while it ran)."""
    tracemalloc.start()
    try:
        out = fn(*args, **kwargs)
        return out, tracemalloc.get_traced_memory()[1] / 2 ** 20
    finally:
        tracemalloc.stop()


# --- the rep detector's history -------------------------------------------------------------
def test_an_hours_long_gap_keeps_the_history_bounded():
    fs = 2000
    h = History(5, max_gap_rows=40 * fs)
    h.append(0, np.ones((fs, 5)))
    after = fs + HOURS_3 * fs
    _, peak = peak_mb(h.append, after, np.full((fs, 5), 2.0))
    assert peak < 20, f"a 3-hour gap allocated {peak:.0f} MB"
    assert h.buf.shape[0] <= 2 * (40 * fs + fs)        # the buffer doubles as it grows
    assert h.end == after + fs                         # indices stay exact across the gap
    assert np.isnan(h.rows(after - 40 * fs, after)).all()
    assert (h.rows(after, after + fs) == 2.0).all()
    assert h.rows(0, fs).size == 0                     # before the gap: forgotten, as trimmed


@settings(max_examples=60, deadline=None)
@given(gaps=st.lists(st.integers(0, 300), min_size=1, max_size=6),
       sizes=st.lists(st.integers(1, 50), min_size=7, max_size=7),
       limit=st.integers(1, 200))
def test_the_bound_changes_nothing_the_owner_can_still_address(gaps, sizes, limit):
    """Within the last ``max_gap_rows`` before any append, the bounded history reads exactly
    what the unbounded one does."""
    bounded, unbounded = History(2, max_gap_rows=limit), History(2)
    at, k = 0, 0
    for gap, size in zip([0, *gaps], sizes):
        at += gap
        rows = np.column_stack([np.arange(at, at + size), np.full(size, k)]).astype(float)
        bounded.append(at, rows)
        unbounded.append(at, rows)
        lo = max(at - limit, 0)
        np.testing.assert_array_equal(bounded.rows(lo, at + size), unbounded.rows(lo, at + size))
        assert bounded.end == unbounded.end
        at += size
        k += 1


def test_the_rep_detector_itself_bridges_a_3_hour_gap_in_bounded_memory():
    """``RepDetector`` pads lost samples with NaN rows so indices stay exact; fed directly
    (the engine starts a fresh detector after a gap), an hours-long hole padded ~0.9 GB."""
    from emg_monitor.exercises import get_exercise
    from emg_monitor.model import Channel, Kind, Muscle, Side
    from emg_monitor.reps import RepDetector
    fs = 2000.0
    info = DeviceInfo(fs, (Channel("g", Kind.ENVELOPE, "mV", Muscle.GLUTE, Side.LEFT),
                           Channel("e", Kind.ENVELOPE, "mV", Muscle.ERECTOR, Side.LEFT),
                           Channel("a", Kind.MOTION, "deg")))
    det = RepDetector(info, ("g", "e"), "pct_mvc", True, get_exercise("deadlift"), fs, True)
    n = int(fs)
    env, angle = np.full((n, 2), 30.0), np.zeros(n)
    det.update(0, env, angle)
    _, peak = peak_mb(det.update, n + int(HOURS_3 * fs), env, angle)
    assert peak < 20, f"a 3-hour gap allocated {peak:.0f} MB"


def athlete_recording(sets: int = 1, reps: int = 4, seed: int = 5):
    cfg = AthleteConfig(sets=sets, reps_per_set=reps, seed=seed)
    a = Athlete(cfg)
    return a, DeviceInfo(cfg.sample_rate_hz, a.channels), a.render_all()


def test_the_detector_bridges_a_3_hour_gap_in_bounded_memory():
    """A laptop left recording: a set, three hours without signal, a set. Both sets' reps are
    found and the gap costs no memory (before: ~0.9 GB of NaN rows at 2 kHz)."""
    a, info, data = athlete_recording()
    alone = analyze_recording(data, info)
    gap = int(HOURS_3 * info.sample_rate_hz)
    index = np.r_[np.arange(len(data)), len(data) + gap + np.arange(len(data))]
    res, peak = peak_mb(analyze_recording, np.vstack([data, data]), info, first_index=index)
    assert peak < 150, f"analysis across a 3-hour gap peaked at {peak:.0f} MB"
    n = len(alone.reps)
    assert n >= 3 and len(res.reps) == 2 * n
    shift = (len(data) + gap) / info.sample_rate_hz
    for first, second, ref in zip(res.reps[:n], res.reps[n:], alone.reps):
        assert first.t_top_s == pytest.approx(ref.t_top_s)
        assert second.t_top_s == pytest.approx(ref.t_top_s + shift)


# --- streamed analysis of a session ----------------------------------------------------------
def record(folder: Path, info: DeviceInfo, blocks: list[SampleBlock]) -> Path:
    meta = SessionMeta("Ana", "deadlift", filter_settings=FilterSettings(mains="off").to_dict(),
                       target_ratio=1.0)
    with Recorder(folder, meta) as rec:
        rec.on_info(info)
        for b in blocks:
            rec.on_block(b)
    return folder


def comparable(reps):
    """Reps as dicts, NaN as a marker (NaN != NaN would fail every comparison)."""
    return [{k: "nan" if isinstance(v, float) and v != v else v for k, v in asdict(r).items()}
            for r in reps]


@pytest.fixture(scope="module")
def gapped_session(tmp_path_factory):
    """Two sets of the simulated athlete with a 3-hour hole between them, on disk."""
    a, info, data = athlete_recording(reps=3, seed=8)
    gap = int(HOURS_3 * info.sample_rate_hz)
    folder = tmp_path_factory.mktemp("long") / "gapped"
    blocks = [SampleBlock(i, data[i:i + 500]) for i in range(0, len(data), 500)]
    blocks += [SampleBlock(len(data) + gap + i, data[i:i + 500])
               for i in range(0, len(data), 500)]
    return record(folder, info, blocks), info, data


@pytest.mark.parametrize("chunk_rows", [1, 37, 4096, 10 ** 7])
def test_analyze_session_streams_and_its_chunking_changes_nothing(gapped_session, chunk_rows):
    folder, info, _ = gapped_session
    s = load_session(folder)
    whole = analyze_recording(s.data, s.info, first_index=s.sample_index,
                              settings=FilterSettings(mains="off"), target_ratio=1.0)
    if chunk_rows == 1:               # row by row through the streaming core (a slow path)
        chunks = ((c.index, c.data) for c in s.iter_samples(997))
        got = analyze_chunks(((i[k:k + 1], d[k:k + 1]) for i, d in chunks
                              for k in range(len(i))), s.info,
                             settings=FilterSettings(mains="off"), target_ratio=1.0)
    else:
        got = analyze_session(folder, chunk_rows=chunk_rows)
    assert len(whole.reps) >= 4
    assert comparable(got.reps) == comparable(whole.reps)
    assert [r.set_index for r in got.sets] == [r.set_index for r in whole.sets]
    assert got.duration_s == whole.duration_s


def test_analyze_session_never_loads_the_whole_recording(gapped_session, monkeypatch):
    """The samples are streamed chunk by chunk; loading them all (``Session.data``: ~0.7 GB
    for a 2-hour, 6-channel, 2 kHz session) is refused here, and the reps still come out
    (docs/reliability.md has the measured peak memory of 15 min / 1 h / 2 h sessions)."""
    from emg_monitor.session.reader import Session
    folder, _, _ = gapped_session
    expected = comparable(analyze_session(folder).reps)

    def refuse(self):
        raise AssertionError("the whole recording was loaded into memory")
    monkeypatch.setattr(Session, "_load_all", refuse)
    got = analyze_session(folder, chunk_rows=1000)
    assert len(got.reps) >= 4 and comparable(got.reps) == expected
