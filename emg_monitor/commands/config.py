"""``emg-monitor config``: the effective settings, and where each one came from."""
from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("config", help="show the effective settings and where each came from",
                       description="Print every setting's value and its source: the built-in "
                                   "default, the TOML config file, or (for other commands) the "
                                   "command line. A bad config file is reported in one line.")
    p.add_argument("--path", action="store_true", help="print only the config file's path")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..config import SETTINGS, effective
    from ..paths import config_path, data_home
    path = config_path()
    if args.path:
        print(path)
        return 0
    rows = effective()
    print(f"config file: {path}" + ("" if path.exists() else " (none: built-in defaults)"))
    print(f"data folder: {data_home()}")
    width = max(len(s.key) for s in SETTINGS)
    for e in rows:
        print(f"  {e.key:<{width}}  {str(e.value):<28} {e.source}")
    return 0
