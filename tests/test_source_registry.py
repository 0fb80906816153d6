"""Source URLs: one way to name every source, on dashboard, record and monitor."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emg_monitor.cli import main
from emg_monitor.errors import UserError
from emg_monitor.model import Kind
from emg_monitor.sources.base import Source
from emg_monitor.sources.registry import (
    SourceContext,
    make_source,
    parse_spec,
    schemes,
    shortcut_spec,
)
from emg_monitor.sources.replay import ReplaySource
from emg_monitor.sources.serial_source import SerialSource
from emg_monitor.sources.simulated import SimulatedSource


def test_every_scheme_of_the_issue_is_registered():
    assert {"serial", "sim", "replay", "lsl", "brainflow"} <= set(schemes())


@pytest.mark.parametrize("url,target,params", [
    ("serial:///dev/ttyACM0", "/dev/ttyACM0", {}),
    ("serial://COM3", "COM3", {}),
    ("serial://auto", "auto", {}),
    ("sim://?exercise=squat&seed=3", "", {"exercise": "squat", "seed": "3"}),
    ("replay://sessions/2026-11-24_Ana?speed=2", "sessions/2026-11-24_Ana", {"speed": "2"}),
    ("replay:///tmp/my%20session", "/tmp/my session", {}),
    ("lsl://My%20Amp", "My Amp", {}),
    ("lsl://?type=EMG", "", {"type": "EMG"}),
    ("brainflow://cyton?serial_port=/dev/ttyUSB0", "cyton", {"serial_port": "/dev/ttyUSB0"}),
])
def test_parse(url, target, params):
    spec = parse_spec(url)
    assert (spec.target, spec.params) == (target, params)


def test_serial_sim_and_replay_build_the_existing_sources(tmp_path):
    s = make_source("serial:///dev/ttyACM0?rate=2000&envelope=1")
    assert isinstance(s, SerialSource) and s.port == "/dev/ttyACM0"
    assert s.config.sample_rate_hz == 2000 and s.config.emg_kind == Kind.ENVELOPE
    assert make_source("serial://auto").port is None
    sim = make_source("sim://?exercise=squat&seed=3&sets=2&reps=4&speed=5",
                      SourceContext(sim={"sets": 9}))
    assert isinstance(sim, SimulatedSource)
    c = sim.athlete.config
    assert (c.exercise, c.seed, c.sets, c.reps_per_set, sim.speed) == ("squat", 3, 2, 4, 5.0)
    r = make_source(f"replay://{tmp_path}?speed=2")
    assert isinstance(r, ReplaySource) and r.speed == 2.0 and r.path == tmp_path


def test_shortcuts_are_the_urls_they_stand_for():
    assert shortcut_spec(port="/dev/ttyUSB0") == "serial:///dev/ttyUSB0"
    assert shortcut_spec(simulate=True) == "sim://"
    assert shortcut_spec(replay="x") == "replay://x"
    assert shortcut_spec() is None


@pytest.mark.parametrize("url,message", [
    ("ftp://x", "unknown source 'ftp'://; known: brainflow://"),
    ("/dev/ttyACM0", "is not a source URL"),
    ("sim://?seed=-1", "seed='-1'"),
    ("sim://?seed=abc", "seed='abc'"),
    ("sim://?speed=0", "speed='0'"),
    ("sim://?speed=inf", "speed='inf'"),
    ("sim://?speed=1e9", "speed='1e9'"),
    ("sim://?exercise=curl", "unknown exercise"),
    ("sim://?sets=0", "sets='0'"),
    ("sim://?colour=red", "has no parameter colour"),
    ("sim://?seed=1&seed=2", "seed is given twice"),
    ("sim://athlete", "takes no name"),
    ("serial://auto?rate=750", "500, 1000 or 2000"),
    ("serial://auto?baud=9600", "has no parameter baud"),
    ("replay://", "needs a path"),
    ("replay://x?speed=-2", "speed='-2'"),
])
def test_bad_urls_are_one_clear_line(url, message):
    with pytest.raises(UserError) as exc:
        make_source(url)
    assert message in str(exc.value) and "\n" not in str(exc.value)


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_text_is_a_source_or_one_line(text):
    try:
        src = make_source(text, SourceContext(resolve_timeout_s=0.01))
    except UserError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(src, Source)


def test_monitor_and_record_take_source_urls(tmp_path, capsys):
    from emg_monitor.session.reader import load_session
    assert main(["monitor", "--source", "sim://?seed=4&speed=20", "--seconds", "1.2"]) == 0
    assert "simulated athlete" in capsys.readouterr().out
    assert main(["record", "--source", "sim://?exercise=squat&seed=2&speed=50&sets=1&reps=2",
                 "--athlete", "Ana", "--seconds", "3", "--out", str(tmp_path / "s")]) == 0
    s = load_session(tmp_path / "s")
    assert s.meta.athlete == "Ana" and s.n_samples == 3000
    assert "squat" in s.info.device


@pytest.mark.parametrize("argv,message", [
    (["monitor", "--source", "nope://x", "--seconds", "1"], "unknown source"),
    (["record", "--source", "sim://?seed=x", "--athlete", "a"], "seed='x'"),
    (["record", "--source", "sim://", "--port", "/dev/x", "--athlete", "a"], "not allowed with"),
    (["dashboard", "--source", "lsl://", "--quit-after", "1"], "needs a stream name"),
    (["monitor", "--source", "sim://", "--map", "x", "--seconds", "1"], "LABEL=ROLE"),
    (["record", "--simulate", "--map", "EMG1=left_glute", "--athlete", "a"], "--map is for lab"),
])
def test_bad_source_options_exit_2_with_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err, err


def test_the_dashboard_takes_the_same_urls(tmp_path):
    from emg_monitor.ui.app import DashboardOptions, initial_source
    opts = DashboardOptions(source="sim://?seed=7", sessions_root=str(tmp_path))
    src = initial_source(opts)
    assert isinstance(src, SimulatedSource) and src.athlete.config.seed == 7
    assert src.athlete.config.sets == 200                  # the dashboard's endless sets
    rep = initial_source(DashboardOptions(source=f"replay://{tmp_path}?speed=3"))
    assert isinstance(rep, ReplaySource) and rep.speed == 3.0
