"""The only door from the acquisition thread into the GUI.

A QObject whose listener methods run on the acquisition thread and emit Qt
signals; a signal emitted on another thread reaches slots of GUI-thread objects
as a *queued* call, so nothing here touches a widget. Per-block data never goes
through a signal (that would flood the event queue at 2 kHz): the GUI copies it
from the engine's ring buffers on its own timer. Only rare events (reps,
quality changes, sets, disconnects, errors) are signalled, and every one is
shown, never swallowed.
"""
from __future__ import annotations

import threading
import time

from PyQt6.QtCore import QObject, pyqtSignal

from ..model import DeviceInfo, SampleBlock, SourceEvent
from ..sources.base import Listener


class AcquisitionBridge(QObject, Listener):
    """Source listener + engine listener that re-emits as Qt signals."""

    info_changed = pyqtSignal(object)          # DeviceInfo
    top_arrived = pyqtSignal(object)           # TopCue: the live lockout state at the top
    rep_arrived = pyqtSignal(object)           # RepResult
    quality_changed = pyqtSignal(object)       # dict[channel, tuple[QualityIssue, ...]]
    set_changed = pyqtSignal(object)           # sets.SetRecord (open or closed)
    source_event = pyqtSignal(object)          # SourceEvent
    source_error = pyqtSignal(object)          # BaseException
    source_stopped = pyqtSignal()
    listener_failed = pyqtSignal(object)       # fanout.ListenerFailure (engine, recorder, ...)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._samples = 0
        self._lost = 0
        self.block_threads: set[str] = set()   # names of threads that delivered blocks

    # --- Source listener (acquisition thread) ----------------------------------
    def on_info(self, info: DeviceInfo) -> None:
        self.info_changed.emit(info)

    def on_block(self, block: SampleBlock) -> None:
        with self._lock:
            self._samples += block.n
            self._lost += block.lost_before
        if len(self.block_threads) < 4:
            self.block_threads.add(threading.current_thread().name)

    def on_event(self, event: SourceEvent) -> None:
        self.source_event.emit(event)

    def on_error(self, exc: BaseException) -> None:
        self.source_error.emit(exc)

    def on_stop(self) -> None:
        self.source_stopped.emit()

    def on_listener_failed(self, failure) -> None:   # from the source's or the engine's fan-out
        self.listener_failed.emit(failure)

    # --- Engine listener (acquisition thread) ----------------------------------
    def on_processed(self, chunk) -> None:  # drawn from the ring buffer instead
        pass

    def on_top(self, cue) -> None:
        self.top_arrived.emit(cue)

    def on_rep(self, rep) -> None:
        self.rep_arrived.emit(rep)

    def on_quality(self, issues: dict) -> None:
        self.quality_changed.emit(dict(issues))

    def on_set(self, record) -> None:
        self.set_changed.emit(record)

    # --- read by the GUI timer ---------------------------------------------------
    def counters(self) -> tuple[int, int]:
        """(samples received, samples lost) so far."""
        with self._lock:
            return self._samples, self._lost


class RateMeter:
    """Sample rate measured from samples received over wall time (not the nominal rate)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._marks: list[tuple[float, int]] = []

    def update(self, samples: int, now_s: float | None = None) -> float:
        now_s = time.monotonic() if now_s is None else now_s
        self._marks.append((now_s, samples))
        while len(self._marks) > 2 and now_s - self._marks[1][0] >= self.window_s:
            self._marks.pop(0)
        (t0, n0), (t1, n1) = self._marks[0], self._marks[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else float("nan")
