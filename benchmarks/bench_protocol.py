"""Decoder throughput: how many SAMPLES frames per second FrameDecoder handles.

The board's worst case is 6 channels at 2000 frames/s (44 kB/s); the figure
that matters is the multiple of that real-time rate, measured here for each
channel count and for two chunk sizes (a serial read returns a few hundred
bytes at a time; a replay feeds large blocks). Times are CPU time of this
process (``time.process_time``), best of the repeats, so other load on a shared
machine disturbs them less.

    .venv/bin/python benchmarks/bench_protocol.py
    .venv/bin/python benchmarks/bench_protocol.py --compare OLD_TREE
        # also the decoder of another checkout (e.g. `git archive REV emg_monitor | tar -x -C OLD_TREE`),
        # alternated with this one in the same run; its frames are encoded with its own encoder
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

from emg_monitor import protocol
from figures import emit

BOARD_MAX_FRAMES_PER_S = 2000


def load_protocol(tree: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("old_protocol", tree / "emg_monitor" / "protocol.py")
    assert spec is not None and spec.loader is not None, f"no protocol.py under {tree}"
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_protocol"] = module
    spec.loader.exec_module(module)
    return module


def stream(proto: ModuleType, n_frames: int, n_channels: int) -> bytes:
    return b"".join(proto.encode_samples(i, [(i * 7 + c * 101) % 1024 for c in range(n_channels)])
                    for i in range(n_frames))


def frames_per_s(proto: ModuleType, data: bytes, chunk: int, n_frames: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        dec = proto.FrameDecoder()
        t0 = time.process_time()
        got = 0
        for pos in range(0, len(data), chunk):
            got += len(dec.feed(data[pos:pos + chunk]))
        best = min(best, time.process_time() - t0)
        assert got == n_frames and dec.stats.lost_samples == 0
    return n_frames / best


def crc_bytes_per_s(fn, data: bytes, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        for pos in range(0, len(data), 20):
            fn(data[pos:pos + 20])
        best = min(best, time.process_time() - t0)
    return len(data) / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compare", type=Path, help="another checkout whose decoder to measure alongside")
    ap.add_argument("--frames", type=int, default=40_000)
    args = ap.parse_args()
    decoders = [("this", protocol)]
    if args.compare:
        decoders.insert(0, ("compare", load_protocol(args.compare)))
    n_frames = args.frames
    print(f"{'decoder':>8} {'channels':>8} {'bytes/frame':>11} {'chunk B':>8} {'frames/s':>12} "
          f"{'x real time (2000/s)':>21}")
    for n_channels in (1, 4, 6):
        for chunk in (256, 65536):
            for name, proto in decoders:
                data = stream(proto, n_frames, n_channels)
                fps = frames_per_s(proto, data, chunk, n_frames)
                print(f"{name:>8} {n_channels:>8} {len(data) // n_frames:>11} {chunk:>8} {fps:>12,.0f} "
                      f"{fps / BOARD_MAX_FRAMES_PER_S:>21.1f}")
                if n_channels == 6 and name == "this":
                    emit(f"FrameDecoder, 6 channels, {chunk}-byte reads", fps, "frames/s",
                         f"{fps / BOARD_MAX_FRAMES_PER_S:.0f}x the board's 2000 frames/s",
                         group="decoder")
    if args.compare and hasattr(decoders[0][1], "_CRC_TABLE"):
        data = stream(protocol, 20_000, 6)
        old = crc_bytes_per_s(decoders[0][1].crc16, data)
        new = crc_bytes_per_s(protocol.crc16, data)
        print(f"CRC-16 over 20-byte frames: compare {old / 1e6:.2f} MB/s, this {new / 1e6:.2f} MB/s, "
              f"x{new / old:.1f}")


if __name__ == "__main__":
    main()
