"""A Lab Streaming Layer inlet as a source: any amplifier with an LSL app (``lsl://NAME``).

The stream is resolved by name (``lsl://NAME``) or type (``lsl://?type=EMG``)
within a timeout; when it is not there, the message lists the streams that
were. Channel roles come from the stream's channel labels (``channel_map``),
with ``--map LABEL=ROLE`` overrides saved in the athlete's profile.

Samples are counted at the stream's nominal rate; its timestamps (clock-corrected
to this machine) only decide where a chunk starts (``timeline.Timeline``), so
irregular chunks and jitter change nothing, and a stream that vanishes and
returns leaves a gap of exactly the time it was away, as the serial board's
unplug does: DISCONNECTED, then RECONNECTED and a GAP event, and the next
block's ``lost_before``. The inlet does not recover by itself (``recover=False``):
a lost stream is looked for again by name/type every ``RETRY_EVERY_S``, so a
restarted amplifier app is found whether or not it kept its source_id.
"""
from __future__ import annotations

import contextlib
import time
from typing import Any

import numpy as np

from ..channel_map import ChannelMap, build_map, channels_from_xml
from ..errors import UserError
from ..model import DeviceInfo, EventKind, SampleBlock
from .base import Source, SourceError
from .registry import SourceContext, SourceSpec, register
from .timeline import Timeline

#: no sample for this long: the stream is reported disconnected
STALL_S = 1.0
#: a stream lost for good (no source_id) is looked for again this often
RETRY_EVERY_S = 0.5
#: a chunk starting this far from where the stream should be is a gap (or a clock jump);
#: below it, timestamp jitter is absorbed and the stream is taken as continuous
GAP_TOLERANCE_S = 0.05
PARAMS = ("type", "timeout", "source_id")


def describe_streams(infos) -> str:
    return ", ".join(f"{i.name()!r} ({i.type() or 'no type'}, {i.channel_count()} ch, "
                     f"{i.nominal_srate():g} Hz)" for i in infos) or "none"


def profile_key(name: str, stream_type: str) -> str:
    return f"lsl:{name}" if name else f"lsl:type={stream_type}"


@register("lsl", "a Lab Streaming Layer stream: lsl://NAME, lsl://?type=EMG")
class LslSource(Source):
    def __init__(self, name: str = "", stream_type: str = "", source_id: str = "",
                 resolve_timeout_s: float = 3.0, overrides: dict[str, str] | None = None,
                 athlete: str = "", home: str | None = None) -> None:
        super().__init__()
        if not name and not stream_type:
            raise UserError("lsl:// needs a stream name (lsl://NAME) or a type (lsl://?type=EMG)")
        self.name = name
        self.stream_type = stream_type
        self.source_id = source_id
        self.resolve_timeout_s = float(resolve_timeout_s)
        self.overrides = dict(overrides or {})
        self.athlete = athlete
        self.home = home
        self.mapping: ChannelMap | None = None
        self._lsl: Any = None                  # the pylsl module, imported on open
        self._inlet: Any = None
        self._rate = 0.0
        self._timeline: Timeline | None = None
        self._next_try = 0.0
        self._lost_error: type[BaseException] = Exception
        self._timeout_error: type[BaseException] = Exception

    @classmethod
    def from_spec(cls, spec: SourceSpec, ctx: SourceContext) -> LslSource:
        from ..commands import options
        stream_type = spec.take("type", str, "")
        timeout = spec.take("timeout", options.TIMEOUT_S, ctx.resolve_timeout_s)
        source_id = spec.take("source_id", str, "")
        spec.done(PARAMS)
        return cls(spec.target, stream_type, source_id, timeout, ctx.channel_map, ctx.athlete,
                   ctx.home)

    # --- what to look for ------------------------------------------------------------
    def _wanted(self) -> str:
        parts = [f"named {self.name!r}" if self.name else "",
                 f"of type {self.stream_type!r}" if self.stream_type else "",
                 f"with source_id {self.source_id!r}" if self.source_id else ""]
        return "LSL stream " + " ".join(p for p in parts if p)

    def _matches(self, info) -> bool:
        return ((not self.name or info.name() == self.name)
                and (not self.stream_type or info.type() == self.stream_type)
                and (not self.source_id or info.source_id() == self.source_id))

    def _resolve(self, timeout_s: float) -> list:
        lsl = self._lsl
        if self.name:
            found = lsl.resolve_byprop("name", self.name, 1, timeout_s)
        elif self.source_id:
            found = lsl.resolve_byprop("source_id", self.source_id, 1, timeout_s)
        else:
            found = lsl.resolve_byprop("type", self.stream_type, 1, timeout_s)
        return [i for i in found if self._matches(i)]

    def _overrides(self) -> dict[str, str]:
        """--map, else the map saved in the athlete's profile for this stream."""
        from ..profiles import saved_channel_map
        return self.overrides or saved_channel_map(self.athlete, self._key(), self.home)

    def _remember(self, mapping: ChannelMap) -> None:
        if self.overrides and self.athlete:
            from ..profiles import remember_channel_map
            remember_channel_map(self.athlete, self._key(), mapping.roles, self.home)

    def _key(self) -> str:
        return profile_key(self.name, self.stream_type)

    # --- Source ------------------------------------------------------------------------
    def _open(self) -> DeviceInfo:
        from ..lsl_lib import errors, pylsl
        self._lsl = lsl = pylsl()
        self._lost_error, self._timeout_error = errors(lsl)
        found = self._resolve(self.resolve_timeout_s)
        if not found:
            seen = lsl.resolve_streams(min(1.0, self.resolve_timeout_s))
            raise SourceError(f"no {self._wanted()} within {self.resolve_timeout_s:g} s "
                              f"(streams seen: {describe_streams(seen)}); start the amplifier's "
                              "LSL app or check the name with lsl://?type=EMG")
        info = found[0]
        label = f"LSL stream {info.name()!r}"
        if info.channel_format() == lsl.cf_string:
            raise SourceError(f"{label} carries text (markers), not signals; choose the "
                              "amplifier's stream")
        rate = float(info.nominal_srate())
        if not rate > 0:
            raise SourceError(f"{label} has no nominal sampling rate (irregular); the filters "
                              "need a regular stream")
        inlet = self._inlet_for(info)
        try:
            full = inlet.info(max(1.0, self.resolve_timeout_s))
        except self._timeout_error:
            raise SourceError(f"{label} did not send its description within "
                              f"{max(1.0, self.resolve_timeout_s):g} s") from None
        channels = channels_from_xml(full.as_xml(), full.channel_count())
        self.mapping = build_map(channels, self._overrides(), stream=label)
        self._remember(self.mapping)
        inlet.open_stream(max(1.0, self.resolve_timeout_s))
        self._inlet = inlet
        self._rate = rate
        self._timeline = Timeline(rate, GAP_TOLERANCE_S, STALL_S, "the LSL stream")
        return self.mapping.info(rate, f"{label} on {info.hostname()} "
                                       f"({self.mapping.describe()})")

    def _read(self, timeout_s: float) -> list[SampleBlock]:
        assert self._lsl is not None and self.mapping is not None and self._timeline is not None
        now = time.monotonic()
        if self._inlet is None:                  # lost: look for it again by name/type
            if now < self._next_try:
                time.sleep(min(timeout_s, self._next_try - now))
                return []
            self._next_try = now + RETRY_EVERY_S
            found = self._resolve(min(timeout_s, RETRY_EVERY_S))
            if found:
                self._reattach(found[0])
            return []
        try:
            samples, stamps = self._inlet.pull_chunk(timeout=timeout_s, max_samples=4096)
        except self._lost_error:
            self._inlet = None
            self._emit_all(self._timeline.lost(now, "the LSL stream was lost"))
            return []
        if not stamps:
            self._emit_all(self._timeline.idle(now))
            return []
        place = self._timeline.place(float(stamps[0]), float(stamps[-1]), len(stamps),
                                     time.monotonic())
        self._emit_all(place.events)
        if any(e[0] == EventKind.RECONNECTED for e in place.events):
            self.stats.reconnects += 1
        self.stats.disconnected_s += place.lost / self._rate
        return [SampleBlock(place.first_index, self.mapping.apply(np.asarray(samples)),
                            lost_before=place.lost, host_time_s=now)]

    def _emit_all(self, events) -> None:
        for kind, index, detail, duration_s in events:
            self._event(kind, index, detail, duration_s)

    def _inlet_for(self, info):
        """recover=False: a lost stream raises LostError and is looked for again by name or
        type here, the same way whether or not the restarted app kept its source_id."""
        lsl = self._lsl
        return lsl.StreamInlet(info, max_buflen=30, recover=False,
                               processing_flags=lsl.proc_clocksync)

    def _reattach(self, info) -> None:
        inlet = self._inlet_for(info)
        try:
            full = inlet.info(1.0)
        except self._timeout_error:
            return                               # not ready yet: the next try
        labels = channels_from_xml(full.as_xml(), full.channel_count())
        mapping = build_map(labels, self._overrides(), stream=f"LSL stream {info.name()!r}")
        assert self.mapping is not None and self._timeline is not None
        if mapping.channels != self.mapping.channels or float(info.nominal_srate()) != self._rate:
            raise SourceError(f"LSL stream {info.name()!r} came back with other channels or "
                              "another rate; start a new session")
        self.mapping = mapping
        inlet.open_stream(1.0)
        self._inlet = inlet
        self._timeline.reattached = True

    def _end_index(self) -> int:
        return self._timeline.next_index if self._timeline is not None else 0

    def _close(self) -> None:
        inlet, self._inlet = self._inlet, None
        if inlet is not None:
            # closing a dead inlet must not mask the error that ended the stream
            with contextlib.suppress(Exception):
                inlet.close_stream()
