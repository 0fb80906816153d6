"""``emg-monitor report SESSION [--out report.html]``: one self-contained HTML file."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML report of a session",
                       description="Write an HTML report (inline charts, no scripts, nothing "
                                   "fetched) for the physiotherapist.")
    p.add_argument("session", type=Path, help="session folder")
    p.add_argument("--out", type=Path, default=None,
                   help="output file (default: SESSION/report.html)")
    p.add_argument("--root", type=Path, default=None,
                   help="sessions root for the trend (default: the session's parent folder)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..session.outputs import check_output
    from ..session.report import write_report
    out = check_output(args.out if args.out is not None else args.session / "report.html",
                       [args.session])
    print(write_report(args.session, out, args.root))
    return 0
