"""Optional Lab Streaming Layer outlets: envelopes and rep markers for other lab software.

OFF unless the user turns it on: an LSL outlet announces itself to every
machine on the local network (multicast discovery), and these are health
data. Nothing is sent anywhere by default. Needs the ``lsl`` extra
(``pip install 'emg-monitor[lsl]'``; the pylsl wheel ships liblsl).

Envelope samples carry LSL timestamps derived from the stream's sample index
(``t0 + index / rate``), not from arrival time, so a USB burst does not
compress the timeline in the receiving software.
"""
from __future__ import annotations

import json

from .codec import rep_to_dict


def _pylsl():
    from ..lsl_lib import pylsl
    return pylsl()


class LslOutlet:
    """An engine listener: ``on_processed`` -> envelope stream, ``on_rep`` -> marker stream.

    Streams are created on the first processed chunk, once names, units and the
    rate are known (they travel with the data).
    """

    def __init__(self, name: str = "emg-monitor", source_id: str = "emg-monitor") -> None:
        self._lsl = _pylsl()
        self.name = name
        self.source_id = source_id
        self.envelope_outlet = None
        self._t0 = None
        self._names: tuple[str, ...] = ()
        info = self._lsl.StreamInfo(f"{name}-reps", "Markers", 1, self._lsl.IRREGULAR_RATE,
                                    "string", f"{source_id}-reps")
        self.marker_outlet = self._lsl.StreamOutlet(info)

    def _make_envelope_outlet(self, chunk) -> None:
        lsl = self._lsl
        info = lsl.StreamInfo(f"{self.name}-envelopes", "EMG", len(chunk.emg_names),
                              chunk.sample_rate_hz, "float32", f"{self.source_id}-env")
        chans = info.desc().append_child("channels")
        unit = "percent_mvc" if chunk.envelope_unit == "pct_mvc" else chunk.envelope_unit
        for n in chunk.emg_names:
            ch = chans.append_child("channel")
            ch.append_child_value("label", n)
            ch.append_child_value("unit", unit)
            ch.append_child_value("type", "EMG envelope (RMS)")
        self.envelope_outlet = lsl.StreamOutlet(info)
        self._names = chunk.emg_names
        self._t0 = lsl.local_clock() - chunk.first_index / chunk.sample_rate_hz

    # --- engine listener -------------------------------------------------------
    def on_processed(self, chunk) -> None:
        if self.envelope_outlet is None or chunk.emg_names != self._names:
            self._make_envelope_outlet(chunk)
        n = chunk.envelope.shape[0]
        if n == 0:
            return
        last_index = chunk.first_index + n - 1
        assert self.envelope_outlet is not None          # made above
        self.envelope_outlet.push_chunk(chunk.envelope.astype("float32").tolist(),
                                        self._t0 + last_index / chunk.sample_rate_hz)

    def on_rep(self, rep) -> None:
        stamp = self._t0 + rep.t_top_s if self._t0 is not None else self._lsl.local_clock()
        self.marker_outlet.push_sample([json.dumps(rep_to_dict(rep))], stamp)

    def on_quality(self, issues) -> None: ...
    def on_set(self, record) -> None:
        self.marker_outlet.push_sample([json.dumps({"set_index": record.set_index,
                                                    "active": not record.closed,
                                                    "reps": record.count})])

    def close(self) -> None:
        self.envelope_outlet = None
        self.marker_outlet = None
