"""The command-line options of the settings in ``config.py`` (same flags in every command).

Each option defaults to None ("not given"), so ``config.apply`` (called once by
``cli.main``) can fill it from the config file or the built-in default.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..config import BY_KEY, SAMPLE_RATES_HZ
from . import options

#: setting -> (flags, argparse keywords)
FLAGS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "mains": (("--mains",), dict(choices=("auto", "off", "50", "60"))),
    "sample_rate_hz": (("--rate",), dict(type=int, choices=SAMPLE_RATES_HZ, metavar="HZ")),
    "exercise": (("--exercise",), dict(type=options.exercise)),
    "sessions_root": (("--root",), dict(type=Path, metavar="DIR")),
}


def add_options(parser: argparse.ArgumentParser, keys: tuple[str, ...],
                aliases: dict[str, tuple[str, ...]] | None = None) -> None:
    """Add the options of ``keys`` (``aliases``: extra flags, e.g. an older spelling)."""
    for key in keys:
        flags, kwargs = FLAGS[key]
        flags = flags + (aliases or {}).get(key, ())
        parser.add_argument(*flags, dest=key, default=None,
                            help=f"{BY_KEY[key].help} (default: the config file's, else "
                                 f"built in; emg-monitor config shows both)", **kwargs)
    parser.set_defaults(config_keys=tuple(keys))
