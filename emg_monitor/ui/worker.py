"""Long work off the GUI thread, with the result delivered back on it.

The GUI thread only draws: a serial handshake (up to seconds per port), opening a
source, joining the acquisition thread on close, or a calibration's compute run on
a plain Python thread here; the result (or the exception) comes back through a
queued Qt signal, so the callbacks run on the GUI thread and may touch widgets.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from PyQt6.QtCore import QObject, pyqtSignal

log = logging.getLogger(__name__)


class Worker(QObject):
    """``Worker(parent).submit(fn, *args, on_done=..., on_error=...)``; one job at a time.

    ``busy`` is True while a job runs; a job submitted meanwhile raises RuntimeError
    (the caller disables the control that started it). Callbacks run on the thread
    that owns the worker (the GUI thread).
    """

    _finished = pyqtSignal(object, object, object, object)   # on_done, on_error, result, error

    def __init__(self, parent: QObject | None = None, name: str = "gui-worker") -> None:
        super().__init__(parent)
        self.name = name
        self._thread: threading.Thread | None = None
        self._finished.connect(self._deliver)

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, fn: Callable[..., Any], *args: Any,
               on_done: Callable[[Any], object] | None = None,
               on_error: Callable[[BaseException], object] | None = None) -> None:
        if self.busy:
            raise RuntimeError(f"{self.name} is busy")

        def run() -> None:
            result, error = None, None
            try:
                result = fn(*args)
            except Exception as exc:  # noqa: BLE001 - handed to on_error on the GUI thread
                error = exc
            try:
                self._finished.emit(on_done, on_error, result, error)
            except RuntimeError:      # the window (and this worker) was deleted meanwhile
                log.info("%s finished after its window closed", self.name)

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Join the job's thread (tests, shutdown); True if none is running."""
        t = self._thread
        if t is not None:
            t.join(timeout_s)
        return not self.busy

    def _deliver(self, on_done, on_error, result, error) -> None:
        if error is not None:
            if on_error is not None:
                on_error(error)
            else:
                log.error("%s failed", self.name, exc_info=error)
        elif on_done is not None:
            on_done(result)
