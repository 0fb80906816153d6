"""``emg-monitor dashboard`` (also what ``emg-monitor`` with no command opens)."""
from __future__ import annotations

import argparse

from . import options
from .source_args import add_map_argument, add_source_argument, channel_map
from .settings import add_options


def add_parser(sub) -> None:
    p = sub.add_parser("dashboard", help="open the training dashboard (the default)",
                       description="The live dashboard: traces, the glute:erector ratio at the "
                                   "top of every rep, set control, calibration, replay. Without "
                                   "options it connects to the first board found, else offers "
                                   "the simulated athlete.")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--simulate", action="store_true", help="start on the simulated athlete")
    src.add_argument("--port", help="serial port of the board (default: auto-detect)")
    src.add_argument("--replay", metavar="SESSION", help="replay a recorded session folder or CSV")
    add_source_argument(src)
    add_map_argument(p)
    p.add_argument("--athlete", default="", help="athlete profile (its calibration is applied)")
    p.add_argument("--speed", type=options.SPEED, default=1.0,
                   help="simulator / replay speed factor")
    p.add_argument("--seed", type=options.SEED, default=0, help="simulated athlete's random seed")
    p.add_argument("--sim-calibration", action="store_true",
                   help="the simulated athlete starts with its calibration routine")
    options.add_imu_option(p)
    p.add_argument("--no-record", action="store_true", help="do not record the session to disk")
    add_options(p, ("exercise", "mains", "sample_rate_hz", "sessions_root"),
                aliases={"sessions_root": ("--sessions",)})
    p.add_argument("--quit-after", type=options.SECONDS, metavar="SECONDS", default=None,
                   help=argparse.SUPPRESS)   # close the window after SECONDS (tests, demos)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..ui.app import DashboardOptions
    from ..ui.app import run as run_dashboard
    opts = DashboardOptions(simulate=args.simulate, port=args.port, replay=args.replay,
                            athlete=args.athlete, exercise=args.exercise,
                            record=not args.no_record, sessions_root=str(args.sessions_root),
                            speed=args.speed, seed=args.seed, sim_calibration=args.sim_calibration,
                            source=args.source, channel_map=channel_map(args),
                            imu_segments=options.imu_segments(args),
                            mains=args.mains, sample_rate_hz=args.sample_rate_hz)
    return run_dashboard(opts, quit_after_s=args.quit_after)
