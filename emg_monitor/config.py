"""Settings: built-in defaults < the TOML config file < the command line, in this one place.

The file is ``paths.config_path()`` (the per-user config folder, or
``$EMG_MONITOR_HOME/config.toml``), e.g.::

    mains = "50"            # "auto" (detect), "off", "50" or "60"
    sample_rate_hz = 2000   # what the board is asked for: 500, 1000 or 2000
    exercise = "squat"      # any name or alias of exercises.py ("rdl")
    sessions_root = "~/Training/sessions"

A command's option that maps to a setting has ``default=None`` in its parser, so
"not given" is known; :func:`apply` fills it from the file or the default and
records where each value came from (``emg-monitor config`` prints that).
A bad file is one :class:`ConfigError` line naming the file and the key.
"""
from __future__ import annotations

import argparse
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import UserError
from .paths import config_path, sessions_root


class ConfigError(UserError):
    """The config file cannot be used: one line that names the file and what to fix."""


def _mains(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in ("auto", "off", "50", "60"):
        raise ValueError('must be "auto", "off", "50" or "60"')
    return text


def _rate(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("must be 500, 1000 or 2000")
    try:
        rate = int(value)
    except ValueError:
        raise ValueError("must be 500, 1000 or 2000") from None
    if rate not in SAMPLE_RATES_HZ:
        raise ValueError("must be 500, 1000 or 2000")
    return rate


def _exercise(value: Any) -> str:
    from .exercises import get_exercise
    if not isinstance(value, str):
        raise ValueError("must be an exercise name")
    return get_exercise(value).name


def _folder(value: Any) -> Path:
    if not isinstance(value, (str, Path)) or not str(value).strip():
        raise ValueError("must be a folder path")
    return Path(value).expanduser()


#: the rates the firmware can sample at
SAMPLE_RATES_HZ = (500, 1000, 2000)


@dataclass(frozen=True)
class Setting:
    key: str                                  # in the file, and the argparse dest
    parse: Callable[[Any], Any]               # file value -> value; ValueError with a reason
    default: Callable[[], Any]
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("mains", _mains, lambda: "auto",
            "mains notch: auto (detect on the signal), off, 50 or 60 Hz"),
    Setting("sample_rate_hz", _rate, lambda: 1000, "sampling rate asked of the board: 500, 1000 or 2000 Hz"),
    Setting("exercise", _exercise, lambda: "deadlift", "exercise judged by default"),
    Setting("sessions_root", _folder, lambda: sessions_root(), "where sessions are recorded"),
)
BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class Effective:
    key: str
    value: Any
    source: str                               # "default", "config file", "command line"


def read_file(path: Path | None = None) -> dict[str, Any]:
    """The file's settings, validated ({} when there is no file)."""
    path = config_path() if path is None else path
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from None
    try:
        table = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML ({exc})") from None
    out = {}
    for key, value in table.items():
        setting = BY_KEY.get(key)
        if setting is None:
            raise ConfigError(f"config file {path}: unknown setting {key!r} "
                              f"(known: {', '.join(BY_KEY)})")
        try:
            out[key] = setting.parse(value)
        except ValueError as exc:
            raise ConfigError(f"config file {path}: {key} = {value!r} {exc}") from None
    return out


def effective(given: dict[str, Any] | None = None, path: Path | None = None
              ) -> list[Effective]:
    """Every setting with its value and where it came from; ``given``: the command line's."""
    given = given or {}
    from_file = read_file(path)
    out = []
    for s in SETTINGS:
        if given.get(s.key) is not None:
            out.append(Effective(s.key, given[s.key], "command line"))
        elif s.key in from_file:
            out.append(Effective(s.key, from_file[s.key], "config file"))
        else:
            out.append(Effective(s.key, s.default(), "default"))
    return out


def apply(args: argparse.Namespace) -> argparse.Namespace:
    """Fill the settings the command takes (``args.config_keys``, set by
    ``commands.settings.add_options``) that were not given on the command line (None) from
    the file, else the default; ``args.settings`` keeps all of them with their sources.
    Raises ConfigError."""
    keys = vars(args).get("config_keys", ())
    if not keys:
        return args                           # the command takes no setting
    resolved = effective({k: getattr(args, k) for k in keys})
    for e in resolved:
        if e.key in keys:
            setattr(args, e.key, e.value)
    args.settings = resolved
    return args
