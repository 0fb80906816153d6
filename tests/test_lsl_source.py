"""lsl:// against a real pylsl outlet on localhost, in another process (tests/lsl_outlet.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
from source_support import read_until

from emg_monitor.cli import main
from emg_monitor.errors import UserError
from emg_monitor.model import EventKind
from emg_monitor.sources.registry import SourceContext, make_source

pytest.importorskip("pylsl")

HERE = Path(__file__).resolve().parent
RATE = 500.0


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def start_outlet(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent), str(HERE),
                                                        os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, str(HERE / "lsl_outlet.py"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()              # the outlet exists
    assert line.strip() == "ready", proc.stderr.read()
    return proc


def run_until(source, want_samples: int, proc, limit_s: float = 60.0):
    try:
        return read_until(source, lambda c: c.received() >= want_samples, limit_s)
    finally:
        proc.kill()
        proc.wait(10)


def check_places(blocks, gap_after: int = -1, gap: int = 0) -> np.ndarray:
    """Every sample's stream index is its counter (+ the gap once the stream came back)."""
    index = np.concatenate([b.first_index + np.arange(b.n) for b in blocks])
    counter = np.concatenate([b.data[:, 0] for b in blocks]).astype(np.int64)
    expected = counter + np.where(counter >= gap_after, gap, 0) if gap_after >= 0 else counter
    np.testing.assert_array_equal(index, expected)
    return counter


def test_irregular_chunks_labels_units_and_rate(tmp_path):
    name = unique("emg-amp")
    proc = start_outlet("--name", name, "--labels", "GluteL", "ES_L", "GluteR", "ES_R",
                        "--units", "microvolts", "mV", "uV", "uV", "--samples", "800")
    source = make_source(f"lsl://{name}?timeout=10", SourceContext())
    info = source.open()
    assert info.sample_rate_hz == RATE
    assert info.names == ("left_glute", "left_erector", "right_glute", "right_erector")
    assert [c.unit for c in info.channels] == ["uV"] * 4
    assert name in info.device
    col = run_until(source, 800, proc)
    counter = check_places(col.blocks)
    np.testing.assert_array_equal(counter, np.arange(800))       # nothing lost, in order
    data = np.vstack([b.data for b in col.blocks])
    np.testing.assert_allclose(data[:, 1], (counter % 97) * 1.0 * 1000)   # mV -> µV
    assert [b.lost_before for b in col.blocks] == [0] * len(col.blocks)
    assert not [e for e in col.events if e.kind == EventKind.GAP]


@pytest.mark.parametrize("new_id", [False, True])
def test_a_stream_that_vanishes_and_returns_is_a_recorded_gap(new_id):
    name = unique("emg-vanish")
    gap = 600                                            # 1.2 s at 500 Hz
    args = ["--name", name, "--samples", "1400", "--vanish-at", "500", "--gap", str(gap)]
    proc = start_outlet(*args, *(["--new-id"] if new_id else []))
    source = make_source(f"lsl://{name}?timeout=10", SourceContext())
    col = run_until(source, 1400, proc)
    counter = check_places(col.blocks, gap_after=500, gap=gap)
    # everything before the vanish arrived; after it, samples the new outlet sent before the
    # inlet was back are lost too, and counted in the same gap
    np.testing.assert_array_equal(counter[:500], np.arange(500))
    assert np.all(np.diff(counter) > 0) and counter[-1] == 1399
    missing = 1400 - counter.size
    kinds = [e.kind for e in col.events]
    assert kinds.count(EventKind.DISCONNECTED) == 1 and kinds.count(EventKind.RECONNECTED) == 1
    gaps = [e for e in col.events if e.kind == EventKind.GAP]
    assert len(gaps) == 1 and gaps[0].sample_index == 500
    assert gaps[0].duration_s == pytest.approx((gap + missing) / RATE)
    assert sum(b.lost_before for b in col.blocks) == gap + missing == source.stats.lost_samples
    assert source.stats.reconnects == 1


def test_record_from_lsl_writes_a_session_with_the_gap(tmp_path):
    from emg_monitor.session.reader import load_session
    name = unique("emg-rec")
    proc = start_outlet("--name", name, "--labels", "L_Glute", "L_ES", "--samples", "1500",
                        "--vanish-at", "700", "--gap", "400", "--linger", "30")
    try:
        rc = main(["record", "--source", f"lsl://{name}?timeout=10", "--athlete", "Lab",
                   "--seconds", "5.5", "--out", str(tmp_path / "s")])
    finally:
        proc.kill()
        proc.wait(10)
    assert rc == 0
    s = load_session(tmp_path / "s")
    assert s.info.names == ("left_glute", "left_erector")
    counter = s.data[:, 0].astype(np.int64)
    np.testing.assert_array_equal(s.sample_index, counter + np.where(counter >= 700, 400, 0))
    np.testing.assert_array_equal(counter[:700], np.arange(700))
    assert any(e.kind == EventKind.GAP and e.sample_index == 700 for e in s.events)


def test_no_such_stream_lists_what_it_saw(capsys):
    name = unique("emg-here")
    proc = start_outlet("--name", name, "--samples", "2000", "--linger", "30")
    try:
        rc = main(["monitor", "--source", "lsl://nope-not-here?timeout=0.5", "--seconds", "1"])
        err = capsys.readouterr().err.strip()
        assert rc == 2 and "no LSL stream named 'nope-not-here'" in err
        assert "nope-not-here" in err and name in err and "\n" not in err, err
    finally:
        proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("outlet_args,url_extra,message", [
    (["--labels", "Fp1", "Fp2"], "", "no channel mapped to a glute or an erector"),
    (["--labels", "EMG1", "EMG2"], "", "--map"),
    (["--markers", "--labels", "m"], "", "carries text"),
])
def test_unusable_streams_are_one_line(capsys, outlet_args, url_extra, message):
    name = unique("emg-bad")
    proc = start_outlet("--name", name, "--samples", "3000", "--linger", "30", *outlet_args)
    try:
        rc = main(["monitor", "--source", f"lsl://{name}?timeout=10{url_extra}", "--seconds", "1"])
        err = capsys.readouterr().err.strip()
        assert rc == 2 and message in err and "\n" not in err, err
    finally:
        proc.kill()
        proc.wait(10)


def test_map_overrides_and_is_saved_in_the_profile(tmp_path, capsys):
    from emg_monitor.profiles import load_profile
    name = unique("emg-map")
    proc = start_outlet("--name", name, "--labels", "EMG1", "EMG2", "--samples", "6000",
                        "--linger", "30")
    home = tmp_path / "home"
    try:
        ctx = SourceContext(athlete="Ana", home=str(home),
                            channel_map={"EMG1": "right_glute", "EMG2": "right_erector"})
        src = make_source(f"lsl://{name}?timeout=10", ctx)
        assert src.open().names == ("right_glute", "right_erector")
        src.close()
        saved = load_profile("Ana", home).channel_maps[f"lsl:{name}"]
        assert saved == {"EMG1": "right_glute", "EMG2": "right_erector"}
        # next time the saved map applies without --map
        again = make_source(f"lsl://{name}?timeout=10", SourceContext(athlete="Ana", home=str(home)))
        assert again.open().names == ("right_glute", "right_erector")
        again.close()
        with pytest.raises(UserError, match="no channel labelled 'EMG9'"):
            make_source(f"lsl://{name}?timeout=10",
                        SourceContext(channel_map={"EMG9": "left_glute"})).open()
    finally:
        proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("url,message", [
    ("lsl://", "needs a stream name"),
    ("lsl://x?timeout=0", "timeout"),
    ("lsl://x?timeout=nan", "timeout"),
    ("lsl://x?colour=red", "has no parameter colour"),
])
def test_bad_urls(url, message):
    with pytest.raises(UserError, match=message):
        make_source(url, SourceContext())
