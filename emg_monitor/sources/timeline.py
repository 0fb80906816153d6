"""Stream indices for sources whose chunks carry timestamps (LSL, BrainFlow), with gaps.

Samples are counted at the stream's nominal rate; a chunk's timestamp only
decides whether it follows the previous chunk or comes after a gap. Each chunk
is compared with the end of the previous one, never with the start of the
stream, so a device whose true rate is a little off its nominal rate does not
drift into false gaps, and jitter below ``tolerance_s`` is absorbed.

Pure bookkeeping: the source turns the returned events into ``SourceEvent``s,
so a lab stream's dropout is recorded exactly like the serial board's unplug
(DISCONNECTED, then RECONNECTED and a GAP with its duration).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import EventKind

#: (kind, sample index, detail, duration_s)
Event = tuple[EventKind, int, str, float]


@dataclass
class Placement:
    first_index: int
    lost: int                                   # samples missing just before this chunk
    events: list[Event] = field(default_factory=list)


class Timeline:
    def __init__(self, rate_hz: float, tolerance_s: float, stall_s: float,
                 what: str = "the stream") -> None:
        if not rate_hz > 0:
            raise ValueError("a timeline needs a positive nominal rate")
        self.rate_hz = float(rate_hz)
        self.tolerance_s = float(tolerance_s)
        self.stall_s = float(stall_s)
        self.what = what
        self.next_index = 0
        self.last_stamp: float | None = None
        self.last_data_s: float | None = None    # monotonic time of the last chunk
        self.lost_since_s: float | None = None   # monotonic time the loss was noticed
        self.reattached = False                  # a new connection: its clock may differ

    def lost(self, since_s: float, why: str) -> list[Event]:
        """The stream is gone (or silent): one DISCONNECTED, however often it is called."""
        if self.lost_since_s is not None:
            return []
        self.lost_since_s = since_s
        return [(EventKind.DISCONNECTED, self.next_index, why, 0.0)]

    def idle(self, now_s: float) -> list[Event]:
        """No chunk now: DISCONNECTED once nothing came for ``stall_s``."""
        if self.last_data_s is None:
            self.last_data_s = now_s
        if now_s - self.last_data_s > self.stall_s:
            return self.lost(self.last_data_s, f"no samples from {self.what} for "
                                               f"{self.stall_s:g} s")
        return []

    def place(self, first_stamp_s: float, last_stamp_s: float, n: int, now_s: float) -> Placement:
        rate = self.rate_hz
        lost = 0
        if self.last_stamp is not None:
            step_s = first_stamp_s - self.last_stamp
            if self.reattached and self.lost_since_s is not None:
                # a restarted app may stamp from another clock: trust its stamps only when
                # they agree with the time we saw it gone
                away_s = now_s - self.lost_since_s
                if not 0.0 <= step_s <= away_s + 5.0:
                    step_s = away_s
            if step_s - 1.0 / rate > self.tolerance_s:
                lost = int(round(step_s * rate)) - 1
        first = self.next_index + lost
        events: list[Event] = []
        if self.lost_since_s is not None:
            events.append((EventKind.RECONNECTED, first, f"{self.what} is back", 0.0))
        if lost or self.lost_since_s is not None:
            events.append((EventKind.GAP, self.next_index,
                           "disconnected" if self.lost_since_s is not None else "samples lost",
                           lost / rate))
        self.lost_since_s = None
        self.reattached = False
        self.last_stamp = last_stamp_s
        self.last_data_s = now_s
        self.next_index = first + n
        return Placement(first, lost, events)
