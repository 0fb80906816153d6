"""Recorder -> disk -> reader round trips, crashes (real SIGKILL) and disk failures."""
from __future__ import annotations

import errno
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from emg_monitor.errors import UserError
from emg_monitor.model import EventKind, SourceEvent, Verdict
from emg_monitor.session import Recorder, SessionMeta, load_session
from emg_monitor.session.meta import SAMPLES_FILE, SESSION_FILE, sample_dtype

from session_support import block, device_info, rep, values

ROOT = Path(__file__).resolve().parents[1]


def meta(**kw) -> SessionMeta:
    base: dict[str, Any] = dict(athlete="Ana", exercise="deadlift", filter_settings={"band_hz": [20, 450]},
                calibration={"mvc": {"left_glute": 100.0}}, notes="first try")
    base.update(kw)
    return SessionMeta(**base)


def test_round_trip_samples_events_reps_marks(tmp_path):
    folder = tmp_path / "s1"
    rec = Recorder(folder, meta())
    info = device_info()
    rec.on_info(info)
    rec.mark("set_start", set_index=1)
    rec.on_block(block(0, 500))
    rec.on_event(SourceEvent(EventKind.GAP, 500, 0.0, "3 lost", 0.003))
    rec.on_block(block(503, 497))               # a gap of 3 samples
    r1 = rep(1, 1, 1.4, Verdict.GLUTES_FINISHED, 0.7)
    r2 = rep(1, 2, float("nan"), Verdict.UNKNOWN, 0.9)
    rec.on_rep(r1)
    rec.on_rep(r2)
    rec.mark("set_stop", set_index=1)
    rec.mark("note", text="felt tight")
    rec.close()
    assert rec.status == "closed" and rec.error is None

    s = load_session(folder)
    assert s.closed
    assert s.meta == meta().__class__(**{**meta().to_dict(), "started": s.meta.started})
    assert s.info == info
    assert s.data.shape == (997, 6)
    expected_index = np.r_[np.arange(0, 500), np.arange(503, 1000)]
    np.testing.assert_array_equal(s.sample_index, expected_index)
    np.testing.assert_array_equal(s.data, values(expected_index))
    np.testing.assert_allclose(s.times_s[-1], 0.999)
    assert [e.kind for e in s.events] == [EventKind.GAP]
    assert s.events[0].sample_index == 500 and s.events[0].duration_s == 0.003
    assert s.reps[0] == r1
    assert math.isnan(s.reps[1].ratio) and s.reps[1].verdict == Verdict.UNKNOWN
    assert [m["kind"] for m in s.marks] == ["set_start", "set_stop", "note"]
    assert s.marks[0]["sample_index"] == 0 and s.marks[1]["sample_index"] == 1000
    assert s.marks[1]["t_s"] == 1.0 and s.marks[2]["text"] == "felt tight"
    header = json.loads((folder / SESSION_FILE).read_text())
    assert header["format_version"] == 1 and header["samples_written"] == 997
    # every file is strict JSON (no NaN tokens)
    for line in (folder / "reps.jsonl").read_text().splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def test_started_has_timezone():
    from datetime import datetime
    assert datetime.fromisoformat(meta().started).tzinfo is not None


def test_reader_drops_partial_row_and_partial_line(tmp_path):
    folder = tmp_path / "s"
    with Recorder(folder, meta()) as rec:
        rec.on_info(device_info())
        rec.on_block(block(0, 100))
        rec.on_rep(rep(1, 1, 1.2, Verdict.GLUTES_FINISHED, 0.05))
    row = sample_dtype(6).itemsize
    with open(folder / SAMPLES_FILE, "ab") as f:
        f.write(b"\x01" * (row - 5))            # a row cut in half
    with open(folder / "reps.jsonl", "ab") as f:
        f.write(b'{"rep": 2, "set_in')           # a line cut in half
    s = load_session(folder)
    assert s.data.shape == (100, 6) and len(s.reps) == 1


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "no such session"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "not an emg-monitor session"),
    (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "not an emg-monitor session"),
])
def test_missing_or_foreign_folder(tmp_path, make, message):
    with pytest.raises(UserError, match=message):
        load_session(make(tmp_path))


def test_foreign_json_and_truncated_folder(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / SESSION_FILE).write_text('{"format": "something-else"}')
    with pytest.raises(UserError, match="not an emg-monitor session"):
        load_session(foreign)
    folder = tmp_path / "s"
    with Recorder(folder, meta()) as rec:
        rec.on_info(device_info())
        rec.on_block(block(0, 10))
    (folder / SAMPLES_FILE).unlink()
    with pytest.raises(UserError, match="truncated"):
        load_session(folder)


def test_unwritable_folder_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="cannot write the session"):
        Recorder(blocker / "session", meta())


def test_refuses_to_overwrite_a_session(tmp_path):
    with Recorder(tmp_path / "s", meta()) as rec:
        rec.on_info(device_info())
    with pytest.raises(UserError, match="already holds a session"):
        Recorder(tmp_path / "s", meta())


class FakeFile:
    """A real file whose ``write`` a test replaces (a full, hung or slow disk)."""

    def __init__(self, path, mode):
        self._f = open(path, mode)

    def write(self, b):
        return self._f.write(b)

    def flush(self):
        self._f.flush()

    def fileno(self):
        return self._f.fileno()

    def close(self):
        self._f.close()


class FullDisk(FakeFile):
    """A file that accepts ``capacity`` bytes, then fails like a full disk."""

    def __init__(self, path, mode, capacity):
        super().__init__(path, mode)
        self._left = capacity

    def write(self, b):
        if len(b) > self._left:
            self._f.write(b[: self._left])
            self._left = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self._left -= len(b)
        return self._f.write(b)


def test_full_disk_is_reported_and_never_blocks_acquisition(tmp_path):
    row = sample_dtype(6).itemsize
    capacity = row * 1000 + 7                   # fails mid-row

    def opener(path, mode):
        if path.name == SAMPLES_FILE:
            return FullDisk(path, mode, capacity)
        return open(path, mode)

    reported = []
    folder = tmp_path / "s"
    rec = Recorder(folder, meta(), open_file=opener,
                   on_status=lambda status, exc: reported.append((status, exc)))
    rec.on_info(device_info())
    for first in range(0, 5000, 20):            # the source keeps delivering: never raises
        rec.on_block(block(first, 20))
    rec.close()
    assert rec.error is not None and rec.error.errno == errno.ENOSPC
    assert rec.status.startswith("failed")
    assert len(reported) == 1 and reported[0][1] is rec.error
    s = load_session(folder)                    # what was written stays readable
    assert s.data.shape == (1000, 6)
    np.testing.assert_array_equal(s.data, values(np.arange(1000)))
    assert not s.closed


def test_dev_full_reports_enospc(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("/dev/full not available")
    folder = tmp_path / "s"
    rec = Recorder(folder, meta(), open_file=lambda p, m: open("/dev/full", "wb")
                   if p.name == SAMPLES_FILE else open(p, m))
    rec.on_info(device_info())
    for first in range(0, 20000, 20):
        rec.on_block(block(first, 20))
    rec.close()
    assert rec.error is not None and getattr(rec.error, "errno", None) == errno.ENOSPC


CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from session_support import block, device_info, rep
    from emg_monitor.model import Verdict
    from emg_monitor.session import Recorder, SessionMeta
    rec = Recorder({folder!r}, SessionMeta(athlete="Ana", exercise="deadlift"))
    rec.on_info(device_info())
    mode = {mode!r}
    first = 0
    size = 37                                  # odd sizes: rows and blocks never align
    while True:
        rec.on_block(block(first, size))
        first += size
        if first % (size * 20) == 0:
            rec.on_rep(rep(1, first // (size * 20), 1.3, Verdict.GLUTES_FINISHED, first / 1000))
            rec.mark("note", text="x" * 50)
        if mode == "pause" and first >= 3000:
            time.sleep(1.2)                   # longer than the 1 s the recorder may lose
            print("FED", first, flush=True)
            time.sleep(60)
        if mode == "busy":
            print("FED", first, flush=True)
            time.sleep(0.002)
""")


def run_child_and_kill(tmp_path, mode: str) -> tuple[Path, int]:
    folder = tmp_path / f"killed-{mode}"
    code = CHILD.format(tests=str(Path(__file__).parent), folder=str(folder), mode=mode)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    try:
        fed = 0
        for line in proc.stdout:
            fed = int(line.split()[1])
            if mode == "pause" or fed >= 8000:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    return folder, fed


def test_sigkill_after_a_pause_loses_nothing(tmp_path):
    folder, fed = run_child_and_kill(tmp_path, "pause")
    s = load_session(folder)
    assert not s.closed
    assert len(s.sample_index) == fed
    np.testing.assert_array_equal(s.data, values(np.arange(fed)))
    assert len(s.reps) >= 3 and len(s.marks) >= 3


def test_sigkill_mid_stream_leaves_a_readable_prefix(tmp_path):
    folder, fed = run_child_and_kill(tmp_path, "busy")
    s = load_session(folder)
    n = len(s.sample_index)
    assert n > 0
    np.testing.assert_array_equal(s.sample_index, np.arange(n))
    np.testing.assert_array_equal(s.data, values(np.arange(n)))
    assert all(r.set_index == 1 for r in s.reps)


def test_a_stalled_disk_never_blocks_acquisition(tmp_path):
    """A hung disk costs the acquisition thread one bounded wait (FULL_WAIT_S) when the
    queue is full, then the recording stops with a clear error; acquisition goes on."""
    import threading
    import time
    from emg_monitor.session.recorder import FULL_WAIT_S, MAX_QUEUED
    release = threading.Event()

    class Stalling(FakeFile):
        def write(self, b):
            release.wait(30)                  # a hung disk (NFS, dying USB stick)
            return self._f.write(b)

    rec = Recorder(tmp_path / "s", meta(), open_file=lambda p, m: Stalling(p, m)
                   if p.name == SAMPLES_FILE else open(p, m))
    rec.on_info(device_info())
    waits = []
    for k in range(MAX_QUEUED + 50):          # returns although nothing can be written
        t0 = time.monotonic()
        rec.on_block(block(k * 5, 5))
        waits.append(time.monotonic() - t0)
    assert rec.error is not None and "did not keep up" in str(rec.error)
    assert sum(w >= FULL_WAIT_S * 0.9 for w in waits) == 1    # one wait, then no more
    release.set()
    rec.close()
    s = load_session(tmp_path / "s")          # what reached the disk is readable
    np.testing.assert_array_equal(s.sample_index, np.arange(len(s.sample_index)))


def test_a_source_faster_than_the_writer_loses_nothing(tmp_path):
    """A replay or simulator at full speed fills the queue faster than the writer drains
    it: the blocks wait for room instead of stopping the recording."""
    import time
    from emg_monitor.session import recorder as recorder_module

    class Slow(FakeFile):
        def write(self, b):
            time.sleep(0.0005)                # a slow but working disk
            return self._f.write(b)

    n_blocks = recorder_module.MAX_QUEUED * 2
    rec = Recorder(tmp_path / "s", meta(), open_file=lambda p, m: Slow(p, m)
                   if p.name == SAMPLES_FILE else open(p, m))
    rec.on_info(device_info())
    for k in range(n_blocks):
        rec.on_block(block(k * 5, 5))
    rec.close(timeout_s=60)
    assert rec.error is None
    s = load_session(tmp_path / "s")
    np.testing.assert_array_equal(s.sample_index, np.arange(n_blocks * 5))
