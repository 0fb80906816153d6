"""``emg-monitor report SESSION [--out report.html] [--notes TEXT] [--no-pdf]``: one
self-contained HTML file and the same report as PDF beside it."""
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
    p.add_argument("--notes", default="", help="clinician notes printed in the report")
    p.add_argument("--no-pdf", action="store_true", help="write the HTML only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..session.outputs import check_output
    from ..session.report import write_report
    out = check_output(args.out if args.out is not None else args.session / "report.html",
                       [args.session])
    if not args.no_pdf:
        check_output(out.with_suffix(".pdf"), [args.session])
    html = write_report(args.session, out, args.root, pdf=not args.no_pdf, notes=args.notes)
    print(html)
    if not args.no_pdf:
        print(html.with_suffix(".pdf"))
    return 0
