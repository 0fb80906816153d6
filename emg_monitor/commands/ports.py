"""``emg-monitor ports``: the serial ports, and which look like a board."""
from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("ports", help="list serial ports and which look like an Arduino",
                       description="List serial ports; likely boards (Arduino, CH340, FTDI, "
                                   "CP210x USB ids) are marked with '*' and tried first by "
                                   "auto-detection.")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..sources.serial_source import find_ports
    ports = find_ports()
    if not ports:
        print("no serial ports found; plug the board in (emg-monitor simulate --pty makes a "
              "virtual one)")
        return 0
    for p in ports:
        ids = f"{p.vid:04X}:{p.pid:04X}" if p.vid is not None and p.pid is not None else "-"
        mark = "*" if p.likely_board else " "
        why = f"  [{p.why}]" if p.why else ""
        print(f"{mark} {p.device:<24} {ids:<10} {p.description}{why}")
    return 0
