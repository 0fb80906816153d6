"""Fault suite, command line: every numeric option at 0, negative, nan, inf and huge;
outputs aimed at inputs (originals hashed before and after); hostile athlete names;
damaged athlete profiles. Each case: one clear line and exit 2, or correct handling;
never a traceback, never a changed original.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from emg_monitor.cli import build_parser, main
from emg_monitor.commands import options
from emg_monitor.profiles import AthleteProfile, save_profile
from emg_monitor.session import load_session
from emg_monitor.session.csvsafe import field, safe_text, write_csv

from test_faults_session import make_session

#: what each command needs besides the option under test (parsing fails before it runs)
REQUIRED = {
    "analyze": ["rec.csv", "--out", "o.csv"], "record": ["--simulate", "--athlete", "A"],
    "export": ["S"], "report": ["S"], "history": ["A"], "dashboard": [], "simulate": [],
    "monitor": [], "ports": [],
}
#: options where 0 is a meaningful value (a seed, a probability, no rest)
ZERO_OK = {"--seed", "--lumbar", "--rest", "--load-kg", "--rpe"}   # a bodyweight lift, RPE 0


def subcommands():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def numeric_options():
    out = []
    for name, p in subcommands().items():
        for action in p._actions:
            if action.option_strings and isinstance(action.type, options.Number):
                out.append((name, action.option_strings[-1], action.type))
    return out


def test_every_numeric_option_goes_through_the_validation_layer():
    """A numeric option with type=float/int would bypass the layer: refuse it here."""
    loose = []
    for name, p in subcommands().items():
        for action in p._actions:
            if action.type in (float, int) and not action.choices:
                loose.append(f"{name} {action.option_strings}")
    assert not loose, f"use emg_monitor.commands.options for: {loose}"
    assert len(numeric_options()) >= 20


def one_line_exit_2(argv, capsys) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, (argv, err)
    assert len(err.strip().splitlines()) == 1 and err.startswith("emg-monitor: error:"), err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("command, option, kind", numeric_options(),
                         ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("value", ["0", "-1", "-0.5", "nan", "NaN", "inf", "-inf", "1e400",
                                   "1e12", "abc", "", "0x10"])
def test_hostile_numbers_are_refused_in_one_line(capsys, command, option, kind, value):
    if value == "0" and option in ZERO_OK:
        assert kind("0") == 0                  # accepted: a real choice
        return
    err = one_line_exit_2([command, *REQUIRED[command], option, value], capsys)
    assert option in err


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from([t for _, _, t in numeric_options()]),
       value=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-2 ** 80, 2 ** 80))
def test_the_layer_accepts_exactly_its_documented_range(kind, value):
    text = repr(value)
    ok = (isinstance(value, int) or float(value).is_integer() or not kind.integer) and \
        value == value and abs(value) != float("inf") and \
        (value > kind.minimum if kind.above else value >= kind.minimum) and value <= kind.maximum
    if kind.integer and not isinstance(value, int):
        ok = False                              # "3.0" is not a whole number on a command line
    try:
        got = kind(text)
    except argparse.ArgumentTypeError as exc:
        assert not ok, f"{text} refused: {exc}"
        assert "\n" not in str(exc)
    else:
        assert ok and got == value


def test_the_low_sample_rate_and_low_rate_table_are_refused(tmp_path, capsys):
    rec = tmp_path / "t.csv"
    rec.write_text("a,b\n" + "".join(f"{i % 7},{i % 5}\n" for i in range(300)))
    err = one_line_exit_2(["analyze", str(rec), "--glute", "a", "--erector", "b",
                           "--sample-rate", "1", "--out", str(tmp_path / "o.csv")], capsys)
    assert "too low for raw EMG" in err
    ten_hz = tmp_path / "ten.csv"
    ten_hz.write_text("t,a,b\n" + "".join(f"{i / 10},{i % 7},{i % 5}\n" for i in range(300)))
    err = one_line_exit_2(["analyze", str(ten_hz), "--glute", "a", "--erector", "b",
                           "--out", str(tmp_path / "o.csv")], capsys)
    assert "10 Hz is too low" in err


def test_exercise_names_are_validated_through_the_one_registry(tmp_path, capsys):
    one_line_exit_2(["record", "--simulate", "--athlete", "A", "--exercise", "bogus"], capsys)
    out = tmp_path / "s"
    assert main(["record", "--simulate", "--athlete", "A", "--exercise", "rdl", "--seconds",
                 "0.5", "--speed", "50", "--out", str(out)]) == 0
    assert load_session(out).meta.exercise == "romanian_deadlift"


# --- outputs aimed at inputs -------------------------------------------------------------
def digest(path: Path) -> dict[str, str]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture
def session(tmp_path) -> Path:
    return make_session(tmp_path / "root" / "s")


@pytest.fixture
def table(tmp_path) -> Path:
    p = tmp_path / "x.csv"
    p.write_text("t,a,b\n" + "".join(f"{i / 1000:.3f},{(i * 7) % 13},{(i * 3) % 11}\n"
                                     for i in range(3000)))
    return p


@pytest.mark.parametrize("target", ["session.json", "samples.bin", "events.jsonl", "reps.jsonl",
                                    ".", "notes.txt", "../s/samples.bin"])
@pytest.mark.parametrize("command", ["report", "analyze", "export"])
def test_no_command_writes_into_a_session(session, capsys, command, target):
    before = digest(session)
    out = session / target
    argv = {"report": ["report", str(session), "--out", str(out)],
            "analyze": ["analyze", str(session), "--out", str(out)],
            "export": ["export", str(session), "--out", str(out)]}[command]
    one_line_exit_2(argv, capsys)
    assert digest(session) == before


def test_default_outputs_inside_a_session_are_its_derived_files(session, capsys):
    before = digest(session)
    assert main(["export", str(session)]) == 0
    assert main(["report", str(session)]) == 0
    after = digest(session)
    assert {k: v for k, v in after.items() if k in before} == before
    assert {Path(k).relative_to(session).parts[0] for k in after if k not in before} == \
        {"export", "report.html", "report.pdf"}


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink", "dotdot", "relative"])
def test_analyze_never_overwrites_its_recording(table, tmp_path, capsys, monkeypatch, how):
    before = digest(table)
    if how == "same":
        out = table
    elif how == "symlink":
        out = tmp_path / "link.csv"
        out.symlink_to(table)
    elif how == "hardlink":
        out = tmp_path / "hard.csv"
        os.link(table, out)
    elif how == "dotdot":
        (tmp_path / "d").mkdir()
        out = tmp_path / "d" / ".." / table.name
    else:
        monkeypatch.chdir(tmp_path)
        out = Path(table.name)
    one_line_exit_2(["analyze", str(table), "--glute", "a", "--erector", "b", "--out",
                     str(out)], capsys)
    assert digest(table) == before


def test_an_export_file_hard_linked_to_a_recording_is_refused(session, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    os.link(session / "samples.bin", out / f"{session.name}_signals.csv")
    before = digest(session)
    one_line_exit_2(["export", str(session), "--out", str(out)], capsys)
    assert digest(session) == before


@pytest.mark.parametrize("where", ["the_session", "inside_it", "stray_samples", "a_file"])
def test_record_never_appends_to_or_mixes_with_a_session(session, tmp_path, capsys, where):
    before = digest(session)
    if where == "the_session":
        out = session
    elif where == "inside_it":
        out = session / "sub"
    elif where == "stray_samples":
        out = tmp_path / "half"
        out.mkdir()
        (out / "samples.bin").write_bytes(b"\x00" * 64)
        before = digest(out)
    else:
        out = tmp_path / "plain.txt"
        out.write_text("keep me")
        before = digest(out)
    one_line_exit_2(["record", "--simulate", "--athlete", "A", "--seconds", "0.2", "--speed",
                     "50", "--out", str(out)], capsys)
    assert digest(session if where in ("the_session", "inside_it") else out) == before
    assert not (session / "sub").exists()


# --- hostile names and spreadsheet safety --------------------------------------------------
HOSTILE_NAMES = ["Ana\r=1+1", "=HYPERLINK(\"http://x\")", "x;=1+1", "+cmd|' /C calc'!A0",
                 "@SUM(A1:A9)", "-2+3", "Ana\n\t=2", "A" * 10_000, "../../etc/passwd", "李娜",
                 "Zoë \u2028=1"]


def spreadsheet_views(raw: str):
    """The cells a spreadsheet could see: csv with each common separator, and naive splits."""
    for delim in (",", ";", "\t", "|"):
        for row in csv.reader(io.StringIO(raw, newline=""), delimiter=delim):
            yield from row
        for line in raw.splitlines():
            yield from line.split(delim)


def formula_like(cell: str) -> bool:
    """A cell a spreadsheet would run. Our bare numbers (-0.5, and the rest of their line in a
    naive split) start with a digit after the sign and are not expressions we wrote."""
    c = cell.lstrip(' "')
    return c.startswith(("=", "+", "@")) or (c.startswith("-") and not c[1:2].isdigit()
                                             and not c[1:2] == ".")


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_hostile_athlete_names_record_and_export_safely(tmp_path, capsys, monkeypatch, name):
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path / "home"))
    root = tmp_path / "sessions"
    assert main(["record", "--simulate", f"--athlete={name}", "--seconds", "3", "--speed", "100",
                 "--root", str(root)]) == 0
    (folder,) = root.iterdir()
    assert len(folder.name) < 80
    assert load_session(folder).meta.athlete == name          # stored exactly
    assert main(["export", str(folder), "--out", str(tmp_path / "x")]) == 0
    capsys.readouterr()
    for path in (tmp_path / "x").glob("*.csv"):
        raw = path.read_text(encoding="utf-8-sig")
        assert "\r" not in raw and "\u2028" not in raw
        bad = [c for c in spreadsheet_views(raw) if formula_like(c) and not _number(c)]
        assert not bad, (path.name, bad[:3])


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=30) | st.floats() | st.integers(), min_size=1, max_size=5))
def test_any_cell_is_safe_and_round_trips(tmp_path_factory, cells):
    from emg_monitor.session.csvsafe import cell
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    write_csv(path, ["h"] * len(cells), [[cell(c) for c in cells]])
    raw = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert len(rows) == 2                                     # no cell can end the row
    for got, c in zip(rows[1], cells):
        if isinstance(c, str):
            assert got == safe_text(c)                        # text kept, made safe
        else:
            assert got == cell(c)                             # numbers never altered
    assert not [c for c in spreadsheet_views(raw) if formula_like(c) and not _number(c)]


def test_field_quotes_text_and_leaves_numbers_bare():
    assert field("-0.25") == "-0.25" and field("1e-05") == "1e-05" and field("") == ""
    assert field("Ana") == '"Ana"' and field('say "hi"') == '"say ""hi"""'
    assert field("=1+1") == "\"'=1+1\""


# --- damaged athlete profiles ---------------------------------------------------------------
@pytest.mark.parametrize("content", [b"{ not json", b"\xff\xfe", b"[]", b'{"name": 5}',
                                     b'{"name": "Cy", "calibrations": [{"unit": "uV"}]}',
                                     b'{"name": "Cy", "calibrations": [{"created_iso": "x", '
                                     b'"unit": "uV", "rest_rms": {}, "mvc_rms": {"a": NaN}}]}'])
def test_a_damaged_profile_never_records_silently_uncalibrated(tmp_path, capsys, monkeypatch,
                                                               content):
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path / "home"))
    path = save_profile(AthleteProfile("Cy"))
    path.write_bytes(content)
    out = tmp_path / "s"
    err = one_line_exit_2(["record", "--simulate", "--athlete", "Cy", "--seconds", "0.3",
                           "--speed", "50", "--out", str(out)], capsys)
    assert "damaged" in err and "--uncalibrated" in err and not out.exists()
    assert path.read_bytes() == content                       # left for the user to look at
    assert main(["record", "--simulate", "--athlete", "Cy", "--seconds", "0.3", "--speed", "50",
                 "--out", str(out), "--uncalibrated"]) == 0
    assert load_session(out).meta.calibration is None


def test_no_profile_records_uncalibrated_without_fuss(tmp_path, monkeypatch):
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path / "home"))
    assert main(["record", "--simulate", "--athlete", "New", "--seconds", "0.3", "--speed", "50",
                 "--out", str(tmp_path / "s")]) == 0


def test_a_very_long_name_gets_a_short_unique_profile_file(tmp_path):
    from emg_monitor.profiles import load_profile, profile_path
    a, b = "A" * 10_000, "A" * 9_999 + "B"
    assert profile_path(a, tmp_path) != profile_path(b, tmp_path)
    assert len(profile_path(a, tmp_path).name) <= 110
    save_profile(AthleteProfile(a), tmp_path)
    assert load_profile(a, tmp_path).name == a


def test_the_dashboard_shows_a_damaged_profile(qtbot, tmp_path):
    from emg_monitor.ui.app import DashboardOptions, build_window
    home = tmp_path / "h"
    path = save_profile(AthleteProfile("Cy"), home)
    path.write_text("{ not json")
    opts = DashboardOptions(athlete="Cy", home=str(home), sessions_root=str(tmp_path / "s"),
                            record=False)
    w = build_window(opts, None)
    qtbot.addWidget(w)
    w.show()
    try:
        qtbot.waitUntil(lambda: "damaged" in w.banner.text(), timeout=5000)
        assert "UNCALIBRATED" in w.banner.text() and w.banner.isVisible()
        w.start_screen.simulate_button.click()       # picking a source keeps the warning up
        qtbot.waitUntil(lambda: w.session is not None and "damaged" in w.banner.text(),
                        timeout=5000)
    finally:
        w.close()

