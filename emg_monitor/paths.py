"""Where emg-monitor keeps the user's files: the one home of every per-user path.

Per-user folders come from platformdirs (XDG on Linux, ~/Library on macOS,
%LOCALAPPDATA% on Windows). ``$EMG_MONITOR_HOME`` overrides the data folder
(profiles/, sessions/ and config.toml all live under it: tests, a USB stick, a
lab machine shared by several coaches).

A data folder from older versions (``~/.emg-monitor``) is read where it is and
never moved: when it exists and the platformdirs folder does not, it stays the
data folder, so existing profiles and sessions keep working untouched.
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "emg-monitor"
HOME_ENV = "EMG_MONITOR_HOME"
CONFIG_FILE = "config.toml"


def legacy_home() -> Path:
    """The data folder of versions before platformdirs."""
    return Path.home() / ".emg-monitor"


def data_home(home: Path | str | None = None) -> Path:
    """``home``, else $EMG_MONITOR_HOME, else an existing ~/.emg-monitor, else the
    platform's per-user data folder."""
    if home is not None:
        return Path(home)
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env)
    new = platformdirs.user_data_path(APP, appauthor=False)
    legacy = legacy_home()
    if legacy.is_dir() and not new.exists():
        return legacy
    return new


def profiles_dir(home: Path | str | None = None) -> Path:
    return data_home(home) / "profiles"


def sessions_root(root: Path | str | None = None) -> Path:
    """Where sessions live: ``root`` (--root), else <data home>/sessions."""
    return Path(root) if root is not None else data_home() / "sessions"


def config_path() -> Path:
    """The TOML configuration file: $EMG_MONITOR_HOME/config.toml when the home is
    overridden, else the platform's per-user config folder."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env) / CONFIG_FILE
    return platformdirs.user_config_path(APP, appauthor=False) / CONFIG_FILE
