"""``emg-monitor export SESSION [--format csv|edf|bdf] [--out DIR]``: files for a spreadsheet
or for EDF tools (EDFbrowser, MNE-Python)."""
from __future__ import annotations

import argparse
from pathlib import Path

FORMATS = ("csv", "edf", "bdf")


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write a session as CSV files (default) or EDF+/BDF+",
                       description="csv: <session>_reps.csv, <session>_sets.csv and "
                                   "<session>_signals.csv (UTF-8, comma, units in the column "
                                   "names). edf / bdf: one EDF+ (16-bit) or BDF+ (24-bit) file "
                                   "with raw EMG, envelopes and the inclination angle, reps, "
                                   "sets, calibration and events as annotations.")
    p.add_argument("session", type=Path, help="session folder")
    p.add_argument("--format", choices=FORMATS, default="csv",
                   help="csv (default), edf (EDF+, 16-bit) or bdf (BDF+, 24-bit: for 24-bit "
                        "lab amplifiers)")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: SESSION/export)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "csv":
        from ..session.export import export_session
        for path in export_session(args.session, args.out):
            print(path)
        return 0
    from ..session.edf import export_edf
    print(export_edf(args.session, args.out, args.format))
    return 0
