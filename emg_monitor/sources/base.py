"""The one small interface every data source presents.

After python-can's ``BusABC`` + ``Notifier``: a source owns exactly one
acquisition thread that reads, decodes and fans blocks out to listeners. The
dashboard, the recorder and the command line cannot tell a serial board, the
simulated athlete and a replayed file apart.

Listeners are called *on the acquisition thread*: they must be quick and must
not touch Qt (the GUI copies from a ring buffer on its own timer).
"""
from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod

from ..model import DeviceInfo, EventKind, SampleBlock, SourceEvent, SourceStats

log = logging.getLogger(__name__)


class SourceError(Exception):
    """An expected failure with a message fit for the user (one line, says what to do)."""


class Listener:
    """Receives a source's output. Override what you need; all run on the acquisition thread."""

    def on_info(self, info: DeviceInfo) -> None: ...
    def on_block(self, block: SampleBlock) -> None: ...
    def on_event(self, event: SourceEvent) -> None: ...
    def on_error(self, exc: BaseException) -> None: ...
    def on_stop(self) -> None: ...


class Source(ABC):
    """Base class: subclasses implement ``_open``, ``_read`` and ``_close``."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self.stats = SourceStats()
        self.info: DeviceInfo | None = None
        self.error: BaseException | None = None
        self._opened = False

    # --- subclass API --------------------------------------------------------
    @abstractmethod
    def _open(self) -> DeviceInfo:
        """Connect and return the device info; raise SourceError with a clear message."""

    @abstractmethod
    def _read(self) -> list[SampleBlock]:
        """Return the blocks available now, waiting at most ~50 ms; [] when none.

        Raise StopIteration when a finite source is exhausted.
        """

    def _close(self) -> None:
        """Release the device."""

    # --- public API ----------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)
        if self.info is not None:
            listener.on_info(self.info)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def open(self) -> DeviceInfo:
        """Connect synchronously (so the CLI can report failures before starting)."""
        if not self._opened:
            self.info = self._open()
            self._opened = True
            self._emit("on_info", self.info)
        assert self.info is not None
        return self.info

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self.open()
        self._stop_event.clear()
        self._thread = threading.Thread(target=self._run, name=f"{type(self).__name__}-acq",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop_event.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        self._thread = None
        if self._opened:
            self._opened = False
            self._close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the acquisition thread ends (finite sources); True if it did."""
        t = self._thread
        if t is not None:
            t.join(timeout_s)
            return not t.is_alive()
        return True

    def raise_error(self) -> None:
        """Re-raise an error stored by the acquisition thread (tests, CLI)."""
        if self.error is not None:
            raise self.error

    def __enter__(self) -> "Source":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- helpers for subclasses ---------------------------------------------
    def _emit(self, method: str, *args) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            getattr(listener, method)(*args)

    def _emit_event(self, kind: EventKind, sample_index: int, detail: str = "",
                    duration_s: float = 0.0) -> None:
        self._emit("on_event", SourceEvent(kind, sample_index, time.monotonic(), detail,
                                           duration_s))

    def _set_info(self, info: DeviceInfo) -> None:
        self.info = info
        self._emit("on_info", info)

    def _run(self) -> None:
        try:
            while not self._stop_event.is_set():
                try:
                    blocks = self._read()
                except StopIteration:
                    self._emit_event(EventKind.END, self._end_index())
                    break
                for block in blocks:
                    self.stats.lost_samples += block.lost_before
                    self._emit("on_block", block)
        except BaseException as exc:  # noqa: BLE001 - stored and reported, never swallowed
            log.exception("acquisition thread failed")
            self.error = exc
            self._emit("on_error", exc)
        finally:
            self._emit("on_stop")

    def _end_index(self) -> int:
        return 0
