"""Loading a plain CSV recording: ``tables.load_table`` rows per second.

``python benchmarks/bench_tables.py [--seconds S] [--rate HZ] [--repeat N]`` writes a
table (time + 6 channels, like an exported session) to a temporary file and loads it
N times; prints the median load time and rows/s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emg_monitor.tables import load_table  # noqa: E402
from figures import emit  # noqa: E402


def write_table(path: Path, seconds: float, rate_hz: float) -> int:
    n = int(seconds * rate_hz)
    rng = np.random.default_rng(0)
    data = np.column_stack([np.arange(n) / rate_hz, rng.normal(0, 50, (n, 4)),
                            rng.normal(0, 0.5, (n, 2))])
    header = "t_s,left_glute_uv,left_erector_uv,right_glute_uv,right_erector_uv,accel_x_g,accel_y_g"
    np.savetxt(path, data, delimiter=",", header=header, comments="", fmt="%.6g")
    return n


def measure(seconds: float = 60.0, rate_hz: float = 2000.0, repeat: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recording.csv"
        n = write_table(path, seconds, rate_hz)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            table = load_table(path)
            times.append(time.perf_counter() - t0)
        assert table.data.shape == (n, 6)
    t = statistics.median(times)
    return {"rows": n, "seconds": t, "rows_per_s": n / t}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--rate", type=float, default=2000.0)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    r = measure(a.seconds, a.rate, a.repeat)
    print(f"load_table: {r['rows']} rows x 7 columns in {r['seconds']:.3f} s "
          f"(median of {a.repeat}): {r['rows_per_s']:,.0f} rows/s")
    emit("load_table, plain CSV (7 columns)", r["rows_per_s"], "rows/s",
         f"{r['rows']} rows, median of {a.repeat}", group="session files")


if __name__ == "__main__":
    main()
