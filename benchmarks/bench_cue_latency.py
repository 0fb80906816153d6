"""Latency of the lifter's two cues on the dashboard (simulated athlete, real time, real window):

* top reached -> live lockout cue shown (``DashboardWindow.on_top``): the lifter can still
  squeeze in this rep; the brief asks for <= 300 ms;
* lockout end -> the rep's final ratio and verdict shown (``DashboardWindow.on_rep``).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_cue_latency.py [--sets 2 --reps 5]

"Top reached" is the simulated athlete's ground truth: the end of the concentric
(``RepTruth.t_lockout_s``); "lockout end" is the end of its top hold (``t_end_s``).
The stream sample of a truth time reaches the host at ``offset + t_s`` on the wall
clock, with ``offset`` the smallest (host time - stream time) over all blocks (a block
is never early), so each latency includes the 20 ms block buffering, decoding, DSP,
detection, the queued Qt signal and the handler that draws the cue. Prints p50/p95/max.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from figures import emit

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--rate", type=int, default=1000)
    args = ap.parse_args()

    from PyQt6.QtWidgets import QApplication

    from emg_monitor.engine import EngineListener
    from emg_monitor.model import DeviceConfig
    from emg_monitor.sim.athlete import AthleteConfig
    from emg_monitor.sources.base import Listener
    from emg_monitor.sources.simulated import SimulatedSource
    from emg_monitor.ui.live import LiveSession
    from emg_monitor.ui.main_window import DashboardWindow

    app = QApplication(sys.argv[:1])
    cfg = AthleteConfig(sets=args.sets, reps_per_set=args.reps, seed=args.seed,
                        rest_between_sets_s=8.0, setup_s=2.0, sample_rate_hz=args.rate)
    src = SimulatedSource(cfg, DeviceConfig(sample_rate_hz=args.rate), realtime=True, speed=1.0)
    session = LiveSession(src)
    arrivals: list[tuple[float, int]] = []          # (host time, end index) per block

    class Arrivals(Listener):
        def on_block(self, block) -> None:
            arrivals.append((block.host_time_s, block.first_index + block.n))
    session.reader.add_listener(Arrivals())
    emitted: dict[str, list[tuple[float, float]]] = {"top": [], "rep": []}

    class Emitted(EngineListener):                 # when the engine let go of each cue
        def on_top(self, cue) -> None:
            emitted["top"].append((time.monotonic(), cue.t_top_s))

        def on_rep(self, rep) -> None:
            emitted["rep"].append((time.monotonic(), rep.t_top_s))
    session.engine.add_listener(Emitted())
    w = DashboardWindow(None, exercises=(cfg.exercise,))
    shown: dict[str, list[tuple[float, float]]] = {"top": [], "rep": []}
    on_top, on_rep = w.on_top, w.on_rep

    def top_spy(cue) -> None:
        on_top(cue)
        shown["top"].append((time.monotonic(), cue.t_top_s))

    def rep_spy(rep) -> None:
        on_rep(rep)
        shown["rep"].append((time.monotonic(), rep.t_top_s))
    w.on_top, w.on_rep = top_spy, rep_spy  # type: ignore[method-assign]
    w.resize(1280, 720)
    w.show()
    src.open()
    w.attach(session)
    session.bridge.top_arrived.disconnect()
    session.bridge.top_arrived.connect(top_spy)
    session.bridge.rep_arrived.disconnect()
    session.bridge.rep_arrived.connect(rep_spy)
    truth = src.athlete.truth
    end_s = truth[-1].t_end_s + 4.0
    while not arrivals or arrivals[-1][1] / args.rate < end_s:
        app.processEvents()
        time.sleep(0.002)
    w.close()
    app.processEvents()
    offset = min(h - i / args.rate for h, i in arrivals)

    def latencies(kind: str, truth_t) -> np.ndarray:
        got = []
        for t in truth:
            near = [(wall, top) for wall, top in shown[kind] if abs(top - t.t_top_s) < 1.0]
            if near:
                got.append(near[0][0] - (offset + truth_t(t)))
        return np.array(got)

    print(f"machine: {os.cpu_count()} cores; simulated athlete, {cfg.sets} x {cfg.reps_per_set} "
          f"reps, {args.rate} Hz, real time; {len(shown['top'])} cues, {len(shown['rep'])} reps "
          f"shown of {len(truth)}")
    print(f"{'latency':42s} {'n':>3s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}")
    for name, kind, at in (("top reached -> live lockout cue shown", "top", lambda t: t.t_lockout_s),
                           ("lockout end -> final verdict shown", "rep", lambda t: t.t_end_s)):
        x = latencies(kind, at) * 1000
        if x.size:
            print(f"{name:42s} {x.size:3d} {np.percentile(x, 50):8.0f} {np.percentile(x, 95):8.0f} "
                  f"{x.max():8.0f}")
            for q in (50, 95):
                emit(f"{name}, p{q}", float(np.percentile(x, q)), "ms",
                     f"{x.size} of {len(truth)} reps, {args.rate} Hz, real time, the real window",
                     group="cue latency")
        else:
            print(f"{name:42s}   0        -        -        -   (none shown)")
    # the GUI's share: engine hand-off -> handler (queued signal + drawing the cue)
    for kind in ("top", "rep"):
        pairs = [(s[0] - e[0]) * 1000 for e, s in zip(emitted[kind], shown[kind])]
        if pairs:
            print(f"  of which engine -> {kind} handler: p50 {np.percentile(pairs, 50):.1f} ms, "
                  f"p95 {np.percentile(pairs, 95):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
