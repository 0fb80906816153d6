"""Every export is read back with the csv module and checked against the session."""
from __future__ import annotations

import csv
import math
import subprocess
import sys

import numpy as np
import pytest

from emg_monitor.cli import main
from emg_monitor.dsp.calibration import Calibration
from emg_monitor.dsp.pipeline import FilterSettings, process_offline
from emg_monitor.model import SampleBlock, Verdict
from emg_monitor.session import Recorder, SessionMeta, load_session
from emg_monitor.session.csvsafe import cell, safe_text
from emg_monitor.session.export import export_session

from session_support import device_info, rep

ATHLETE = "=HYPERLINK(\"http://x\")"          # a hostile name must stay text


def make_session(folder, calibrated=True):
    info = device_info()
    rng = np.random.default_rng(3)
    n = 3000
    emg = rng.normal(0, 20, (n, 4)) * (1 + 4 * (np.arange(n)[:, None] % 1000 > 600))
    motion = np.column_stack([np.sin(np.arange(n) / 300), np.cos(np.arange(n) / 300)])
    data = np.column_stack([emg, motion])
    cal = (Calibration(created_iso="2026-11-24T10:00:00+01:00", unit="uV",
                       rest_rms={n: 2.0 for n in info.names[:4]},
                       mvc_rms={n: 100.0 for n in info.names[:4]}) if calibrated else None)
    meta = SessionMeta(athlete=ATHLETE, exercise="deadlift",
                       filter_settings=FilterSettings(mains="off").to_dict(),
                       calibration=cal.to_dict() if cal else None)
    reps = [rep(1, 1, 1.5, Verdict.GLUTES_FINISHED, 0.7, calibrated),
            rep(1, 2, 0.8, Verdict.LUMBAR_DOMINANT, 1.7, calibrated),
            rep(1, 3, float("nan"), Verdict.UNKNOWN, 2.7, calibrated),
            rep(2, 1, 1.1, Verdict.BORDERLINE, 2.9, calibrated)]
    with Recorder(folder, meta) as rec:
        rec.on_info(info)
        for first in range(0, n, 100):
            rec.on_block(SampleBlock(first, data[first:first + 100]))
        for r in reps:
            rec.on_rep(r)
    return load_session(folder), reps


def read(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")     # UTF-8 BOM for Excel
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def num(s):
    return float("nan") if s == "" else float(s)


@pytest.mark.parametrize("calibrated", [True, False])
def test_rep_and_set_exports_match_session(tmp_path, calibrated):
    session, reps = make_session(tmp_path / "s", calibrated)
    paths = export_session(session, tmp_path / "out")
    reps_csv, sets_csv, signals_csv = paths
    rows = read(reps_csv)
    u = "pct_mvc" if calibrated else "uv"
    assert len(rows) == len(reps)
    for row, r in zip(rows, reps):
        assert row["athlete"] == "'" + ATHLETE
        assert row["date"] == session.meta.started
        assert (int(row["set"]), int(row["rep"])) == (r.set_index, r.rep)
        assert num(row["t_top_s"]) == pytest.approx(r.t_top_s)
        for a in ("glute_left", "glute_right", "erector_left", "erector_right"):
            assert num(row[f"{a}_{u}"]) == pytest.approx(getattr(r, a), rel=1e-5, nan_ok=True)
        if math.isnan(r.ratio):
            assert row["ratio"] == ""
        else:
            assert num(row["ratio"]) == pytest.approx(r.ratio, rel=1e-5)
        assert row["verdict"] == r.verdict.value
        assert num(row["onset_lag_s"]) == pytest.approx(r.onset_lag_s, abs=1e-3)
        assert num(row["symmetry_index_pct"]) == pytest.approx(r.symmetry_index_pct, abs=0.05)
        assert row["quality_flags"] == "; ".join(r.quality_flags)
    # negative numbers stay numbers: no apostrophe
    assert rows[1]["onset_lag_s"].startswith("-")

    sets = read(sets_csv)
    assert [int(s["set"]) for s in sets] == [1, 2]
    s1 = sets[0]
    assert int(s1["reps"]) == 3
    assert num(s1["mean_ratio"]) == pytest.approx((1.5 + 0.8) / 2)
    assert num(s1["min_ratio"]) == pytest.approx(0.8)
    assert int(s1["worst_rep"]) == 2
    assert int(s1["lumbar_dominant_reps"]) == 1 and int(s1["unknown_reps"]) == 1
    assert s1["onset_order"] == "mixed"
    assert sets[1]["onset_order"] == "glute_first"


def test_signal_export_matches_recording_and_offline_envelope(tmp_path):
    session, _ = make_session(tmp_path / "s", calibrated=True)
    signals_csv = export_session(session, tmp_path / "out")[2]
    with open(signals_csv, encoding="utf-8-sig", newline="") as f:
        r = csv.reader(f)
        header = next(r)
        table = np.array([[float(x) for x in row] for row in r])
    assert header[:7] == ["t_s", "left_glute_uv", "left_erector_uv", "right_glute_uv",
                          "right_erector_uv", "accel_x_g", "accel_y_g"]
    assert header[7:] == [f"{n}_env_pct_mvc" for n in session.info.names[:4]]
    np.testing.assert_allclose(table[:, 0], session.times_s, atol=5e-4)
    np.testing.assert_allclose(table[:, 1:7], session.data, rtol=1e-5, atol=1e-9)
    cal = Calibration.from_dict(session.meta.calibration)
    env = process_offline(session.data, session.info, FilterSettings(mains="off"), cal).envelope
    np.testing.assert_allclose(table[:, 7:], env, rtol=1e-5, atol=1e-6)
    assert env[2800, 0] > 3 * env[2400, 0]       # bursts are visible in %MVC


@pytest.mark.parametrize("text, safe", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", " x"), ("\r=x", " '=x"), ("x;=1", "x;'=1"), ("Zoë", "Zoë"), ("a=b", "a=b"),
])
def test_formula_injection(text, safe):
    assert safe_text(text) == safe
    assert cell(text) == safe


def test_numbers_are_never_prefixed():
    assert cell(-0.25) == "-0.25" and cell(-3) == "-3" and cell(float("nan")) == ""


def test_cli_export_and_errors(tmp_path, capsys):
    make_session(tmp_path / "s")
    assert main(["export", str(tmp_path / "s"), "--out", str(tmp_path / "o")]) == 0
    assert len(list((tmp_path / "o").glob("*.csv"))) == 3
    assert main(["export", str(tmp_path / "nope")]) == 2
    assert "no such session" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["export", str(tmp_path / "s"), "--out", str(blocker / "o")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and len(err.strip().splitlines()) == 1


def test_cli_export_in_a_real_process_reports_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "emg_monitor", "export", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("emg-monitor: error: not an emg-monitor session")
    assert "Traceback" not in proc.stderr


def test_calibration_made_mid_session_is_used_for_envelopes(tmp_path):
    info = device_info()
    cal = Calibration(created_iso="2026-11-24T10:00:00+01:00", unit="uV",
                      rest_rms={n: 1.0 for n in info.names[:4]},
                      mvc_rms={n: 50.0 for n in info.names[:4]})
    with Recorder(tmp_path / "s", SessionMeta("Ana", "deadlift",
                                              filter_settings=FilterSettings(mains="off").to_dict())) as rec:
        rec.on_info(info)
        rec.on_block(SampleBlock(0, np.random.default_rng(1).normal(0, 30, (2000, 6))))
        rec.mark("calibration", athlete="Ana", **cal.to_dict())
    session = load_session(tmp_path / "s")
    assert session.meta.calibration is None and session.calibration == cal.to_dict()
    header = read(export_session(session, tmp_path / "o")[2])[0].keys()
    assert "left_glute_env_pct_mvc" in header
