"""Per-user folders: $EMG_MONITOR_HOME, else an existing ~/.emg-monitor (read in place,
never moved), else the platform's folders (platformdirs)."""
from __future__ import annotations

import pytest

from emg_monitor import paths
from emg_monitor.profiles import AthleteProfile, list_profiles, save_profile


@pytest.fixture
def user(tmp_path, monkeypatch):
    """A fresh user: HOME and the XDG folders under tmp_path, no override."""
    monkeypatch.delenv(paths.HOME_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    (tmp_path / "home").mkdir()
    return tmp_path


def test_a_new_user_gets_the_platform_folders(user):
    assert paths.data_home() == user / "xdg-data" / "emg-monitor"
    assert paths.sessions_root() == user / "xdg-data" / "emg-monitor" / "sessions"
    assert paths.profiles_dir() == user / "xdg-data" / "emg-monitor" / "profiles"
    assert paths.config_path() == user / "xdg-config" / "emg-monitor" / "config.toml"


def test_an_existing_legacy_folder_is_read_in_place(user):
    legacy = user / "home" / ".emg-monitor"
    save_profile(AthleteProfile("Ana"), home=legacy)
    assert paths.data_home() == legacy                 # not moved, not copied
    assert list_profiles() == ["Ana"]
    (user / "xdg-data" / "emg-monitor").mkdir(parents=True)
    assert paths.data_home() == user / "xdg-data" / "emg-monitor"   # the new folder wins


def test_the_environment_overrides_everything(user, monkeypatch):
    monkeypatch.setenv(paths.HOME_ENV, str(user / "stick"))
    (user / "home" / ".emg-monitor").mkdir()
    assert paths.data_home() == user / "stick"
    assert paths.sessions_root() == user / "stick" / "sessions"
    assert paths.sessions_root(user / "x") == user / "x"
    assert paths.config_path() == user / "stick" / "config.toml"
    assert paths.data_home(user / "explicit") == user / "explicit"
