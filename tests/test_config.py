"""Settings: defaults < the TOML config file < the command line, resolved in config.py."""
from __future__ import annotations

import pytest

from emg_monitor import config
from emg_monitor.cli import main
from emg_monitor.session import load_session


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def write(home, text):
    (home / "config.toml").write_text(text, encoding="utf-8")


def test_config_shows_defaults_and_where_the_file_would_be(home, capsys):
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert f"config file: {home / 'config.toml'} (none: built-in defaults)" in out
    for key in ("mains", "sample_rate_hz", "exercise", "sessions_root"):
        assert key in out
    assert "config file\n" not in out and out.count("default") >= 4


def test_the_file_overrides_defaults_and_the_command_line_overrides_the_file(home, tmp_path,
                                                                             capsys):
    write(home, 'mains = "50"\nsample_rate_hz = 2000\nexercise = "rdl"\n')
    assert main(["config"]) == 0
    lines = {ln.split()[0]: ln for ln in capsys.readouterr().out.splitlines()[2:]}
    assert "50" in lines["mains"] and lines["mains"].endswith("config file")
    assert "romanian_deadlift" in lines["exercise"]
    assert lines["sessions_root"].endswith("default")
    # record: the file's rate and mains reach the session
    out = tmp_path / "a"
    assert main(["record", "--simulate", "--athlete", "A", "--seconds", "1", "--speed", "20",
                 "--out", str(out)]) == 0
    s = load_session(out)
    assert s.info.sample_rate_hz == 2000.0 and len(s.data) == 2000
    assert s.meta.filter_settings["mains"] == "50" and s.meta.exercise == "romanian_deadlift"
    # the command line wins
    out = tmp_path / "b"
    assert main(["record", "--simulate", "--athlete", "A", "--seconds", "1", "--speed", "20",
                 "--rate", "500", "--mains", "off", "--exercise", "squat", "--out", str(out)]) == 0
    s = load_session(out)
    assert s.info.sample_rate_hz == 500.0 and s.meta.filter_settings["mains"] == "off"
    assert s.meta.exercise == "squat"


def test_sessions_root_from_the_file(home, tmp_path):
    write(home, f'sessions_root = "{tmp_path / "elsewhere"}"\n')
    assert main(["record", "--simulate", "--athlete", "Bo", "--seconds", "1",
                 "--speed", "20"]) == 0
    assert len(list((tmp_path / "elsewhere").iterdir())) == 1


@pytest.mark.parametrize("text, message", [
    ("mains = 55\n", "mains = 55 must be"),
    ('sample_rate_hz = "fast"\n', "sample_rate_hz = 'fast' must be 500, 1000 or 2000"),
    ("sample_rate_hz = true\n", "sample_rate_hz = True must be"),
    ('exercise = "curls"\n', "unknown exercise 'curls'"),
    ("colour = 1\n", "unknown setting 'colour'"),
    ("mains = \n", "is not valid TOML"),
    ('sessions_root = ""\n', "must be a folder path"),
])
@pytest.mark.parametrize("command", [["config"], ["record", "--simulate", "--athlete", "A",
                                                  "--seconds", "1"]])
def test_a_bad_config_is_one_line_and_exit_2(home, capsys, text, message, command):
    write(home, text)
    assert main(command) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(home / "config.toml") in err and message in err


def test_an_unreadable_config_is_one_line(home, capsys):
    (home / "config.toml").write_bytes(b"\xff\xfe mains")
    assert main(["config"]) == 2
    assert "cannot read the config file" in capsys.readouterr().err


def test_dashboard_takes_mains_and_rate(home, monkeypatch):
    import emg_monitor.ui.app as app
    seen = []
    monkeypatch.setattr(app, "run", lambda opts, quit_after_s=None: seen.append(opts) or 0)
    write(home, "sample_rate_hz = 500\n")
    assert main(["dashboard", "--simulate", "--mains", "60"]) == 0
    assert seen[0].mains == "60" and seen[0].sample_rate_hz == 500
    assert seen[0].sessions_root == str(home / "sessions")


def test_every_setting_has_a_flag_and_a_default():
    from emg_monitor.commands.settings import FLAGS
    assert set(FLAGS) == set(config.BY_KEY)
    for s in config.SETTINGS:
        assert s.parse(s.default()) == s.default()
