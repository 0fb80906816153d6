"""The one small interface every data source presents, and what a source may also do.

After python-can's ``BusABC``: a source is a bus-like object with ``open``,
``read(timeout_s)`` and ``close`` and no thread of its own. The one acquisition
thread that reads it and fans the blocks out to listeners is
:class:`~emg_monitor.sources.notifier.Notifier` (python-can's ``Notifier``), so
the dashboard, the recorder and the command line cannot tell a serial board,
the simulated athlete and a replayed file apart.

What a source can do beyond reading is an explicit capability protocol, checked
with ``isinstance`` (never ``hasattr``): :class:`Seekable`, :class:`Pausable`,
:class:`Paced`, :class:`ScriptedCalibration`, :class:`Recording`,
:class:`GroundTruth`.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence, Union, runtime_checkable

from ..fanout import ListenerFailure
from ..model import DeviceInfo, EventKind, SampleBlock, SourceEvent, SourceStats

#: the stretch of stream a live source hands on per read: 20 ms, ~50 blocks a second,
#: each under a display frame. Every block costs the engine fixed work (quality, reps,
#: sets, the display), so a source that handed on each USB packet (160 a second from
#: a serial port) cost the dashboard three times as much for the same samples.
BLOCK_S = 0.02

if TYPE_CHECKING:  # typing only: a source module must not import the session layer
    from ..session.reader import Session

#: what ``read`` returns: blocks, events, and a new DeviceInfo when the device changed
Item = Union[SampleBlock, SourceEvent, DeviceInfo]


class SourceError(Exception):
    """An expected failure with a message fit for the user (one line, says what to do)."""


class Listener:
    """Receives a source's output from the notifier. Override what you need.

    All run on the acquisition thread: quick, and never touching Qt. A listener
    that raises is detached and reported (``fanout.FanOut``); the others go on.
    """

    def on_info(self, info: DeviceInfo) -> None: ...
    def on_block(self, block: SampleBlock) -> None: ...
    def on_event(self, event: SourceEvent) -> None: ...
    def on_error(self, exc: BaseException) -> None: ...
    def on_stop(self) -> None: ...
    def on_listener_failed(self, failure: ListenerFailure) -> None: ...


class Source(ABC):
    """A bus-like source: subclasses implement ``_open``, ``_read`` and (if needed) ``_close``.

    Not thread-safe by itself: one notifier thread reads it. Controls that other
    threads call (a replay's pause and seek) take the subclass's own lock.
    """

    def __init__(self) -> None:
        self.stats = SourceStats()
        self.info: DeviceInfo | None = None
        self._opened = False
        self._outbox: list[Item] = []
        self._failed: Exception | None = None   # raised by the next read, after the outbox

    # --- subclass API --------------------------------------------------------
    @abstractmethod
    def _open(self) -> DeviceInfo:
        """Connect and return the device info; raise SourceError with a clear message."""

    @abstractmethod
    def _read(self, timeout_s: float) -> Sequence[SampleBlock]:
        """Return the blocks available now, waiting at most ``timeout_s``; [] when none.

        Raise StopIteration when a finite source is exhausted.
        """

    def _close(self) -> None:  # noqa: B027 - optional: most sources have nothing to release
        """Release the device."""

    def _end_index(self) -> int:
        """The stream index just after the last sample (for the END event)."""
        return 0

    # --- public API ----------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._opened

    def open(self) -> DeviceInfo:
        """Connect (idempotent). Blocking: a GUI calls it from a worker (``ui/worker.py``)."""
        if not self._opened:
            self.info = self._open()
            self._opened = True
            self._failed = None
        assert self.info is not None
        return self.info

    def read(self, timeout_s: float = 0.05) -> list[Item]:
        """Blocks, events and info changes, in stream order; waits at most ~``timeout_s``.

        A finite source ends with one ``EventKind.END`` event; after it, ``read``
        returns ``[]`` until a replay is sought back.
        """
        if not self._opened:
            raise SourceError(f"{type(self).__name__} is not open")
        if self._failed is not None:
            raise self._failed
        try:
            blocks = list(self._read(timeout_s))
        except StopIteration:
            self._event(EventKind.END, self._end_index())
            blocks = []
        except Exception as exc:
            if not self._outbox:
                raise
            # what happened before the failure (e.g. DISCONNECTED) is delivered first
            self._failed = exc
            blocks = []
        for block in blocks:
            self.stats.lost_samples += block.lost_before
        items, self._outbox = self._outbox, []
        items.extend(blocks)
        return items

    def close(self) -> None:
        if self._opened:
            self._opened = False
            self._close()

    def __enter__(self) -> "Source":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- helpers for subclasses (called inside ``_read``) --------------------------
    def _event(self, kind: EventKind, sample_index: int, detail: str = "",
               duration_s: float = 0.0) -> None:
        self._outbox.append(SourceEvent(kind, sample_index, time.monotonic(), detail,
                                        duration_s))

    def _set_info(self, info: DeviceInfo) -> None:
        self.info = info
        self._outbox.append(info)


# --- capabilities -------------------------------------------------------------------------
@runtime_checkable
class Seekable(Protocol):
    """Jump in stream time (a replay). A seek is announced as an INFO event "seek to ..."."""

    def seek(self, t_s: float) -> None: ...
    @property
    def position_s(self) -> float: ...
    @property
    def duration_s(self) -> float: ...


@runtime_checkable
class Pausable(Protocol):
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    @property
    def paused(self) -> bool: ...


@runtime_checkable
class Paced(Protocol):
    """Plays at ``speed`` x real time (None: as fast as possible)."""

    @property
    def speed(self) -> float | None: ...


@runtime_checkable
class Recording(Protocol):
    """Plays a file: ``path``, and the recorded session when it is a session folder (else None)."""

    @property
    def path(self) -> Path: ...
    @property
    def session(self) -> Session | None: ...


@runtime_checkable
class ScriptedCalibration(Protocol):
    """Performs a calibration routine on its own (the simulated athlete).

    ``calibration_tasks`` is the scripted rest/MVC segments, () when this run has none.
    """

    @property
    def calibration_tasks(self) -> tuple: ...


@runtime_checkable
class GroundTruth(Protocol):
    """Knows what really happened (the simulated athlete's reps)."""

    @property
    def truth(self) -> list: ...


@runtime_checkable
class PerformsTasks(Protocol):
    """Performs a calibration task when asked (the simulated athlete): ``kind`` is "rest",
    "glute_mvc" or "erector_mvc", over stream samples [start_index, start_index + n)."""

    def perform_task(self, kind: str, start_index: int, n_samples: int) -> None: ...
