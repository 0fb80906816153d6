"""Every benchmark in one run, every headline figure in one table.

    .venv/bin/python benchmarks/run_all.py [--quick | --long] [--only NAME ...] [--write docs/performance.md]

Each benchmark runs as its own process (a fresh interpreter, so memory and CPU
figures are its own) and prints ``FIGURE {json}`` lines (``benchmarks/figures.py``);
this collects them. A benchmark that is not in the tree yet, fails or prints no
figure gets a row that says so, and the rest of the table still comes out.
``--write`` regenerates docs/performance.md with the table, the machine and the command.
By default the long-session and soak benchmarks run short (16 min sessions, a 15 min soak)
so the whole run stays a few minutes; ``--long`` runs their 2-hour versions (issue 11,
about an hour more; docs/reliability.md has those tables).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from figures import parse  # noqa: E402


@dataclass(frozen=True)
class Bench:
    name: str
    group: str
    script: str
    args: tuple[str, ...] = ()
    quick: tuple[str, ...] | None = None      # arguments for --quick (None: the same)
    long: tuple[str, ...] | None = None       # arguments for --long (None: the same)
    timeout_s: float = 1800.0
    env: tuple[tuple[str, str], ...] = ()
    #: run under this X server wrapper with these variables when it is installed
    #: (a real window system, as the dashboard runs), otherwise with ``env`` alone
    display: tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None = None


BENCHES = (
    Bench("protocol", "decoder", "bench_protocol.py"),
    Bench("dsp", "DSP", "bench_dsp.py", ("--seconds", "60", "--repeats", "5"),
          ("--seconds", "20", "--repeats", "3")),
    # a summary (1 seed x 12 conditions x 2 modes, 4 sessions per movement group: ~10 CPU
    # minutes less than the full run); docs/accuracy.md has the full run
    Bench("accuracy", "accuracy", "accuracy.py",
          ("--no-write", "--seeds", "1", "--movement-sessions", "4"),
          ("--no-write", "--seeds", "1", "--movement-sessions", "1")),
    Bench("cue_latency", "cue latency", "bench_cue_latency.py"),
    Bench("dashboard", "dashboard", "bench_dashboard.py", ("--seconds", "10", "--repeat", "3"),
          ("--seconds", "5",), env=(("QT_QPA_PLATFORM", "offscreen"),),
          display=(("xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"),
                   (("QT_QPA_PLATFORM", "xcb"),))),
    # fed over a pseudo-terminal by a board in another process, as a real board feeds it
    Bench("dashboard_serial", "dashboard", "bench_dashboard.py",
          ("--serial", "--seconds", "10", "--repeat", "3"), ("--serial", "--seconds", "5"),
          env=(("QT_QPA_PLATFORM", "offscreen"),),
          display=(("xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"),
                   (("QT_QPA_PLATFORM", "xcb"),))),
    Bench("long_session", "long session", "bench_long_session.py", long=("--long",),
          timeout_s=3 * 3600.0),
    Bench("soak", "soak", "bench_soak.py", long=("--long",), timeout_s=3 * 3600.0,
          env=(("QT_QPA_PLATFORM", "offscreen"),)),
    Bench("session", "session files", "bench_session.py"),
    Bench("tables", "session files", "bench_tables.py"),
)


@dataclass
class Row:
    group: str
    name: str
    value: str
    unit: str
    note: str


def _value(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return str(v)


def run(bench: Bench, quick: bool, long: bool = False) -> tuple[list[Row], float]:
    path = HERE / bench.script
    if not path.exists():
        return [Row(bench.group, bench.script, "-", "", "not in the tree yet: no figure")], 0.0
    args = bench.quick if quick and bench.quick is not None else bench.args
    if long and bench.long is not None:
        args = bench.long
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep), **dict(bench.env))
    wrapper: tuple[str, ...] = ()
    if bench.display is not None and shutil.which(bench.display[0][0]):
        wrapper = bench.display[0]
        env.update(dict(bench.display[1]))
    t0 = time.monotonic()
    try:
        proc = subprocess.run([*wrapper, sys.executable, str(path), *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=bench.timeout_s)
    except subprocess.TimeoutExpired:
        return [Row(bench.group, bench.script, "-", "",
                    f"timed out after {bench.timeout_s:.0f} s")], time.monotonic() - t0
    took = time.monotonic() - t0
    figures = [f for f in map(parse, proc.stdout.splitlines()) if f is not None]
    rows = [Row(f.get("group") or bench.group, str(f["name"]), _value(f.get("value")),
                str(f.get("unit", "")), str(f.get("note", ""))) for f in figures]
    if proc.returncode != 0:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        rows.append(Row(bench.group, bench.script, "-", "",
                        f"failed (exit {proc.returncode}): {err[:160]}"))
    elif not rows:
        last = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.strip()), "")
        rows.append(Row(bench.group, bench.script, "-", "",
                        f"printed no FIGURE line; last output: {last.strip()[:160]}"))
    return rows, took


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy
    import scipy
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):      # not on every platform
        load = float("nan")
    return (f"{cpu}, nproc={os.cpu_count()}, load average {load:.1f} at the start; "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"NumPy {numpy.__version__}, SciPy {scipy.__version__}")


def _build() -> str:
    """The commit measured (and whether the tree had changes), so a figure names its code."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return (head or "unknown") + (" with uncommitted changes" if dirty.strip() else "")


def table(rows: list[Row]) -> str:
    out = ["| group | figure | value | unit | note |", "|---|---|---:|---|---|"]
    out += [f"| {r.group} | {r.name} | {r.value} | {r.unit} | {r.note} |" for r in rows]
    return "\n".join(out)


DOC_HEAD = """# Performance

Every figure below comes from one run of one command, on the machine named under it;
the command runs each benchmark in its own process (`benchmarks/run_all.py`, the
benchmarks' own tables come from running them alone). Ratios are measured in the same
run: "x real time" is seconds of signal processed per second of wall time; the peers
(SciPy, NeuroKit2, BioSPPy, BrainFlow) process the same 6-channel 2 kHz signal in the
same run as our pipeline. A row that says "not in the tree yet" is a benchmark another
part of the project has not merged; the table still comes out without it.

"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter runs (a smoke test)")
    ap.add_argument("--long", action="store_true",
                    help="the 2-hour long-session and soak runs (about an hour more)")
    ap.add_argument("--only", nargs="*", metavar="NAME",
                    help=f"run only these ({', '.join(b.name for b in BENCHES)})")
    ap.add_argument("--write", type=Path, metavar="FILE",
                    help="also write the table, the machine and the command to FILE")
    args = ap.parse_args(argv)
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    unknown = set(args.only or ()) - {b.name for b in BENCHES}
    if unknown:
        print(f"run_all: unknown benchmark(s) {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    where = machine()
    build = _build()
    rows: list[Row] = []
    for b in chosen:
        print(f"run_all: {b.script} ...", file=sys.stderr, flush=True)
        got, took = run(b, args.quick, args.long)
        print(f"run_all: {b.script}: {len(got)} row(s) in {took:.0f} s", file=sys.stderr,
              flush=True)
        rows += got
    command = "python benchmarks/run_all.py" + (" --quick" if args.quick else "") + (
        " --long" if args.long else "") + (
        f" --only {' '.join(args.only)}" if args.only else "")
    text = table(rows)
    print(text)
    print(f"\nmachine: {where}\nbuild: {build}\nstarted: {started}\ncommand: {command}")
    if args.write:
        args.write.write_text(DOC_HEAD + f"Command: `{command}` (from the repository root, "
                              f"with the project's virtual environment).\n\n"
                              f"Machine: {where}.\n\nBuild: {build}. Run started {started}.\n\n"
                              + text + "\n",
                              encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
