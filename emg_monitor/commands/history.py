"""``emg-monitor history ATHLETE [--root DIR]``: an athlete's sessions and ratio trend."""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("history", help="list an athlete's sessions and the ratio trend",
                       description="List the sessions of ATHLETE under the sessions root "
                                   "(<data home>/sessions: $EMG_MONITOR_HOME, else the per-user data "
                                   "folder; emg-monitor config shows it).")
    p.add_argument("athlete")
    p.add_argument("--root", type=Path, default=None, help="sessions root folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import UserError
    from ..session.history import athletes, list_sessions
    from ..paths import sessions_root
    root = sessions_root(args.root)
    if not root.is_dir():
        raise UserError(f"no sessions folder at {root}: record a session first or pass --root")
    skipped: list = []
    sessions = list_sessions(args.athlete, root, skipped)
    for folder, why in skipped:
        print(f"emg-monitor: warning: skipped {folder.name}: {why}", file=sys.stderr)
    if not sessions:
        known = ", ".join(athletes(root)) or "none"
        raise UserError(f"no sessions of {args.athlete!r} under {root} (athletes: {known})")
    print(f"{'date':<25} {'exercise':<10} {'sets':>4} {'reps':>4} {'ratio':>6} {'lumbar':>6}  "
          f"calibrated  folder")
    for s in sessions:
        ratio = f"{s.mean_ratio:6.2f}" if math.isfinite(s.mean_ratio) else f"{'-':>6}"
        print(f"{s.started.isoformat(timespec='minutes'):<25} {s.exercise:<10} {s.sets:>4} "
              f"{s.reps:>4} {ratio} {s.lumbar_dominant:>6}  {'yes' if s.calibrated else 'no':<10}  "
              f"{s.path.name}")
    usable = [s for s in sessions if math.isfinite(s.mean_ratio)]
    if len(usable) >= 2:
        change = usable[-1].mean_ratio - usable[0].mean_ratio
        print(f"trend: mean ratio {usable[0].mean_ratio:.2f} -> {usable[-1].mean_ratio:.2f} "
              f"({change:+.2f}) over {len(usable)} sessions")
    return 0
