"""``emg-monitor monitor [--port P | --simulate] [--seconds S]``: live numbers in the terminal.

Once a second: the sample rate actually received, lost samples, and per channel
the mean and the RMS about the mean (EMG) -- enough to check wiring, gains and
the link before opening the dashboard.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time

import numpy as np

from ..device import imu_device_config
from ..model import DeviceConfig, DeviceInfo, Kind, SampleBlock, SourceEvent
from ..sources.base import GroundTruth, Listener, Source
from ..sources.notifier import Notifier
from .source_args import add_map_argument, add_source_argument, channel_map, source_url
from . import options
from .athlete_options import add_athlete_arguments, athlete_config_from_args


def add_parser(sub) -> None:
    p = sub.add_parser("monitor", help="print live per-channel values (serial board or simulated)",
                       description="Print, once a second, the received sample rate, lost "
                                   "samples and each channel's mean and RMS.")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--port", help="serial port (default: auto-detect the board)")
    where.add_argument("--simulate", action="store_true",
                       help="use the simulated athlete instead of a board")
    add_source_argument(where)
    add_map_argument(p)
    p.add_argument("--seconds", type=options.SECONDS, default=None, help="stop after S seconds")
    p.add_argument("--rate", type=int, default=1000, choices=(500, 1000, 2000),
                   help="sampling rate to ask the board for (Hz)")
    p.add_argument("--hello-timeout", type=options.TIMEOUT_S, default=3.0,
                   help="seconds to wait for the firmware to answer")
    options.add_imu_option(p)
    add_athlete_arguments(p)
    p.set_defaults(func=run)


class SecondPrinter(Listener):
    """Collects blocks on the acquisition thread; ``line()`` summarises and clears them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blocks: list[SampleBlock] = []
        self._events: list[SourceEvent] = []
        self.info: DeviceInfo | None = None
        self.errors: list[BaseException] = []

    def on_info(self, info: DeviceInfo) -> None:
        self.info = info

    def on_block(self, block: SampleBlock) -> None:
        with self._lock:
            self._blocks.append(block)

    def on_event(self, event: SourceEvent) -> None:
        with self._lock:
            self._events.append(event)

    def on_error(self, exc: BaseException) -> None:
        self.errors.append(exc)

    def take(self) -> tuple[list[SampleBlock], list[SourceEvent]]:
        with self._lock:
            blocks, events = self._blocks, self._events
            self._blocks, self._events = [], []
        return blocks, events


def summary_line(info: DeviceInfo, blocks: list[SampleBlock], elapsed_s: float) -> str:
    n = sum(b.n for b in blocks)
    lost = sum(b.lost_before for b in blocks)
    head = f"{n / elapsed_s:7.1f} Hz lost {lost:4d}"
    if n == 0:
        return head + "  (no samples)"
    data = np.vstack([b.data for b in blocks])
    t = blocks[-1].times_s(info.sample_rate_hz)[-1]
    parts = [f"t={t:7.1f}s {head}"]
    for i, ch in enumerate(info.channels):
        col = data[:, i]
        if ch.kind == Kind.RAW_EMG:
            parts.append(f"{ch.name} rms {np.std(col):6.1f}{ch.unit}")
        elif ch.kind == Kind.ENVELOPE:
            parts.append(f"{ch.name} {np.mean(col):6.1f}{ch.unit}")
        else:
            parts.append(f"{ch.name} {np.mean(col):+5.2f}{ch.unit}")
    return " | ".join(parts)


def make_source(args: argparse.Namespace) -> Source:
    from dataclasses import fields

    from ..sources.registry import SourceContext
    from ..sources.registry import make_source as from_url
    config = imu_device_config(DeviceConfig(sample_rate_hz=args.rate,
                                            emg_kind=Kind.ENVELOPE if args.envelope else Kind.RAW_EMG),
                               options.imu_segments(args))
    sim = {}
    url = source_url(args) or "serial://auto"
    if url.startswith("sim://"):
        cfg = athlete_config_from_args(args)
        sim = {f.name: getattr(cfg, f.name) for f in fields(cfg)}
    ctx = SourceContext(speed=args.speed, channel_map=channel_map(args), sim=sim,
                        device_config=config, hello_timeout_s=args.hello_timeout)
    return from_url(url, ctx)


def print_live(source: Source, seconds: float | None, out=None, truth=None) -> int:
    """Read a source and print one summary line a second (and its events, and reps if known)."""
    out = out or sys.stdout     # looked up at call time: sys.stdout may have been replaced
    printer = SecondPrinter()
    info = source.open()
    reader = Notifier(source, [printer])
    print(f"{info.device}: {info.sample_rate_hz:g} Hz, channels "
          f"{', '.join(f'{c.name} [{c.unit}]' for c in info.channels)}", file=out, flush=True)
    if info.imu_segments or info.imu_missing:
        answered = ", ".join(info.imu_segments) or "none"
        missing = f"; not answering: {', '.join(info.imu_missing)}" if info.imu_missing else ""
        print(f"IMUs at {info.imu_rate_hz:g} Hz: {answered}{missing}", file=out, flush=True)
    reader.start()
    t_start = last = time.monotonic()
    reported = 0
    try:
        while seconds is None or time.monotonic() - t_start < seconds:
            time.sleep(max(0.0, 1.0 - (time.monotonic() - last)))
            now = time.monotonic()
            blocks, events = printer.take()
            for ev in events:
                extra = f" {ev.duration_s:.2f} s" if ev.duration_s else ""
                print(f"-- {ev.kind.value} at sample {ev.sample_index}{extra} {ev.detail}",
                      file=out, flush=True)
            print(summary_line(printer.info or info, blocks, now - last), file=out, flush=True)
            last = now
            if truth is not None and blocks:
                t_now = blocks[-1].times_s(info.sample_rate_hz)[-1]
                while reported < len(truth) and truth[reported].t_end_s <= t_now:
                    r = truth[reported]
                    print(f"   rep {r.set_index}.{r.rep}: glute {r.glute_pct_mvc:.0f} %MVC, "
                          f"erector {r.erector_pct_mvc:.0f} %MVC, ratio {r.ratio:.2f}"
                          f"{' (lumbar-compensated)' if r.compensated else ''}",
                          file=out, flush=True)
                    reported += 1
            if printer.errors or not reader.running:
                break
    finally:
        reader.stop()
    reader.raise_error()
    return 0


def run(args: argparse.Namespace) -> int:
    source = make_source(args)
    truth = source.truth if isinstance(source, GroundTruth) else None
    return print_live(source, args.seconds, truth=truth)
