"""Wiring of one live (or replayed) session, independent of any widget.

acquisition thread: Notifier(source) -> Recorder (disk first; never depends on the GUI)
                                     -> Engine -> DisplayBuffer (ring buffers the GUI copies)
                                               -> Recorder (reps, set marks)
                                               -> AcquisitionBridge (queued Qt signals)
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from ..engine import DisplayBuffer, Engine, EngineSettings
from ..session.recorder import Recorder
from ..sources.base import Listener, Source
from ..sources.notifier import Notifier
from .bridge import AcquisitionBridge

log = logging.getLogger(__name__)


class LiveSession:
    """Owns a source, its notifier (the acquisition thread), the engine, the display
    buffer, the bridge and (optionally) a recorder."""

    def __init__(self, source: Source, settings: EngineSettings | None = None, *,
                 recorder: Recorder | None = None,
                 display_seconds: float = 10.0, display_rate_hz: float = 100.0,
                 bridge: AcquisitionBridge | None = None,
                 driver: Callable[[Engine, DisplayBuffer], Listener] | None = None) -> None:
        """``driver(engine, display) -> Listener``: a source listener that must hear each
        block before the engine does (a replay's recorded set marks)."""
        self.source = source
        self.reader = Notifier(source)
        self.engine = Engine(settings or EngineSettings())
        self.display = DisplayBuffer(display_seconds, display_rate_hz)
        self.bridge = bridge or AcquisitionBridge()
        self.recorder = recorder
        self.engine.add_listener(self.display)
        self.engine.add_listener(self.bridge)
        if recorder is not None:
            # the recorder hears the raw blocks first: disk before DSP, so a DSP failure
            # can never cost the recording.
            self.reader.add_listener(recorder)
            self.engine.add_listener(recorder)
        self.driver = driver(self.engine, self.display) if driver is not None else None
        if self.driver is not None:
            self.reader.add_listener(self.driver)
        self.reader.add_listener(self.engine)
        self.reader.add_listener(self.bridge)
        self._closed: threading.Event | None = None
        #: what the user must see when this session is shown (e.g. a damaged profile)
        self.warnings: list[str] = []

    @property
    def recording_path(self) -> Path | None:
        return self.recorder.folder if self.recorder is not None else None

    def start(self) -> None:
        """Start reading (opens the source if it is not open yet: open it on a worker first)."""
        self.reader.start()

    def close(self, block: bool = True) -> threading.Event:
        """Stop the acquisition thread and the source, then close the recorder, so the
        session on disk is complete and marked closed. Safe to call twice.

        ``block=False`` (the GUI thread) returns at once: the join and the closing run
        on a non-daemon thread, which the interpreter waits for at exit. The returned
        event is set when everything is closed."""
        if self._closed is not None:
            if block:
                self._closed.wait()
            return self._closed
        self._closed = closed = threading.Event()
        self.reader.request_stop()

        def finish() -> None:
            try:
                self.reader.stop()
            finally:
                if self.recorder is not None:
                    self.recorder.close()
                closed.set()
        if block:
            finish()
        else:
            threading.Thread(target=finish, name="session-close", daemon=False).start()
        return closed
