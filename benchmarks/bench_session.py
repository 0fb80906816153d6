#!/usr/bin/env python3
"""Session I/O costs: what the recorder costs the acquisition thread, and load speed.

Prints a table; compare rows as ratios measured in the same run (machines differ).

    .venv/bin/python benchmarks/bench_session.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from emg_monitor.model import SampleBlock  # noqa: E402
from emg_monitor.session import Recorder, SessionMeta, load_session  # noqa: E402
from emg_monitor.sources.notifier import Notifier  # noqa: E402
from emg_monitor.sources.replay import ReplaySource  # noqa: E402
from figures import emit  # noqa: E402
from session_support import device_info  # noqa: E402

RATE_HZ = 1000.0
BLOCK = 20                       # 20 ms blocks, as the sources deliver them
SECONDS = 600                    # ten minutes of 4 EMG + 2 motion


def main() -> None:
    info = device_info(RATE_HZ)
    rng = np.random.default_rng(0)
    data = rng.normal(0, 50, (int(SECONDS * RATE_HZ), 6))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "s"
        rec = Recorder(folder, SessionMeta("bench", "deadlift"))
        rec.on_info(info)
        t0 = time.perf_counter()
        for first in range(0, len(data), BLOCK):
            rec.on_block(SampleBlock(first, data[first:first + BLOCK]))
        t_acq = time.perf_counter() - t0
        rec.close()
        t_total = time.perf_counter() - t0
        size_mb = (folder / "samples.bin").stat().st_size / 1e6
        t0 = time.perf_counter()
        s = load_session(folder)
        n_loaded = s.data.shape[0]              # the samples themselves (read on first use)
        t_load = time.perf_counter() - t0
        reader = Notifier(ReplaySource(folder, speed=None))
        t0 = time.perf_counter()
        reader.start()
        reader.wait(300)
        reader.stop()
        t_replay = time.perf_counter() - t0
    n_blocks = len(data) // BLOCK
    print(f"{SECONDS} s of {len(info.channels)} channels at {RATE_HZ:g} Hz "
          f"({n_blocks} blocks of {BLOCK}), samples.bin {size_mb:.1f} MB")
    print(f"{'step':<44} {'seconds':>9} {'x real time':>12}")
    for name, t in [("recorder on_block (acquisition thread)", t_acq),
                    ("recorder incl. writer drain + close", t_total),
                    ("load_session", t_load),
                    ("ReplaySource full speed", t_replay)]:
        print(f"{name:<44} {t:9.3f} {SECONDS / t:12.0f}")
    print(f"per block on the acquisition thread: {t_acq / n_blocks * 1e6:.1f} us "
          f"(block duration {BLOCK / RATE_HZ * 1e6:.0f} us)")
    for name, t in [("Recorder, incl. writer drain + close", t_total),
                    ("load_session", t_load), ("ReplaySource at full speed", t_replay)]:
        emit(name, SECONDS / t, "x real time", f"{SECONDS} s of 6 channels at {RATE_HZ:g} Hz",
             group="session files")
    assert n_loaded == len(data), (n_loaded, len(data))


if __name__ == "__main__":
    main()
