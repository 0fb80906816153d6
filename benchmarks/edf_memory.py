"""Peak memory of ``export --format edf`` against session length: it must not grow with it.

    python benchmarks/edf_memory.py --minutes 3 30

Writes a synthetic session (4 EMG + 2 accelerometer channels at 1 kHz) per length into a
temporary folder, exports it as EDF+ in a fresh process and prints that process's peak
resident memory (ru_maxrss) and the export's wall time as a multiple of real time.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = """
import resource, sys, time
from emg_monitor.session.edf import export_edf
t = time.perf_counter()
export_edf(sys.argv[1], sys.argv[2], "edf")
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def make_session(folder: Path, minutes: float) -> None:
    from emg_monitor.model import (
        EMG_PIN_ROLES,
        MOTION_PIN_NAMES,
        Channel,
        DeviceInfo,
        Kind,
        SampleBlock,
    )
    from emg_monitor.session import Recorder, SessionMeta
    info = DeviceInfo(1000.0, tuple([Channel(n, Kind.RAW_EMG, "uV", m, s)
                                     for n, m, s in EMG_PIN_ROLES]
                                    + [Channel(n, Kind.MOTION, "g") for n in MOTION_PIN_NAMES]))
    rng = np.random.default_rng(0)
    n = int(minutes * 60_000)
    with Recorder(folder, SessionMeta(athlete="bench", exercise="deadlift")) as rec:
        rec.on_info(info)
        for first in range(0, n, 20_000):
            k = min(20_000, n - first)
            t = (first + np.arange(k)) / 1000.0
            emg = rng.normal(0, 50, (k, 4)) * (1 + 3 * (np.sin(t / 2) > 0))[:, None]
            motion = np.column_stack([np.cos(t / 3), np.sin(t / 3)])
            rec.on_block(SampleBlock(first, np.column_stack([emg, motion])))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, nargs="+", default=[3.0, 30.0])
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            folder = Path(tmp) / f"s{minutes:g}"
            make_session(folder, minutes)
            out = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(Path(tmp) / "o")],
                                 capture_output=True, text=True, check=True)
            wall_s, rss_kb = out.stdout.split()
            print(f"{minutes:6g} min session: export {float(wall_s):6.1f} s "
                  f"({minutes * 60 / float(wall_s):5.0f}x real time), peak RSS "
                  f"{int(rss_kb) / 1024:6.0f} MiB")


if __name__ == "__main__":
    main()
