"""``emg-monitor export SESSION [--out DIR]``: CSV files for a spreadsheet."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write per-rep, per-set and signal CSV files of a session",
                       description="Write <session>_reps.csv, <session>_sets.csv and "
                                   "<session>_signals.csv (UTF-8, comma, units in the column "
                                   "names).")
    p.add_argument("session", type=Path, help="session folder")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: SESSION/export)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..session.export import export_session
    for path in export_session(args.session, args.out):
        print(path)
    return 0
