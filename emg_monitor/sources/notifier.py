"""The one acquisition thread per source: read, then fan out to isolated listeners.

After python-can's ``Notifier``: the source only reads; this thread calls
``source.read(timeout)`` and hands every block and event to each listener in
the order they were added (the recorder first, so disk comes before DSP). A
listener that raises is detached and reported (``fanout.FanOut``) while
reading and recording go on; an error of the source itself ends the thread, is
stored in ``error`` and is told to every listener (``on_error``).

The notifier also presents the live stream's state (``info``, ``running``,
``error``) so consumers like the calibration wizard need only this object.
"""
from __future__ import annotations

import logging
import threading

from ..fanout import FanOut, ListenerFailure
from ..model import DeviceInfo, EventKind, SampleBlock, SourceEvent
from .base import Source

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.05


class Notifier:
    """``Notifier(source, [listeners])``; ``start()`` opens the source (if needed) and reads.

    A listener is any object with the ``Listener`` methods it needs (``sources.base.Listener``
    gives no-ops for the rest; a method it lacks is skipped)."""

    def __init__(self, source: Source, listeners: tuple[object, ...] | list[object] = (),
                 timeout_s: float = READ_TIMEOUT_S) -> None:
        self.source = source
        self.timeout_s = float(timeout_s)
        self._fanout: FanOut[object] = FanOut("source")
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._state = threading.Lock()      # start/stop from different threads
        self.error: BaseException | None = None
        self.ended = False                   # a finite source delivered its END event
        self._informed: set[int] = set()     # id() of listeners that heard the current info
        for listener in listeners:
            self.add_listener(listener)

    # --- listeners -------------------------------------------------------------------------
    def add_listener(self, listener: object) -> None:
        """Add a listener; it hears ``on_info`` at once if the device is already known."""
        self._fanout.add(listener)
        if self.source.info is not None:
            self._informed.add(id(listener))
            self._call(listener, "on_info", self.source.info)

    def remove_listener(self, listener: object) -> None:
        self._fanout.remove(listener)

    @property
    def listeners(self) -> list[object]:
        return self._fanout.snapshot()

    @property
    def failures(self) -> list[ListenerFailure]:
        """Listeners that raised and were detached, oldest first."""
        return list(self._fanout.failures)

    def _call(self, listener: object, method: str, *args: object) -> None:
        single: FanOut[object] = FanOut("source")
        single.add(listener)
        single.notify(method, *args)
        if single.failures:
            self._fanout.remove(listener)
            self._fanout.failures.extend(single.failures)
            for failure in single.failures:
                self._fanout.report(failure)

    # --- the stream's state ------------------------------------------------------------------
    @property
    def info(self) -> DeviceInfo | None:
        return self.source.info

    @property
    def running(self) -> bool:
        t = self._thread
        return t is not None and t.is_alive()

    # --- thread ------------------------------------------------------------------------------
    def start(self) -> None:
        """Open the source (blocking: on a GUI, open it on a worker first) and start reading.

        After a finite source ended (or the thread stopped), ``start`` reads on again."""
        with self._state:
            if self.running:
                return
            if not self.source.is_open:
                self.source.open()
            self._stop.clear()
            self.ended = False
            self.error = None
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"{type(self.source).__name__}-acq")
            self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to end after its current read; returns at once."""
        self._stop.set()

    def stop(self, timeout_s: float = 5.0) -> bool:
        """End the thread, then close the source. Blocking (up to ``timeout_s``): a GUI
        calls it from a worker (``LiveSession.close``). True if the thread ended."""
        self.request_stop()
        with self._state:
            t = self._thread
            ended = True
            if t is not None and t is not threading.current_thread():
                t.join(timeout_s)
                ended = not t.is_alive()
            if ended:
                self._thread = None
                self.source.close()
            else:
                log.error("%s did not stop within %.1f s", t.name if t else "reader", timeout_s)
            return ended

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the thread ends (finite sources); True if it did."""
        t = self._thread
        if t is not None:
            t.join(timeout_s)
            return not t.is_alive()
        return True

    def raise_error(self) -> None:
        """Re-raise the source's stored error (tests, CLI)."""
        if self.error is not None:
            raise self.error

    def __enter__(self) -> "Notifier":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        notify = self._fanout.notify
        for listener in self._fanout.snapshot():     # those added before the source opened
            if id(listener) not in self._informed and self.source.info is not None:
                self._informed.add(id(listener))
                self._call(listener, "on_info", self.source.info)
        try:
            while not self._stop.is_set():
                for item in self.source.read(self.timeout_s):
                    if isinstance(item, SampleBlock):
                        notify("on_block", item)
                    elif isinstance(item, SourceEvent):
                        notify("on_event", item)
                        if item.kind == EventKind.END:
                            self.ended = True
                    else:
                        self._informed = {id(x) for x in self._fanout.snapshot()}
                        notify("on_info", item)
                if self.ended:
                    break
        except Exception as exc:  # noqa: BLE001 - stored and reported, never swallowed
            log.exception("acquisition from %s failed", type(self.source).__name__)
            self.error = exc
            notify("on_error", exc)
        finally:
            notify("on_stop")
