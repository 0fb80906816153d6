"""emg-monitor analyze and the table loader: real recordings, simulated CSV, bad input."""
from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from emg_monitor.analysis import analyze_table
from emg_monitor.cli import main
from emg_monitor.errors import UserError
from emg_monitor.sim.athlete import Athlete, AthleteConfig, Contamination
from emg_monitor.tables import load_table


def read_rows(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- real recordings ------------------------------------------------------------------------
def test_uci_knee_extension_four_reps(shared_data, tmp_path):
    out = tmp_path / "reps.csv"
    rc = main(["analyze", str(shared_data / "uci-lowerlimb" / "5Nsen.txt"), "--glute", "VM",
               "--erector", "BF", "--motion", "FX", "--top-at", "min", "--out", str(out)])
    assert rc == 0
    rows = read_rows(out)
    assert len(rows) == 4
    fx = load_table(shared_data / "uci-lowerlimb" / "5Nsen.txt").data[:, 4]
    for r in rows:                      # each top is at a knee angle near full extension
        i = int(float(r["t_top_s"]) * 1000)
        assert fx[i] < fx.min() + 10
        assert r["calibrated"] == "false" and r["glute_left_mv"]


def test_uci_knee_flexion_five_reps_top_at_max(shared_data):
    res = analyze_table(shared_data / "uci-lowerlimb" / "5Npie.txt", ["ST"], ["RF"],
                        motion=["FX"], top_at="max")
    assert len(res.reps) == 5
    fx = load_table(shared_data / "uci-lowerlimb" / "5Npie.txt").data[:, 4]
    for r in res.reps:
        assert fx[int(r.t_top_s * 1000)] > fx.max() - 20


def test_uci_ragged_walking_file_is_trimmed(shared_data):
    t = load_table(shared_data / "uci-lowerlimb" / "5Nmar.txt")
    assert t.dropped_rows >= 17 and np.isfinite(t.data).all()


def test_santuz_gait_cycles_emg_only(shared_data):
    folder = shared_data / "santuz-walking"
    res = analyze_table(folder / "ID0012_TW_01_emg.csv", ["MA"], [], min_rep_s=0.5)
    touchdowns = np.loadtxt(folder / "ID0012_TW_01_cycles.csv", delimiter=",", skiprows=1)[:, 0]
    assert len(res.reps) == len(touchdowns) == 6
    for r, td in zip(res.reps, touchdowns):
        # the gluteus maximus peaks just after touchdown (loading response)
        assert 0.0 <= r.t_top_s - td < 0.3


# --- simulated recording written as CSV ------------------------------------------------------
@pytest.fixture
def sim_csv(tmp_path):
    cfg = AthleteConfig(sets=1, reps_per_set=4, seed=21, lumbar_pattern=(False, False, True),
                        contamination=Contamination(mains_hz=60, ecg=True))
    a = Athlete(cfg)
    data = a.render_all()
    t = np.arange(data.shape[0]) / a.fs
    path = tmp_path / "sim.csv"
    np.savetxt(path, np.column_stack([t, data]), delimiter=";", fmt="%.6f",
               header="time;gl_uv;el_uv;gr_uv;er_uv;ax_g;ay_g", comments="")
    return a, path


def test_analyze_simulated_csv_calibrated(sim_csv, tmp_path, capsys):
    a, path = sim_csv
    out = tmp_path / "reps.csv"
    rc = main(["analyze", str(path), "--glute", "gl_uv", "gr_uv", "--erector", "el_uv", "er_uv",
               "--motion", "ax_g", "ay_g", "--mvc", "gl_uv=400", "gr_uv=400", "el_uv=350",
               "er_uv=350", "--mains", "60", "--out", str(out)])
    assert rc == 0
    rows = read_rows(out)
    assert len(rows) == len(a.truth) == 4
    assert {"rep", "t_top_s", "ratio", "glute_left_pct_mvc", "verdict", "lockout_s",
            "onset_lag_s", "symmetry_index_pct", "quality_flags"} <= set(rows[0])
    for r, truth in zip(rows, a.truth):
        assert abs(float(r["t_top_s"]) - truth.t_top_s) < 0.3
        assert float(r["ratio"]) == pytest.approx(truth.ratio, rel=0.2)
        assert r["calibrated"] == "true"
        assert (r["verdict"] == "lumbar_dominant") == truth.compensated
    assert "4 reps" in capsys.readouterr().out


def test_analyze_emg_only_uncalibrated(sim_csv, tmp_path):
    a, path = sim_csv
    out = tmp_path / "reps.csv"
    assert main(["analyze", str(path), "--glute", "gl_uv", "--erector", "el_uv",
                 "--out", str(out)]) == 0
    rows = read_rows(out)
    assert len(rows) == 4
    assert "glute_left_uv" in rows[0] and rows[0]["calibrated"] == "false"
    assert rows[0]["glute_right_uv"] == ""


# --- bad input: one line, exit 2 -----------------------------------------------------------
@pytest.mark.parametrize("content,args,message", [
    (None, [], "not found"),
    ("", [], "empty"),
    ("1,2\n3,4\n", ["--sample-rate", "100"], "no header"),
    ("time,a,b\n0,1,2\n0.001,x,3\n", [], "row 3, column 'a'"),
    ("time,a,b\n0,1,2\n0.001,1,3\n", ["--glute", "zz"], "available: a, b"),
    ("time,a,b\n0,1,2\n0.002,1,3\n0.001,1,3\n", [], "does not increase"),
    ("time,a,b\n0,1,2\n0.001,1,3\n0.005,1,3\n0.006,1,3\n", [], "irregular"),
    ("a,b\n1,2\n3,4\n", [], "--sample-rate"),
    ("time,a,b\n0,1,2\n0.001,1,3\n", ["--mvc", "a=5"], "missing for b"),
    ("time,a,b\n0,1,2\n0.001,1,3\n", ["--mvc", "a"], "COLUMN=VALUE"),
    ("time,a,b\n0,1,2\n0.001,1,3\n", ["--exercise", "curl"], "unknown exercise"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, content, args, message):
    path = tmp_path / "rec.csv"
    if content is not None:
        path.write_text(content)
    argv = ["analyze", str(path), "--out", str(tmp_path / "o.csv")]
    if "--glute" not in args:
        argv += ["--glute", "a", "--erector", "b"]
    rc = main(argv + args)
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert message in err and "\n" not in err and "Traceback" not in err


def test_subprocess_error_exit_code(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "emg_monitor", "analyze", str(tmp_path / "no.csv"),
                           "--glute", "a", "--out", str(tmp_path / "o.csv")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "not found" in proc.stderr


def test_tab_separated_table_units_from_names(tmp_path):
    p = tmp_path / "t.tsv"
    p.write_text("t\tglute_mv\tknee_deg\n0\t1\t10\n0.01\t2\t11\n0.02\t3\t12\n")
    t = load_table(p)
    assert t.names == ("glute_mv", "knee_deg") and t.units == ("mV", "deg")
    assert t.sample_rate_hz == pytest.approx(100.0)
    with pytest.raises(UserError, match="disagrees"):
        load_table(p, sample_rate_hz=250)


def test_analyze_a_session_counts_its_sets_like_the_recording(tmp_path, capsys):
    """``analyze`` runs the engine and its set records: the sets and counts the recorded
    session holds (the dashboard's), printed with the one set summary."""
    from pathlib import Path

    from emg_monitor.session import load_session
    demo = Path(__file__).resolve().parents[1] / "seeds" / "demo"
    out = tmp_path / "reps.csv"
    assert main(["analyze", str(demo), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    recorded = load_session(demo)
    for rec in recorded.sets:
        assert f"set {rec.set_index}: {rec.count} reps" in text
    assert f"set {len(recorded.sets) + 1}:" not in text


@pytest.mark.parametrize("option", ["--min-rom", "--min-rep-s"])
@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "1e9"])
def test_limits_refused_in_one_line(tmp_path, capsys, option, value):
    path = tmp_path / "rec.csv"
    path.write_text("time,a,b\n0,1,2\n0.001,1,3\n")
    rc = main(["analyze", str(path), "--glute", "a", "--erector", "b",
               "--out", str(tmp_path / "o.csv"), option, value])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and option in err and "\n" not in err and "Traceback" not in err


# --- the top is the cycle's extreme, not a slowdown (real recordings) ------------------------
def _cycle_extreme_ok(fx, fs, rep, top_at):
    """The recorded angle at the top and over the scoring window is on the plateau at the
    extreme of the rep's ascent (within the detector's tolerance: 5 % of the range, at least
    2.5 deg), not on a slowdown below it."""
    rise = fx[int(rep.t_start_s * fs):int(rep.t_top_s * fs) + 1]
    tail = fx[int((rep.t_top_s - 1.5) * fs):int(rep.t_end_s * fs) + 1]
    sign = -1.0 if top_at == "min" else 1.0
    extreme = sign * np.max(sign * tail)
    bottom = sign * np.min(sign * rise)
    tol = max(2.5, 0.05 * abs(extreme - bottom))
    win = fx[int(rep.window_start_s * fs):int(rep.window_end_s * fs) + 1]
    return (abs(fx[int(round(rep.t_top_s * fs))] - extreme) <= tol
            and bool(np.all(np.abs(win - extreme) <= tol)))


@pytest.mark.parametrize("name,glute,erector,top_at,n", [
    ("5Nsen.txt", ["VM"], ["BF"], "min", 4), ("5Npie.txt", ["ST"], ["RF"], "max", 5)])
def test_uci_tops_sit_on_each_cycles_extreme(shared_data, name, glute, erector, top_at, n):
    path = shared_data / "uci-lowerlimb" / name
    res = analyze_table(path, glute, erector, motion=["FX"], top_at=top_at)
    fx = load_table(path).data[:, 4]
    assert len(res.reps) == n and all(r.status.value == "complete" for r in res.reps)
    assert all(_cycle_extreme_ok(fx, 1000.0, r, top_at) for r in res.reps)


def test_uci_momentary_slowdown_short_of_extension_is_not_the_top(shared_data, tmp_path):
    """The real knee extension with a momentary stop (0.3 s) 20 deg short of full extension
    in its third rep: the old detector took such a slowdown for the top (issue 10)."""
    table = load_table(shared_data / "uci-lowerlimb" / "5Nsen.txt")
    d = table.data
    fx = d[:, 4]
    k = int(np.flatnonzero((np.arange(fx.size) > 7000) & (fx < 22.0))[0])
    stop = d[k - 300:k].copy()                 # the muscles keep working, the knee stops
    stop[:, 4] = fx[k]
    d2 = np.vstack([d[:k], stop, d[k:]])
    path = tmp_path / "slowdown.csv"
    np.savetxt(path, np.column_stack([np.arange(d2.shape[0]) / 1000.0, d2]), delimiter=",",
               header="time,RF,BF,VM,ST,FX", comments="", fmt="%.6f")
    res = analyze_table(path, ["VM"], ["BF"], motion=["FX"], top_at="min")
    assert len(res.reps) == 4
    assert all(_cycle_extreme_ok(d2[:, 4], 1000.0, r, "min") for r in res.reps)
    third = res.reps[2]
    assert third.t_top_s > (k + 300) / 1000.0          # after the stop, at full extension
    assert d2[int(third.t_top_s * 1000), 4] < 5.0
