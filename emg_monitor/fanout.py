"""Fan-out with isolated listeners: one failing consumer never stops the others.

After python-can's ``Notifier``: the place that calls listeners is the place that
contains their failures. A listener that raises is logged with its traceback,
stored as a :class:`ListenerFailure`, detached (it would most likely fail again on
the next block), and every remaining listener is told through
``on_listener_failed`` so the GUI and the command line can say so. Reading,
processing and recording go on.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

L = TypeVar("L")


@dataclass(frozen=True)
class ListenerFailure:
    """A listener that raised and was detached."""

    listener: object
    method: str
    error: BaseException
    where: str = ""                      # which fan-out: "source", "engine"
    host_time_s: float = field(default_factory=time.monotonic)

    @property
    def name(self) -> str:
        return type(self.listener).__name__

    def __str__(self) -> str:
        text = str(self.error) or type(self.error).__name__
        return f"{self.name}.{self.method} failed and was detached: {text}"


class FanOut(Generic[L]):
    """A thread-safe list of listeners and the isolated call into each of them."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._listeners: list[L] = []
        self._lock = threading.Lock()
        self.failures: list[ListenerFailure] = []

    def add(self, listener: L) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove(self, listener: L) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def __contains__(self, listener: object) -> bool:
        with self._lock:
            return listener in self._listeners

    def snapshot(self) -> list[L]:
        with self._lock:
            return list(self._listeners)

    def notify(self, method: str, *args: Any) -> None:
        """Call ``listener.method(*args)`` on every listener; isolate and report failures."""
        failed: list[ListenerFailure] = []
        for listener in self.snapshot():
            # a listener implements the notifications it needs (the Listener base classes give
            # no-ops for the rest); one it lacks is skipped, so adding a notification never
            # detaches an older listener
            fn = getattr(listener, method, None)
            if fn is None:
                continue
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001 - stored, logged, reported, detached
                failure = ListenerFailure(listener, method, exc, self.where)
                log.error("%s listener %s", self.where, failure, exc_info=exc)
                self.remove(listener)
                self.failures.append(failure)
                failed.append(failure)
        for failure in failed:
            self.report(failure)

    def report(self, failure: ListenerFailure) -> None:
        """Tell the remaining listeners; a listener failing at that is only logged."""
        for listener in self.snapshot():
            fn = getattr(listener, "on_listener_failed", None)
            if fn is None:
                continue
            try:
                fn(failure)
            except Exception:  # noqa: BLE001 - reporting must not recurse
                log.exception("%s listener %r failed to take a failure report", self.where,
                              listener)
