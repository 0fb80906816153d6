"""The ``emg-monitor`` command: dispatches to emg_monitor/commands/<name>.py.

Expected failures (bad arguments, files, ports) end as one line on stderr and
a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import UserError

#: subcommand -> module under emg_monitor.commands; the first is the default.
COMMANDS = ("dashboard", "simulate", "record", "analyze", "export", "report", "history",
            "ports", "monitor", "config")
EXIT_USER_ERROR = 2


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error as ONE line (what is wrong and where to look) and exit 2.
    Subcommand parsers inherit the class, so every command's options behave the same."""

    def error(self, message: str):
        print(f"emg-monitor: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(EXIT_USER_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="emg-monitor",
        description="Glute-to-erector activation ratio at the top of every rep "
                    "(no command: open the dashboard).")
    parser.add_argument("--version", action="version", version=f"emg-monitor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:            # a command that fails to import is a bug: it raises
        importlib.import_module(f".commands.{name}", __package__).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["dashboard", *argv]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:                  # usage errors (one line), --help, --version
        return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
    if args.command is None:
        parser.print_help()
        return EXIT_USER_ERROR
    from .config import apply
    from .sources.base import SourceError
    try:
        apply(args)                            # defaults < config file < command line
        return int(args.func(args) or 0)
    except (UserError, SourceError, ValueError) as exc:
        # ValueError: what DSP, reps and sources raise for input they cannot use (a bad
        # file, a calibration that does not fit); the command line's one line + exit 2
        print(f"emg-monitor: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"emg-monitor: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
