"""Decoder throughput: how many SAMPLES frames per second FrameDecoder handles.

The board's worst case is 6 channels at 2000 frames/s (40 kB/s); the figure
that matters is the multiple of that real-time rate, measured here for each
channel count and for two chunk sizes (a serial read returns a few hundred
bytes at a time; a replay feeds large blocks).

    .venv/bin/python benchmarks/bench_protocol.py
"""
from __future__ import annotations

import time

from emg_monitor.protocol import FrameDecoder, encode_samples

BOARD_MAX_FRAMES_PER_S = 2000


def stream(n_frames: int, n_channels: int) -> bytes:
    return b"".join(encode_samples(i, [(i * 7 + c * 101) % 1024 for c in range(n_channels)])
                    for i in range(n_frames))


def frames_per_s(data: bytes, chunk: int, n_frames: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        dec = FrameDecoder()
        t0 = time.perf_counter()
        got = 0
        for pos in range(0, len(data), chunk):
            got += len(dec.feed(data[pos:pos + chunk]))
        best = min(best, time.perf_counter() - t0)
        assert got == n_frames and dec.stats.lost_samples == 0
    return n_frames / best


def main() -> None:
    n_frames = 40_000
    print(f"{'channels':>8} {'bytes/frame':>11} {'chunk B':>8} {'frames/s':>12} {'x real time (2000/s)':>21}")
    for n_channels in (1, 4, 6):
        data = stream(n_frames, n_channels)
        for chunk in (256, 65536):
            fps = frames_per_s(data, chunk, n_frames)
            print(f"{n_channels:>8} {len(data) // n_frames:>11} {chunk:>8} {fps:>12,.0f} "
                  f"{fps / BOARD_MAX_FRAMES_PER_S:>21.1f}")


if __name__ == "__main__":
    main()
