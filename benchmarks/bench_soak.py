"""Soak: hours of the simulated athlete through the dashboard's own objects; memory must be flat.

The dashboard's ``LiveSession`` (ui/live.py: the notifier on the acquisition thread,
the engine, the display buffer, the bridge, and the recorder writing a real session
to disk) runs without a window on the simulated board (the real wire protocol),
as fast as the machine goes. The main thread plays the GUI: a Qt event loop whose
timer copies the display buffer at 30 Hz, as the window's does, and whose slots
receive the bridge's rep/set/quality signals. At every 15 minutes of stream time a
probe on the engine notes peak and current RSS (``/proc/self/status``), the growing
containers (the display's rep list, the recorder's counters) and Python's object
count. The athlete lifts like a lifter: sets of ``--reps`` reps with ``--rest-s``
between them, for the whole session.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_soak.py [--long | --hours H]

The default (15 min of stream time, marks every 5 min) is the quick run for
``run_all.py``; ``--long`` is the issue's 2 hours with marks every 15 minutes.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from figures import emit  # noqa: E402


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size in MB, the kernel's own count."""
    cur = peak = float("nan")
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            cur = int(line.split()[1]) / 1024
        elif line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return cur, peak


class Probe:
    """An engine listener that samples memory each time the stream crosses a mark."""

    def __init__(self, live, every_s: float) -> None:
        self.live = live
        self.every_s = every_s
        self.next_s = every_s
        self.rows: list[dict] = []
        self.t0 = time.monotonic()

    def on_processed(self, chunk) -> None:
        t_s = (chunk.first_index + chunk.envelope.shape[0]) / chunk.sample_rate_hz
        if t_s < self.next_s:
            return
        self.next_s += self.every_s
        cur, peak = rss_mb()
        rec = self.live.recorder
        self.rows.append(dict(
            stream_min=t_s / 60, wall_s=time.monotonic() - self.t0, rss_mb=cur, peak_mb=peak,
            reps=len(self.live.display.reps), objects=len(gc.get_objects()),
            written=rec.samples_written if rec is not None else 0,
            dropped=rec.samples_dropped if rec is not None else 0))

    def on_top(self, cue) -> None: ...
    def on_rep(self, rep) -> None: ...
    def on_quality(self, issues) -> None: ...
    def on_set(self, record) -> None: ...


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long", action="store_true", help="2 hours, a mark every 15 minutes")
    ap.add_argument("--hours", type=float, help="stream time (default 0.25; --long: 2)")
    ap.add_argument("--mark-min", type=float, help="minutes between marks (default 5; --long: 15)")
    ap.add_argument("--reps", type=int, default=8, help="reps per set")
    ap.add_argument("--rest-s", type=float, default=60.0, help="rest between sets")
    ap.add_argument("--rate-hz", type=int, default=2000, help="sampling rate asked of the board")
    ap.add_argument("--keep", type=Path, help="keep the recorded session under this folder")
    args = ap.parse_args()
    for name in ("hours", "mark_min", "rest_s"):
        v = getattr(args, name)
        if v is not None and not (0 < v <= 1e4 if name != "rest_s" else 0 <= v <= 1e4):
            ap.error(f"--{name.replace('_', '-')} must be a positive number up to 10,000")
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    hours = args.hours or (2.0 if args.long else 0.25)
    mark_min = args.mark_min or (15.0 if args.long else 5.0)

    from PyQt6.QtCore import QCoreApplication, QTimer

    from emg_monitor.session.reader import load_session
    from emg_monitor.sim.athlete import AthleteConfig
    from emg_monitor.sources.simulated import SimulatedSource
    from emg_monitor.ui.app import DashboardOptions, device_config, make_session

    app = QCoreApplication([])
    root = args.keep or Path(tempfile.mkdtemp(prefix="emg-soak-"))
    duration_s = hours * 3600.0
    # the dashboard's own wiring (ui/app.make_session: engine settings from the profile, a
    # recorder under the sessions root), at the issue's 2 kHz, profiles in a scratch home
    opts = DashboardOptions(athlete="Soak", sessions_root=str(root / "sessions"),
                            home=str(root / "home"), sample_rate_hz=args.rate_hz, lumbar=0.3)
    # enough sets to fill the session (each set lasts longer than its rest); the source stops
    # at ``duration_s``, as fast as the machine goes
    config = AthleteConfig(exercise=opts.exercise, sets=int(duration_s / args.rest_s) + 2,
                           reps_per_set=args.reps, seed=3, rest_between_sets_s=args.rest_s,
                           lumbar_pattern=opts.lumbar)
    source = SimulatedSource(config, device_config(opts), realtime=False, duration_s=duration_s)
    live = make_session(source, opts, record=True)
    recorder = live.recorder
    assert recorder is not None
    probe = Probe(live, mark_min * 60.0)
    live.engine.add_listener(probe)
    seen = {"reps": 0, "sets": 0, "quality": 0, "frames": 0}
    errors: list[str] = []

    def count(what: str):
        return lambda _item: seen.__setitem__(what, seen[what] + 1)
    live.bridge.rep_arrived.connect(count("reps"))
    live.bridge.set_changed.connect(count("sets"))
    live.bridge.quality_changed.connect(count("quality"))
    live.bridge.source_error.connect(lambda e: errors.append(repr(e)))
    live.bridge.listener_failed.connect(lambda f: errors.append(repr(f)))

    def draw() -> None:                       # what the window's timer copies each frame
        if live.display.envelope is not None:
            live.display.envelope.latest()
            live.display.peak.latest()
        live.display.reps_snapshot()
        seen["frames"] += 1

    timer = QTimer()
    timer.timeout.connect(draw)
    timer.start(33)
    done = threading.Event()

    def watch() -> None:
        live.reader.wait(duration_s * 10)
        done.set()
    check = QTimer()
    check.timeout.connect(lambda: app.quit() if done.is_set() else None)
    check.start(100)
    t0 = time.monotonic()
    live.start()
    threading.Thread(target=watch, daemon=True).start()
    app.exec()
    wall_s = time.monotonic() - t0
    live.close()
    app.processEvents()
    folder = recorder.folder
    session = load_session(folder)
    on_disk = session.n_samples
    cur, peak = rss_mb()
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)

    rows = probe.rows
    print(f"\n{hours:g} h of stream time in {wall_s:.0f} s ({duration_s / wall_s:.0f}x real "
          f"time); {os.cpu_count()} cores, load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " at the end")
    print("| stream time | wall s | RSS MB | peak RSS MB | reps so far | Python objects | "
          "samples recorded | dropped |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['stream_min']:.0f} min | {r['wall_s']:.0f} | {r['rss_mb']:.0f} | "
              f"{r['peak_mb']:.0f} | {r['reps']} | {r['objects']:,} | {r['written']:,} | "
              f"{r['dropped']} |")
    print(f"end: {seen['reps']} reps and {seen['sets']} set updates reached the GUI slots, "
          f"{seen['frames']} frames copied, errors {errors or 'none'}; "
          f"{on_disk:,} samples on disk, session problems {session.problems or 'none'}")
    ok = len(rows) >= 2 and not errors and rows[-1]["dropped"] == 0
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        growth = last["rss_mb"] - first["rss_mb"]
        span_h = (last["stream_min"] - first["stream_min"]) / 60
        print(f"RSS from the first mark to the last: {growth:+.1f} MB over {span_h:.2f} h "
              f"({growth / span_h:+.1f} MB per hour); peak {peak:.0f} MB")
        emit(f"soak {hours:g} h: RSS growth, first mark to last", growth / span_h, "MB per hour",
             f"{first['rss_mb']:.0f} -> {last['rss_mb']:.0f} MB", group="soak")
        emit(f"soak {hours:g} h: peak RSS", peak, "MB", group="soak")
        emit(f"soak {hours:g} h: speed", duration_s / wall_s, "x real time",
             f"{seen['reps']} reps, {rows[-1]['dropped']} samples dropped", group="soak")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
