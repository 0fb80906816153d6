"""Reading a source through the real Notifier until a condition holds (LSL, BrainFlow tests)."""
from __future__ import annotations

import threading
import time

from emg_monitor.model import SampleBlock, SourceEvent
from emg_monitor.sources.base import Listener
from emg_monitor.sources.notifier import Notifier


class Collector(Listener):
    """Blocks and events as the acquisition thread delivered them."""

    def __init__(self) -> None:
        self.blocks: list[SampleBlock] = []
        self.events: list[SourceEvent] = []
        self.lock = threading.Lock()

    def on_block(self, block):
        with self.lock:
            self.blocks.append(block)

    def on_event(self, event):
        with self.lock:
            self.events.append(event)

    def received(self) -> int:
        with self.lock:
            return sum(b.n for b in self.blocks)


def read_until(source, until, limit_s: float = 60.0) -> Collector:
    """Notifier(source) until ``until(collector)``, the source ends or ``limit_s``; then the
    source is closed and any acquisition error raised."""
    col = Collector()
    reader = Notifier(source, [col])
    reader.start()
    t0 = time.monotonic()
    try:
        while not until(col) and time.monotonic() - t0 < limit_s and reader.running:
            time.sleep(0.05)
    finally:
        reader.stop()
        source.close()
    reader.raise_error()
    return col
