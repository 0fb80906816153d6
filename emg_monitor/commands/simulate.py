"""``emg-monitor simulate [--pty] [--exercise ...] [--seed N] [--mains 50|60] [--ecg] ...``

With ``--pty`` the emulated board (byte-exact firmware model, real protocol) is
put on a pseudo-terminal whose path is printed, for ``emg-monitor monitor
--port PATH``, the dashboard or any serial terminal (POSIX only). Without it,
the simulated athlete runs here and a live text summary is printed, with the
ground truth of every rep.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

from ..errors import UserError
from . import options
from .athlete_options import add_athlete_arguments, athlete_config_from_args


def add_parser(sub) -> None:
    p = sub.add_parser("simulate", help="run the simulated athlete (optionally on a pty)",
                       description="Simulated athlete behind an emulated board speaking the "
                                   "real protocol. --pty exposes it as a serial device.")
    p.add_argument("--pty", action="store_true",
                   help="put the emulated board on a pseudo-terminal and print its path")
    p.add_argument("--link", metavar="PATH",
                   help="with --pty: also create a symlink PATH to the pty (a stable name)")
    p.add_argument("--seconds", type=options.SECONDS, default=None, help="stop after S seconds")
    p.add_argument("--rate", type=int, default=1000, choices=(500, 1000, 2000),
                   help="sampling rate of the stream (Hz)")
    add_athlete_arguments(p)
    p.set_defaults(func=run)


def _run_pty(args: argparse.Namespace, cfg) -> int:
    from ..model import DeviceConfig, Kind
    from ..sim.athlete import Athlete
    from ..sim.device import DeviceEmulator
    from ..sim.pty import PtyBoard, check_supported, describe
    check_supported()
    device_config = DeviceConfig(emg_kind=Kind.ENVELOPE if cfg.envelope_output else Kind.RAW_EMG)
    board = PtyBoard(DeviceEmulator(Athlete(cfg), device_config), speed=args.speed)
    if args.link:
        from ..session.outputs import session_folder_of
        if session_folder_of(args.link) is not None:
            raise UserError(f"--link {args.link} is inside a session folder; choose another")
        if os.path.lexists(args.link):
            if not os.path.islink(args.link):
                raise UserError(f"--link {args.link} exists and is not a symlink; choose another")
            os.unlink(args.link)
        os.symlink(board.path, args.link)
    print(describe(board.path, args.link), flush=True)
    board.start()
    t0 = time.monotonic()
    try:
        while args.seconds is None or time.monotonic() - t0 < args.seconds:
            time.sleep(0.2)
            if board.error is not None:
                raise board.error
    finally:
        board.close()
        if args.link and os.path.islink(args.link):
            os.unlink(args.link)
    return 0


def run(args: argparse.Namespace) -> int:
    cfg = replace(athlete_config_from_args(args), sample_rate_hz=float(args.rate))
    if args.pty:
        return _run_pty(args, cfg)
    from ..model import DeviceConfig, Kind
    from ..sources.simulated import SimulatedSource
    from .monitor import print_live
    source = SimulatedSource(cfg, DeviceConfig(sample_rate_hz=args.rate,
                                               emg_kind=Kind.ENVELOPE if cfg.envelope_output
                                               else Kind.RAW_EMG),
                             realtime=True, speed=args.speed)
    print(f"simulated {cfg.exercise}: {cfg.sets} x {cfg.reps_per_set}, planned session "
          f"{source.athlete.duration_s:.0f} s (then quiet standing)", flush=True)
    return print_live(source, args.seconds, truth=source.athlete.truth)
