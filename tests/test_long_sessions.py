"""Long sessions cost bounded memory (issue 11): hours-long gaps, streamed analysis.

Memory is checked with tracemalloc peaks and buffer sizes, never wall time. The
bounds are far below what the unbounded code allocated (the gap tests: ~0.9 GB of
NaN rows; the streamed analysis: the whole recording as float64), and far above
what the bounded code needs, so they neither flake nor pass by accident.
"""
from __future__ import annotations

import re
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


# --- the report's PDF, laid out in parts -----------------------------------------------------
def fake_report(sections: list[tuple[str, list[str], str]]) -> str:
    """A report-shaped document: per section an intro, a grid of panels cut by GRID_CUT
    (none when empty) and a trailer."""
    from emg_monitor.session.report_pdf import GRID_CUT, GRID_OPEN
    body = "".join(f"<h2>{intro}</h2>" + (f"{GRID_OPEN}{GRID_CUT.join(panels)}</div>"
                                          if panels else "") + trailer
                   for intro, panels, trailer in sections)
    return f"<html><head><style>x</style></head><body><p>top</p>{body}</body></html>"


text = st.text(alphabet="abc <>/", max_size=40)


@settings(max_examples=150, deadline=None)
@given(sections=st.lists(st.tuples(text, st.lists(text.map(lambda t: f"<svg>{t}</svg>"),
                                                  max_size=12), text), max_size=6),
       part_bytes=st.integers(1, 400))
def test_pdf_parts_cut_only_between_sections_and_panels(sections, part_bytes):
    """Every part is a whole document with the same head; joined back (the grid closed and
    reopened at a cut removed) they are the body exactly; every grid is balanced; a part is
    over the budget only when one piece alone is."""
    from emg_monitor.session.report_pdf import GRID_CUT, GRID_OPEN, pdf_parts
    html = fake_report(sections)
    parts = pdf_parts(html, part_bytes)
    head = html[:html.index("<body>")]
    bodies = []
    for p in parts:
        assert p.startswith(head + "<body>") and p.endswith("</body></html>")
        b = p[len(head) + 6:-len("</body></html>")]
        assert b.count(GRID_OPEN) == b.count("</div>")
        bodies.append(b)
    rebuilt = "".join(bodies)
    body = html[len(head) + 6:-len("</body></html>")]
    assert rebuilt.replace("</div>" + GRID_OPEN, "") == body.replace(GRID_CUT, "")
    pieces = [piece for sec in body.split("<h2>") for piece in sec.split(GRID_CUT)]
    longest = max(len(x) for x in pieces) + len("<h2>") + len(GRID_OPEN) + len("</div>")
    for b in bodies:
        assert len(b) <= max(part_bytes, longest) + len(GRID_OPEN) + len("</div>")


def fake_tables(sections: list[tuple[str, int, int, str]]) -> tuple[str, list[str]]:
    """A report-shaped document whose sections each hold one table (its header rows, then
    its data rows), and each table's opening with its header."""
    heads, body = [], ""
    for k, (intro, n_head, n_rows, trailer) in enumerate(sections):
        head = f'<table id="t{k}">' + "".join(f"<tr><th>h{k}.{i}</th></tr>" for i in range(n_head))
        heads.append(head)
        body += (f"<h2>{intro}</h2>{head}" + "".join(f"<tr><td>{k}.{i}</td></tr>" for i in range(n_rows))
                 + f"</table>{trailer}")
    return f"<html><head><style>x</style></head><body><p>top</p>{body}</body></html>", heads


@settings(max_examples=150, deadline=None)
@given(sections=st.lists(st.tuples(text, st.integers(0, 2), st.integers(0, 400), text),
                         min_size=1, max_size=4),
       part_bytes=st.integers(1, 600_000))
def test_pdf_parts_cut_long_tables_between_rows_and_repeat_their_header(sections, part_bytes):
    """WeasyPrint's memory grows with table rows, so a long table is cut between rows: each
    part's tables are balanced and open with the table's own header; joined back (the
    table closed and reopened at a cut removed) the parts are the body exactly; and no
    part costs more than the budget unless one section's text and one block of rows do."""
    from emg_monitor.session.report_pdf import ROW_BYTES, TABLE_ROWS, pdf_parts
    html, heads = fake_tables(sections)
    parts = pdf_parts(html, part_bytes)
    head = html[:html.index("<body>")]
    body = html[len(head) + 6:-len("</body></html>")]
    bodies = [p[len(head) + 6:-len("</body></html>")] for p in parts]
    for b in bodies:
        assert b.count("<table") == b.count("</table>")
        for m in re.finditer(r'<table id="t(\d+)">', b):
            assert b.startswith(heads[int(m.group(1))], m.start())
    rebuilt = "".join(bodies)
    for h in heads:
        rebuilt = rebuilt.replace("</table>" + h, "")
    assert rebuilt == body
    longest = max(len(intro) + len(trailer) for intro, _, _, trailer in sections) + 200
    bound = max(part_bytes, longest + (TABLE_ROWS + 3) * (ROW_BYTES + 60))
    for b in bodies:
        assert len(b) + ROW_BYTES * b.count("<tr") <= bound + len(max(heads, key=len)) * 2


def test_a_long_report_pdf_is_laid_out_in_parts_and_keeps_every_page(tmp_path, monkeypatch):
    """With a small budget the demo's report is laid out in several parts (so memory does not
    grow with the reps: WeasyPrint never sees more than one part) and the PDF holds every
    part's pages and every rep's panel title."""
    import shutil

    import weasyprint
    from pypdf import PdfReader

    from emg_monitor.session.report import write_report
    from emg_monitor.session import report_pdf

    demo = Path(__file__).resolve().parents[1] / "seeds" / "demo"
    folder = tmp_path / "demo"
    shutil.copytree(demo, folder)
    seen: list[int] = []
    real = weasyprint.HTML

    def spy(*, string):
        seen.append(len(string))
        return real(string=string)
    monkeypatch.setattr(weasyprint, "HTML", spy)
    monkeypatch.setattr(report_pdf, "PART_BYTES", 40_000)
    monkeypatch.setattr(report_pdf.write_pdf, "__defaults__", (40_000,))
    out = write_report(folder, tmp_path / "r.html")
    html = out.read_text(encoding="utf-8")
    parts = report_pdf.pdf_parts(html, 40_000)
    assert len(parts) >= 3 and len(seen) == len(parts)
    assert max(seen) < len(html) / 2
    reader = PdfReader(out.with_suffix(".pdf"))
    pdf_text = " ".join(page.extract_text() for page in reader.pages)
    s = load_session(folder)
    for r in s.reps:
        if r.status.value == "complete":
            assert f"Set {r.set_index} rep {r.rep}" in pdf_text
    assert not list(tmp_path.glob(".*.part"))


# --- replaying a long session -------------------------------------------------------------
def test_replay_reads_a_session_from_disk_as_it_plays(gapped_session, monkeypatch):
    """The dashboard's replay of a session never loads it whole (~0.8 GB for 2 hours): every
    row comes back exactly, in order, the 3-hour hole as ``lost_before``, and a seek lands
    on the first row at or after its time."""
    from emg_monitor.session.reader import Session
    from emg_monitor.sources.replay import ReplaySource
    folder, info, data = gapped_session
    s = load_session(folder)
    ref_index, ref_data = s.sample_index.copy(), s.data.copy()

    def refuse(self):
        raise AssertionError("the whole recording was loaded into memory")
    monkeypatch.setattr(Session, "_load_all", refuse)
    src = ReplaySource(folder, speed=None)
    src.open()
    blocks = []
    while True:
        try:
            blocks += src._read(0.01)
        except StopIteration:
            break
    index = np.concatenate([b.first_index + np.arange(b.n) for b in blocks])
    np.testing.assert_array_equal(index, ref_index)
    np.testing.assert_array_equal(np.vstack([b.data for b in blocks]), ref_data)
    jump = int(np.flatnonzero(np.diff(ref_index) != 1)[0]) + 1
    lost = {b.first_index: b.lost_before for b in blocks if b.lost_before}
    assert lost == {int(ref_index[jump]): int(ref_index[jump] - ref_index[jump - 1] - 1)}
    assert src.duration_s == (ref_index[-1] + 1) / info.sample_rate_hz
    for t_s in (0.0, 1.234, ref_index[jump - 1] / info.sample_rate_hz + 60.0, 1e9):
        src.seek(t_s)
        want = int(np.searchsorted(ref_index, int(np.ceil(t_s * info.sample_rate_hz - 1e-9))))
        assert src._pos == want
        if want < ref_index.size:
            assert src._read(0.01)[0].first_index == ref_index[want]
        else:
            with pytest.raises(StopIteration):
                src._read(0.01)


def test_onset_lag_of_rows_with_no_finite_value_is_nan_not_a_warning():
    """A damaged stretch (every channel NaN) inside a rep: the onset lag is unknown, never a
    RuntimeWarning (an error under the test settings, a traceback for ``analyze``)."""
    from emg_monitor.exercises import get_exercise
    from emg_monitor.model import Channel, Kind, Muscle, Side
    from emg_monitor.reps import RepDetector
    fs = 1000.0
    info = DeviceInfo(fs, (Channel("g", Kind.ENVELOPE, "mV", Muscle.GLUTE, Side.LEFT),
                           Channel("e", Kind.ENVELOPE, "mV", Muscle.ERECTOR, Side.LEFT),
                           Channel("a", Kind.MOTION, "deg")))
    det = RepDetector(info, ("g", "e"), "pct_mvc", True, get_exercise("deadlift"), fs, True)
    rows = np.full((1000, 2), 20.0)
    rows[300:320] = np.nan
    assert np.isnan(det.scorer.onset_lag(rows, fs, 200))
