"""Peak memory and time of ``export`` and ``report`` on long sessions (issue 11: bounded cost).

Writes synthetic sessions of 6 channels at 2 kHz (4 raw EMG with bursts at every rep, 2
accelerometer axes) with 800 reps per 2 hours, at 15 min, 1 h and 2 h, then runs
``emg-monitor export`` and ``emg-monitor report`` on each in a fresh process and reads
its peak RSS from ``wait4`` (the kernel's count, not a sampler). Each child runs under an
address-space limit (``--limit-mb``), so an unbounded command fails instead of taking
the machine down; such a run is reported as ``> limit``.

    .venv/bin/python benchmarks/bench_long_session.py [--long | --minutes M ...] [--keep DIR]

The default (4 and 16 min) is the quick run for ``run_all.py``; ``--long`` runs the
issue's 15 min, 1 h and 2 h (about a 1.7 GB samples.bin at 2 h; put ``--keep`` on /tmp).
``analyze SESSION`` is measured beside the two, as it reads the same files.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emg_monitor.model import Channel, DeviceInfo, EMG_PIN_ROLES, Kind, RepResult, Verdict  # noqa: E402
from emg_monitor.session import Recorder, SessionMeta  # noqa: E402
from emg_monitor.session.meta import SAMPLES_FILE, sample_dtype  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from figures import emit  # noqa: E402

RATE_HZ = 2000.0
REPS_PER_2H = 800
CHUNK = 1 << 18


def device() -> DeviceInfo:
    chans = [Channel(n, Kind.RAW_EMG, "uV", m, s) for n, m, s in EMG_PIN_ROLES]
    chans += [Channel("accel_x", Kind.MOTION, "g"), Channel("accel_y", Kind.MOTION, "g")]
    return DeviceInfo(RATE_HZ, tuple(chans), device="benchmark", adc_bits=10)


def make_session(folder: Path, minutes: float, seed: int = 0) -> Path:
    """Header, events and reps through the Recorder; samples.bin written straight to disk in
    chunks (the recorder's queue is sized for live rates, not for this)."""
    n = int(minutes * 60 * RATE_HZ)
    n_reps = max(1, round(REPS_PER_2H * minutes / 120))
    period = n / n_reps
    meta = SessionMeta("Bench", "deadlift", filter_settings={"mains": "off"}, target_ratio=1.0)
    with Recorder(folder, meta) as rec:
        rec.on_info(device())
        rec.mark("set_start", set_index=1)
        for k in range(n_reps):
            t_top = (k + 0.5) * period / RATE_HZ
            ratio = 0.7 + 0.6 * ((k * 7919) % 100) / 100
            rec.on_rep(RepResult(
                rep=k % 10 + 1, set_index=k // 10 + 1, t_start_s=t_top - 1.5, t_top_s=t_top,
                t_end_s=t_top + 1.5, window_start_s=t_top - 0.25, window_end_s=t_top + 0.25,
                lockout_s=0.6, glute_left=80 * ratio, glute_right=78 * ratio, erector_left=80,
                erector_right=82, glute=79 * ratio, erector=81, ratio=ratio,
                verdict=Verdict.GLUTES_FINISHED if ratio > 1.15 else
                Verdict.LUMBAR_DOMINANT if ratio < 0.85 else Verdict.BORDERLINE,
                amplitude_unit="uV", calibrated=False, exercise="deadlift", session_rep=k + 1))
    rng = np.random.default_rng(seed)
    dtype = sample_dtype(6)
    with open(folder / SAMPLES_FILE, "ab") as f:
        for a in range(0, n, CHUNK):
            m = min(CHUNK, n - a)
            idx = np.arange(a, a + m)
            phase = (idx % period) / period
            burst = 20.0 + 180.0 * np.exp(-((phase - 0.5) / 0.12) ** 2)
            rows = np.empty(m, dtype)
            rows["index"] = idx
            data = rng.normal(0.0, 1.0, (m, 6)) * burst[:, None]
            incl = np.radians(60.0 * np.sin(np.pi * phase) ** 2)
            data[:, 4], data[:, 5] = np.cos(incl), np.sin(incl)
            rows["data"] = data
            f.write(rows.tobytes())
    header = json.loads((folder / "session.json").read_text())
    header["samples_written"] = n
    (folder / "session.json").write_text(json.dumps(header))
    return folder


def run_measured(argv: list[str], limit_mb: int) -> tuple[float, float, int]:
    """(seconds, peak RSS MiB, exit code) of one command in a fresh process."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "emg_monitor", *argv], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=limit)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace").strip().splitlines()
    if proc.returncode:
        print(f"   {argv[0]}: exit {proc.returncode}: {err[-1] if err else ''}", file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024.0, proc.returncode


COMMANDS = ("export", "report", "analyze")
QUICK_MINUTES = (4.0, 16.0)
LONG_MINUTES = (15.0, 60.0, 120.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, nargs="+",
                    help=f"session lengths (default {' '.join(f'{m:g}' for m in QUICK_MINUTES)}; "
                         f"--long: {' '.join(f'{m:g}' for m in LONG_MINUTES)})")
    ap.add_argument("--long", action="store_true", help="the issue's 15 min, 1 h and 2 h")
    ap.add_argument("--limit-mb", type=int, default=3000,
                    help="address-space limit of each measured command")
    ap.add_argument("--keep", type=Path, help="keep the sessions here (default: a temp dir)")
    args = ap.parse_args()
    if args.minutes and not all(0 < m <= 24 * 60 for m in args.minutes):
        ap.error("--minutes must be positive, at most 1440 (24 h)")
    if args.limit_mb < 1:
        ap.error("--limit-mb must be at least 1")
    minutes_list = args.minutes or (LONG_MINUTES if args.long else QUICK_MINUTES)
    base = args.keep or Path(tempfile.mkdtemp(prefix="emg-bench-"))
    rows = []
    try:
        for minutes in minutes_list:
            folder = base / f"long_{minutes:g}min"
            if not folder.exists():
                t0 = time.perf_counter()
                make_session(folder, minutes)
                print(f"made {folder.name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            size_mb = (folder / SAMPLES_FILE).stat().st_size / 2 ** 20
            out = base / f"out_{minutes:g}"
            shutil.rmtree(out, ignore_errors=True)
            argv = {"export": ["export", str(folder), "--out", str(out)],
                    "report": ["report", str(folder), "--out", str(base / "r.html")],
                    "analyze": ["analyze", str(folder), "--out", str(base / "reps.csv")]}
            measured = {}
            for name in COMMANDS:
                measured[name] = run_measured(argv[name], args.limit_mb)
                shutil.rmtree(out, ignore_errors=True)
            rows.append((minutes, size_mb, measured))
            print(f"{minutes:g} min done", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)

    def cell(m):
        t, rss, rc = m
        return f"{t:7.1f} s | {rss:6.0f} MB" if rc == 0 else f"failed (exit {rc}) | > {rss:.0f} MB"
    load = os.getloadavg()
    print(f"\n{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"at the end, limit {args.limit_mb} MB per command")
    print("| session | samples.bin | " + " | ".join(f"{c} time | {c} peak RSS" for c in COMMANDS)
          + " |")
    print("|---|---|" + "---|---|" * len(COMMANDS))
    for minutes, size_mb, measured in rows:
        n_reps = max(1, round(REPS_PER_2H * minutes / 120))
        print(f"| {minutes:g} min, {n_reps} reps | {size_mb:.0f} MB | "
              + " | ".join(cell(measured[c]) for c in COMMANDS) + " |")
    ratios = {}
    if len(rows) >= 2:
        (m0, _, f0), (m1, _, f1) = rows[0], rows[-1]
        for c in COMMANDS:
            if f0[c][2] == 0 and f1[c][2] == 0:
                ratios[c] = (f1[c][0] / m1) / (f0[c][0] / m0)
        print(f"\ntime per session minute, {m1:g} min / {m0:g} min: "
              + ", ".join(f"{c} {r:.2f}x" for c, r in ratios.items()) + " (1.00x = linear)")
    longest, _, measured = rows[-1]
    for c in COMMANDS:
        t, rss, rc = measured[c]
        note = "" if rc == 0 else f"failed (exit {rc}) under a {args.limit_mb} MB limit"
        emit(f"{c} of a {longest:g} min session, peak RSS", rss if rc == 0 else None, "MB",
             note, group="long session")
        emit(f"{c} of a {longest:g} min session, time", t if rc == 0 else None, "s", note,
             group="long session")
        if c in ratios:
            emit(f"{c} time per minute, {longest:g} min / {rows[0][0]:g} min", ratios[c],
                 "x (1 = linear)", group="long session")
    return 0 if all(m[2] == 0 for _, _, f in rows for m in f.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
