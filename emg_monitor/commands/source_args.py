"""``--source URL`` and ``--map LABEL=ROLE``, shared by dashboard, record and monitor.

``--port``, ``--simulate`` and ``--replay`` stay as shortcuts for ``serial://PORT``,
``sim://`` and ``replay://PATH`` (sources/registry.py), so every command names a
source the same way.
"""
from __future__ import annotations

import argparse

SOURCE_HELP = ("where the samples come from, as a URL: serial:///dev/ttyACM0 (or serial://auto), "
               "sim://?exercise=squat&seed=3, replay://SESSION?speed=2, lsl://NAME "
               "(or lsl://?type=EMG), brainflow://BOARD?serial_port=... (docs/sources.md)")


def add_source_argument(group) -> None:
    """``--source`` in the command's group of mutually exclusive source options."""
    group.add_argument("--source", metavar="URL", help=SOURCE_HELP)


def add_map_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--map", nargs="+", default=[], metavar="LABEL=ROLE",
                   help="LSL/BrainFlow: which stream channel is which muscle (left_glute, "
                        "left_erector, right_glute, right_erector, angle, accel_x, accel_y, "
                        "ignore); saved in the athlete's profile for next time")


def source_url(args: argparse.Namespace) -> str | None:
    """The URL the options name (``--source`` or a shortcut), or None."""
    from ..sources.registry import shortcut_spec
    if getattr(args, "source", None):
        return args.source
    return shortcut_spec(port=getattr(args, "port", None),
                         simulate=bool(getattr(args, "simulate", False)),
                         replay=getattr(args, "replay", None))


def channel_map(args: argparse.Namespace) -> dict[str, str]:
    from ..channel_map import parse_map
    return parse_map(getattr(args, "map", None))
