"""Wiring of one live (or replayed) session, independent of any widget.

source thread: Source -> Engine -> DisplayBuffer (ring buffers the GUI copies)
                                -> Recorder (disk; never depends on the GUI)
                                -> AcquisitionBridge (queued Qt signals for rare events)
"""
from __future__ import annotations

import logging
from pathlib import Path

from ..sources.base import Source
from .bridge import AcquisitionBridge

log = logging.getLogger(__name__)


class LiveSession:
    """Owns a source, its engine, the display buffer, the bridge and (optionally) a recorder."""

    def __init__(self, source: Source, settings=None, *, recorder=None,
                 display_seconds: float = 10.0, display_rate_hz: float = 100.0,
                 bridge: AcquisitionBridge | None = None, driver=None) -> None:
        """``driver(engine, display) -> Listener``: a source listener that must hear each
        block before the engine does (a replay's recorded set marks)."""
        from ..engine import DisplayBuffer, Engine, EngineSettings
        self.source = source
        self.engine = Engine(settings or EngineSettings())
        self.display = DisplayBuffer(display_seconds, display_rate_hz)
        self.bridge = bridge or AcquisitionBridge()
        self.recorder = recorder
        self.engine.add_listener(self.display)
        self.engine.add_listener(self.bridge)
        if recorder is not None:
            # the recorder hears the raw blocks first: disk before DSP, so a DSP failure
            # can never cost the recording.
            source.add_listener(recorder)
            self.engine.add_listener(recorder)
        self.driver = driver(self.engine, self.display) if driver is not None else None
        if self.driver is not None:
            source.add_listener(self.driver)
        source.add_listener(self.engine)
        source.add_listener(self.bridge)
        self._closed = False

    @property
    def recording_path(self) -> Path | None:
        return getattr(self.recorder, "folder", None)

    def start(self) -> None:
        self.source.start()

    def close(self) -> None:
        """Stop the source (joins its thread), then close the recorder: the session on disk
        is complete and marked closed. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self.source.stop()
        finally:
            if self.recorder is not None:
                self.recorder.close()
