"""Fault suite: every session file damaged, field by field and line by line.

Each case checks the promise, not a message text: the commands that read a session
end with exit 0 or one clear line and exit 2 (never a traceback), the reader
reports what it skipped, and nothing valid is lost (the untouched rows, reps and
events all come back exactly).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from emg_monitor.cli import main
from emg_monitor.dsp.pipeline import FilterSettings
from emg_monitor.errors import UserError
from emg_monitor.model import EventKind, SourceEvent, Verdict
from emg_monitor.session import Recorder, SessionMeta, load_session
from emg_monitor.session.codec import rep_to_dict
from emg_monitor.session.history import list_sessions
from emg_monitor.session.meta import sample_dtype

from session_support import block, device_info, rep, values

N_ROWS = 3000
ROW = sample_dtype(6).itemsize
FAST = settings(max_examples=int(os.environ.get("FAULT_EXAMPLES", "25")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def make_session(folder: Path, athlete: str = "Ana", started: str = "2026-11-20T10:00:00+01:00",
                 ratios=(1.3, 0.7, float("nan"))) -> Path:
    meta = SessionMeta(athlete, "deadlift", filter_settings=FilterSettings(mains="off").to_dict(),
                       started=started, target_ratio=1.0, notes="n")
    with Recorder(folder, meta) as rec:
        rec.on_info(device_info())
        rec.mark("set_start", set_index=1)
        rec.on_block(block(0, 1500))
        rec.on_event(SourceEvent(EventKind.GAP, 1500, 0.0, "10 lost", 0.01))
        rec.on_block(block(1510, N_ROWS - 1500))
        for i, r in enumerate(ratios, 1):
            verdict = (Verdict.UNKNOWN if r != r else
                       Verdict.GLUTES_FINISHED if r > 1 else Verdict.LUMBAR_DOMINANT)
            rec.on_rep(rep(1, i, r, verdict, 0.5 + 0.7 * i))
        rec.mark("set_stop", set_index=1)
        rec.mark("note", text="felt tight")
    return folder


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return make_session(tmp_path_factory.mktemp("pristine") / "s")


@pytest.fixture
def fresh(pristine, tmp_path):
    """A function making a fresh copy of the pristine session (one per hypothesis example)."""
    counter = iter(range(10 ** 6))

    def copy() -> Path:
        dst = tmp_path / f"c{next(counter)}" / "s"
        shutil.copytree(pristine, dst)
        return dst
    return copy


def expected_index() -> np.ndarray:
    return np.r_[np.arange(0, 1500), np.arange(1510, 1510 + N_ROWS - 1500)]


def commands_behave(folder: Path, capsys, out_dir: Path, pdf: bool = False) -> None:
    """export, report, analyze and history on the damaged folder: exit 0, or exit 2 with
    one line; never an exception. The report's PDF is laid out from the same HTML (and
    costs a second an example), so only the hand-made cases ask for it."""
    for argv in (["export", str(folder), "--out", str(out_dir / "x")],
                 ["report", str(folder), "--out", str(out_dir / "r.html"),
                  *([] if pdf else ["--no-pdf"])],
                 ["analyze", str(folder), "--out", str(out_dir / "a.csv")],
                 ["history", "Ana", "--root", str(folder.parent)]):
        rc = main(argv)
        err = capsys.readouterr().err
        assert rc in (0, 2), (argv, rc, err)
        if rc == 2:
            lines = [line for line in err.strip().splitlines() if "warning" not in line]
            assert len(lines) == 1 and lines[0].startswith("emg-monitor: error:"), err
        assert "Traceback" not in err


# --- JSON-lines files: each line -----------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8),
                                                                       children, max_size=3),
    max_leaves=6)


def damaged_line(original: dict, draw_kind: str, key: str, value, junk: bytes) -> bytes:
    if draw_kind == "field":
        d = dict(original)
        d[key if key in d else sorted(d)[zlib.crc32(key.encode()) % len(d)]] = value
        return json.dumps(d).encode()
    if draw_kind == "value":
        return json.dumps(value).encode()
    return junk.replace(b"\n", b" ")


@pytest.fixture(scope="module")
def reference(pristine):
    return load_session(pristine)


def records(s, name: str) -> object:
    """Comparable forms of a session's records in file order (NaN-safe)."""
    if name == "reps.jsonl":
        return [json.dumps(rep_to_dict(r), sort_keys=True) for r in s.reps]
    return ([repr(e) for e in s.events], [json.dumps(m, sort_keys=True) for m in s.marks])


@FAST
@given(name=st.sampled_from(["reps.jsonl", "events.jsonl"]), line_no=st.integers(0, 10),
       kind=st.sampled_from(["field", "value", "bytes"]), key=st.text(max_size=12),
       value=json_values, junk=st.binary(min_size=1, max_size=60))
def test_any_line_damaged_costs_at_most_that_line(fresh, reference, capsys, tmp_path, name,
                                                  line_no, kind, key, value, junk):
    folder = fresh()
    path = folder / name
    lines = path.read_bytes().splitlines()
    k = line_no % len(lines)
    lines[k] = damaged_line(json.loads(lines[k]), kind, key, value, junk)
    path.write_bytes(b"\n".join(lines) + b"\n")
    s = load_session(folder)
    np.testing.assert_array_equal(s.sample_index, expected_index())     # samples untouched
    np.testing.assert_array_equal(s.data, values(expected_index()))
    if name == "reps.jsonl":
        before, after = records(reference, name), records(s, name)
        assert all(r in after for i, r in enumerate(before) if i != k)  # nothing valid lost
        lost = len(before) - len(after)
    else:
        (ev0, mk0), (ev1, mk1) = records(reference, name), records(s, name)
        assert sum(e not in ev1 for e in ev0) + sum(m not in mk1 for m in mk0) <= 1
        lost = len(ev0) + len(mk0) - len(ev1) - len(mk1)
    assert lost in (0, 1)
    if lost:
        assert any(f"line {k + 1}:" in p for p in s.problems), s.problems   # and says so
    commands_behave(folder, capsys, tmp_path)


def test_the_examples_from_the_issue_are_read_and_reported(fresh, capsys, tmp_path):
    folder = fresh()
    with open(folder / "reps.jsonl", "a") as f:
        f.write('5\n{"rep": 4, "set_index": 1, "ratio": "abc", "verdict": "hip_short"}\n')
    with open(folder / "events.jsonl", "a") as f:
        f.write('{"type": "event", "kind": "gap", "sample_index": null}\n'
                '{"type": "mark", "kind": "set_start", "sample_index": null}\n[1, 2]\n')
    s = load_session(folder)
    assert len(s.reps) == 4                               # the odd rep is kept, not dropped
    odd = s.reps[-1]
    assert odd.rep == 4 and math.isnan(odd.ratio) and odd.verdict == Verdict.UNKNOWN
    assert "verdict_unreadable:hip_short" in odd.quality_flags
    text = "\n".join(s.problems)
    assert "reps.jsonl: 4 problems" in text and "line 4: 5 is not a rep object" in text
    assert "line 5: ratio 'abc' is not a number" in text and "'hip_short' is unknown" in text
    assert "events.jsonl: 3 problems" in text
    assert [m["kind"] for m in s.marks] == ["set_start", "set_stop", "note"]
    commands_behave(folder, capsys, tmp_path, pdf=True)


def test_a_line_cut_by_a_crash_is_silent_but_a_bad_line_before_it_is_reported(fresh):
    folder = fresh()
    with open(folder / "reps.jsonl", "ab") as f:
        f.write(b'{"rep": 9, "set_ind')                    # cut mid-write by kill -9
    assert load_session(folder).problems == []
    with open(folder / "reps.jsonl", "ab") as f:
        f.write(b'\n' + json.dumps(rep_to_dict(rep(1, 5, 1.2, Verdict.GLUTES_FINISHED, 5.0))
                                   ).encode() + b"\n")
    s = load_session(folder)
    assert len(s.reps) == 4 and any("line 4" in p for p in s.problems)


# --- session.json: each field ----------------------------------------------------------------
HOSTILE_VALUES: list[object] = [None, "abc", 1e308, -1, 0, [], {}, True, "../../../etc/passwd", "/dev/zero",
                  "x" * 5000, {"a": [1, {"b": None}]}]
#: fields that decide how the samples are read: damaged, the session cannot be interpreted
#: (one line, exit 2); any other field damaged must cost nothing but that field
ESSENTIAL = ("format", "format_version", "device", "device.sample_rate_hz", "device.channels")


def key_paths(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{prefix}.{k}" if prefix else k
            yield p
            yield from key_paths(v, p)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            p = f"{prefix}[{i}]"
            yield p
            yield from key_paths(v, p)


def set_path(obj, path: str, value):
    import re
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    for part in parts[:-1]:
        obj = obj[int(part[1:-1])] if part.startswith("[") else obj[part]
    last = parts[-1]
    if last.startswith("["):
        obj[int(last[1:-1])] = value
    else:
        obj[last] = value


def _essential(path: str) -> bool:
    return any(path == e or path.startswith(e + "[") or path.startswith(e + ".")
               for e in ESSENTIAL) and not path.startswith(("device.channels[0].unit",
                                                             "device.channels[0].muscle"))


@pytest.fixture(scope="module")
def header_paths(pristine):
    return list(key_paths(json.loads((pristine / "session.json").read_text())))


@FAST
@given(data=st.data(), value=st.sampled_from(HOSTILE_VALUES))
def test_any_session_json_field_of_the_wrong_type(fresh, header_paths, capsys, tmp_path, data,
                                                  value):
    path = data.draw(st.sampled_from(header_paths))
    folder = fresh()
    header = json.loads((folder / "session.json").read_text())
    set_path(header, path, value)
    (folder / "session.json").write_text(json.dumps(header))
    try:
        s = load_session(folder)
    except UserError as exc:
        assert "\n" not in str(exc)
        assert _essential(path), f"{path}={value!r} must not make the session unreadable: {exc}"
    else:
        # whatever the field, every sample row and every rep is still there
        if not _essential(path):
            np.testing.assert_array_equal(s.sample_index, expected_index())
            assert len(s.reps) == 3
    commands_behave(folder, capsys, tmp_path)


@pytest.mark.parametrize("name", ["/etc/passwd", "/dev/zero", "../other/samples.bin",
                                  "events.jsonl"])
def test_session_json_cannot_name_files_outside_the_session(fresh, name):
    folder = fresh()
    header = json.loads((folder / "session.json").read_text())
    header["samples"]["file"] = name
    header["events"] = name
    header["reps"] = name
    (folder / "session.json").write_text(json.dumps(header))
    s = load_session(folder)                 # the standard files are read instead
    np.testing.assert_array_equal(s.sample_index, expected_index())
    assert len(s.reps) == 3 and len(s.marks) == 3
    assert any("not a file inside the session folder" in p for p in s.problems)


def test_a_symlink_to_a_device_or_outside_file_is_not_read(fresh, tmp_path):
    folder = fresh()
    os.replace(folder / "reps.jsonl", tmp_path / "moved.jsonl")
    os.symlink(tmp_path / "moved.jsonl", folder / "reps.jsonl")
    (folder / "events.jsonl").unlink()
    os.symlink("/dev/zero", folder / "events.jsonl")
    s = load_session(folder)
    assert s.reps == [] and s.events == []
    assert any("outside the session folder" in p for p in s.problems)
    (folder / "samples.bin").unlink()
    os.symlink("/dev/zero", folder / "samples.bin")
    with pytest.raises(UserError, match="missing or unreadable"):
        load_session(folder)


# --- samples.bin: random bytes, insertions, deletions, wild indices --------------------------
def rows_outside(span_start: int, span_end: int) -> np.ndarray:
    """Original indices of rows whose bytes lie wholly outside [span_start, span_end)."""
    idx = expected_index()
    starts = np.arange(idx.size) * ROW
    keep = (starts + ROW <= span_start) | (starts >= span_end)
    return idx[keep]


def check_damage(folder: Path, where: int, junk: bytes, mode: str) -> None:
    path = folder / "samples.bin"
    raw = bytearray(path.read_bytes())
    if mode == "overwrite":
        raw[where:where + len(junk)] = junk[:len(raw) - where]
        span = (where, where + len(junk))
    elif mode == "insert":
        raw[where:where] = junk
        span = (where, where + 1)
    else:
        del raw[where:where + len(junk)]
        span = (where, where + len(junk))
    path.write_bytes(bytes(raw))
    s = load_session(folder)
    got = s.sample_index
    assert np.all(np.diff(got) > 0)                       # a stream, in order
    assert np.isin(got, expected_index()).all(), "a row with an invented index was read"
    # damage costs the rows it touches and at most the one row either side of it (a row
    # whose bytes straddle an insertion can read as a valid row at the new alignment)
    intact = rows_outside(span[0] - ROW, span[1] + ROW)
    assert np.isin(intact, got).all(), "an undamaged row was lost"
    sel = np.isin(got, intact)
    np.testing.assert_array_equal(s.data[sel], values(got[sel]))
    if len(got) < N_ROWS:
        assert any("samples.bin" in p for p in s.problems), "a loss must be reported"


@FAST
@given(where=st.integers(0, N_ROWS * ROW - 1), junk=st.binary(min_size=1, max_size=400),
       mode=st.sampled_from(["overwrite", "insert", "delete"]))
def test_damaged_bytes_in_samples_cost_only_the_damaged_rows(fresh, capsys, tmp_path, where,
                                                             junk, mode):
    folder = fresh()
    check_damage(folder, where, junk, mode)
    commands_behave(folder, capsys, tmp_path)


EDGES = [0, 2, 31, 32, 33, 1499 * ROW + 2, 1500 * ROW, 1500 * ROW + 9, (N_ROWS - 3) * ROW + 2,
         (N_ROWS - 2) * ROW + 2, (N_ROWS - 1) * ROW, N_ROWS * ROW - 1]


@pytest.mark.parametrize("where", EDGES)
@pytest.mark.parametrize("mode", ["overwrite", "insert", "delete"])
@pytest.mark.parametrize("junk", [b"\x00", b"\xff" * 7, bytes(range(97, 137))], ids=len)
def test_damage_at_the_edges_start_gap_and_end(fresh, where, mode, junk):
    check_damage(fresh(), where, junk, mode)


def test_rows_after_an_insertion_are_recovered(fresh):
    folder = fresh()
    raw = bytearray((folder / "samples.bin").read_bytes())
    raw[1000 * ROW + 5:1000 * ROW + 5] = b"\xff" * 13        # 13 stray bytes mid-row
    (folder / "samples.bin").write_bytes(bytes(raw))
    s = load_session(folder)
    lost = set(expected_index()) - set(s.sample_index)
    assert lost == {1000}                                     # the one row the bytes landed in
    assert "samples.bin: 2 problems" in s.problems[0] and "at byte 32000" in s.problems[0]
    assert "counts 3000 samples written, 2999 could be read" in s.problems[0]


@pytest.mark.parametrize("index", [1_200_000_000 + 700, -5, 2 ** 62, 10])
def test_a_wild_index_is_skipped_not_allocated(fresh, capsys, tmp_path, index):
    """One row whose index jumps (the 37 GiB case), goes back, or repeats: that row only."""
    folder = fresh()
    raw = bytearray((folder / "samples.bin").read_bytes())
    raw[700 * ROW:700 * ROW + 8] = np.int64(index).tobytes()
    (folder / "samples.bin").write_bytes(bytes(raw))
    s = load_session(folder)
    assert set(expected_index()) - set(s.sample_index) == {700}
    assert s.duration_s < 4.0
    commands_behave(folder, capsys, tmp_path)


def test_garbage_from_the_start_is_skipped(fresh):
    folder = fresh()
    raw = bytearray((folder / "samples.bin").read_bytes())
    raw[:5 * ROW] = os.urandom(5 * ROW)
    (folder / "samples.bin").write_bytes(bytes(raw))
    s = load_session(folder)
    np.testing.assert_array_equal(s.sample_index, expected_index()[5:])


def test_all_garbage_is_an_empty_session_not_a_crash(fresh, capsys, tmp_path):
    folder = fresh()
    (folder / "samples.bin").write_bytes(os.urandom(50_000))
    s = load_session(folder)
    assert s.n_samples <= 2 and s.problems
    commands_behave(folder, capsys, tmp_path, pdf=True)


def test_chunked_reading_equals_whole_reading(fresh):
    s = load_session(fresh())
    parts = list(s.iter_samples(chunk_rows=7))
    assert max(p.index.size for p in parts) == 7
    np.testing.assert_array_equal(np.concatenate([p.index for p in parts]), expected_index())
    np.testing.assert_array_equal(np.concatenate([p.data for p in parts]), s.data)


# --- siblings ------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["header_garbage", "header_not_object", "no_device",
                                    "bad_started", "reps_garbage", "folder_unreadable_file"])
def test_one_damaged_sibling_never_breaks_the_others(tmp_path, capsys, damage):
    root = tmp_path / "sessions"
    a = make_session(root / "a", started="2026-11-01T10:00:00+01:00", ratios=(0.8, 0.9))
    bad = make_session(root / "b", started="2026-11-08T10:00:00+01:00", ratios=(1.0,))
    c = make_session(root / "c", started="2026-11-15T10:00:00+01:00", ratios=(1.2, 1.4))
    header = bad / "session.json"
    if damage == "header_garbage":
        header.write_bytes(os.urandom(300))
    elif damage == "header_not_object":
        header.write_text("[1, 2, 3]")
    elif damage == "no_device":
        d = json.loads(header.read_text())
        d["device"] = 7
        d["meta"] = "x"
        header.write_text(json.dumps(d))
    elif damage == "bad_started":
        d = json.loads(header.read_text())
        d["meta"]["started"] = "yesterday"
        header.write_text(json.dumps(d))
    elif damage == "reps_garbage":
        (bad / "reps.jsonl").write_bytes(os.urandom(2000))
    else:
        (bad / "reps.jsonl").unlink()
        (bad / "reps.jsonl").mkdir()
    assert main(["history", "Ana", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert a.name in out and c.name in out
    assert {s.path for s in list_sessions("Ana", root)} >= {a, c}
    assert main(["report", str(c), "--out", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "Mean ratio per session" in html                 # the trend drew a, (b), c
    assert main(["report", str(bad), "--out", str(tmp_path / "rb.html")]) in (0, 2)
    assert "Traceback" not in capsys.readouterr().err


# --- a listener failing mid-recording --------------------------------------------------------
@pytest.mark.parametrize("method", ["on_block", "on_event", "on_info"])
def test_a_listener_failing_mid_recording_costs_the_session_nothing(tmp_path, method):
    """Wherever a failing listener sits in the fan-out (here: before the recorder), the
    session on disk is complete, closed and reads back without a single problem."""
    from emg_monitor.engine import Engine, EngineSettings
    from emg_monitor.sim.athlete import AthleteConfig
    from emg_monitor.sources.base import Listener
    from emg_monitor.sources.notifier import Notifier
    from emg_monitor.sources.simulated import SimulatedSource

    class Failing(Listener):
        calls = 0

        def _maybe(self, *_):
            self.calls += 1
            if self.calls == (1 if method != "on_block" else 40):
                raise RuntimeError("display crashed")
    setattr(Failing, method, Failing._maybe)
    src = SimulatedSource(AthleteConfig(seed=2, sets=1, reps_per_set=3, setup_s=1.0),
                          realtime=False)
    info = src.open()
    n = int(round(src.athlete.duration_s * info.sample_rate_hz))
    rec = Recorder(tmp_path / "s", SessionMeta(athlete="Ana", exercise="deadlift"))
    engine = Engine(EngineSettings())
    engine.add_listener(rec)
    engine.start_set()
    reader = Notifier(src, [Failing(), rec, engine])
    reader.start()
    assert reader.wait(120)
    reader.stop()
    rec.close()
    assert [f.name for f in reader.failures] == ["Failing"]
    s = load_session(tmp_path / "s")
    assert s.closed and s.problems == [] and s.n_samples == n
    assert len(s.reps) == 3


REP_HOSTILE: list[object] = [None, "abc", 1e308, -1, 0, [], {}, True, 2 ** 70]


@pytest.mark.parametrize("value", REP_HOSTILE, ids=repr)
def test_every_field_of_one_rep_damaged_leaves_the_other_reps_exactly(fresh, reference, value):
    """Field by field, not sampled: a damaged rep number once renumbered every rep."""
    folder = fresh()
    path = folder / "reps.jsonl"
    lines = path.read_bytes().splitlines()
    first = json.loads(lines[0])
    before = records(reference, "reps.jsonl")
    for name in sorted(first):
        damaged = dict(first, **{name: value})
        path.write_bytes(b"\n".join([json.dumps(damaged).encode(), *lines[1:]]) + b"\n")
        after = records(load_session(folder), "reps.jsonl")
        assert before[1:] == [r for r in after if r in before[1:]], name
        assert len(after) >= len(before) - 1, name
