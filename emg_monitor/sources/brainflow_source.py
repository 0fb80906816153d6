"""Any BrainFlow board as a source: ``brainflow://BOARD?serial_port=...``.

BOARD is a BrainFlow board name (``cyton``, ``ganglion``, ``cyton_daisy``,
``synthetic``, ``playback_file``, ...: ``BoardIds`` without ``_BOARD``) or its
number. The EMG channels and the sampling rate come from BrainFlow's board
descriptor, never from us; BrainFlow delivers them in µV. The board's EMG
channels are labelled ``EMG1``..``EMGn`` and, without ``--map``, the first four
take our board's pin order (left glute, left erector, right glute, right
erector): wire them like A0-A3 (docs/sources.md), or map them. Accelerometer
axes (``ACC1``..) are only used when mapped, since the board is rarely on the trunk.

Samples are placed by BrainFlow's timestamps (``timeline.Timeline``), so a
board that stops sending and resumes leaves a recorded gap. The playback-file
board (``brainflow://playback_file?file=REC.csv&master_board=cyton``) plays a
file written by BrainFlow's ``DataFilter.write_file`` on the recording's own
timestamps (gaps included) and is finite: it ends after the file's rows with
an END event.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..channel_map import ChannelMap, StreamChannel, build_map
from ..errors import UserError
from ..model import EMG_PIN_ROLES, DeviceInfo, EventKind, SampleBlock
from .base import BLOCK_S, Source, SourceError
from .registry import SourceContext, SourceSpec, register
from .timeline import Timeline

#: BrainFlowInputParams fields a URL may set
INPUT_PARAMS = ("serial_port", "mac_address", "ip_address", "ip_address_aux", "ip_address_anc",
                "ip_port", "ip_port_aux", "ip_port_anc", "ip_protocol", "other_info",
                "serial_number", "file", "file_aux", "file_anc", "master_board", "timeout")
_INT_PARAMS = ("ip_port", "ip_port_aux", "ip_port_anc", "ip_protocol", "timeout")
STALL_S = 1.5
#: BLE boards deliver bursts: jitter below this is not a gap
GAP_TOLERANCE_S = 0.25
RING_BUFFER_S = 60


def _bf():
    try:
        from brainflow import board_shim
    except ImportError as exc:
        raise UserError("BrainFlow boards need brainflow: pip install 'emg-monitor[brainflow]'"
                        ) from exc
    board_shim.BoardShim.disable_board_logger()     # its log lines would break the one-line errors
    return board_shim


def board_names(bf) -> dict[str, int]:
    """"cyton" -> 0, "synthetic" -> -1, ... from BrainFlow's own BoardIds."""
    return {b.name.lower().removesuffix("_board"): int(b.value) for b in bf.BoardIds}


def board_id(bf, text: str) -> int:
    names = board_names(bf)
    key = text.strip().lower().removesuffix("_board")
    if key in names:
        return names[key]
    try:
        value = int(key)
    except ValueError:
        value = None
    if value is not None and value in names.values():
        return value
    raise UserError(f"unknown BrainFlow board {text!r}; EMG boards: "
                    f"{', '.join(emg_boards(bf))} (or synthetic, playback_file)")


def emg_channels(bf, board: int) -> list[int]:
    try:
        return list(bf.BoardShim.get_emg_channels(board))
    except bf.BrainFlowError:
        return []


def emg_boards(bf) -> list[str]:
    return [n for n, v in board_names(bf).items() if emg_channels(bf, v)]


@register("brainflow", "a BrainFlow board: brainflow://cyton?serial_port=/dev/ttyUSB0, "
                       "brainflow://synthetic")
class BrainFlowSource(Source):
    def __init__(self, board: str, params: dict[str, str | int] | None = None,
                 overrides: dict[str, str] | None = None, athlete: str = "",
                 home: str | None = None) -> None:
        super().__init__()
        self._bf = _bf()
        self.board_id = board_id(self._bf, board)
        self.params = dict(params or {})
        self.overrides = dict(overrides or {})
        self.athlete = athlete
        self.home = home
        self.playback = self.board_id == int(self._bf.BoardIds.PLAYBACK_FILE_BOARD.value)
        self.descriptor_board = self.board_id
        if self.playback:
            if "file" not in self.params or "master_board" not in self.params:
                raise UserError("brainflow://playback_file needs file=REC.csv and "
                                "master_board=BOARD (the board that recorded it)")
            self.descriptor_board = board_id(self._bf, str(self.params["master_board"]))
            self.params["master_board"] = self.descriptor_board
        self.mapping: ChannelMap | None = None
        self._shim = None
        self._rate = 0.0
        self._emg_rows: list[int] = []
        self._timeline: Timeline | None = None
        self._total: int | None = None           # playback: rows in the file
        self._delivered = 0

    @classmethod
    def from_spec(cls, spec: SourceSpec, ctx: SourceContext) -> BrainFlowSource:
        if not spec.target:
            raise UserError("brainflow:// needs a board: brainflow://cyton?serial_port=..., "
                            "brainflow://synthetic")
        from ..commands.options import Number
        ints = {"ip_protocol": Number("IP protocol", 0, 10, integer=True),
                "timeout": Number("timeout", 0, 600, integer=True, unit="s")}
        port = Number("port", 0, 65535, integer=True)
        params = {}
        for name in INPUT_PARAMS:
            value = spec.take(name, ints.get(name, port) if name in _INT_PARAMS else str)
            if value is not None:
                params[name] = value
        spec.done(INPUT_PARAMS)
        return cls(spec.target, params, ctx.channel_map, ctx.athlete, ctx.home)

    def _channels(self, bf) -> tuple[list[StreamChannel], list[int]]:
        """Labels and data rows: EMG1..n from the descriptor, then ACC1..3."""
        emg = emg_channels(bf, self.descriptor_board)
        if not emg:
            raise SourceError(f"BrainFlow board {self._name()} has no EMG channels in its "
                              f"descriptor; EMG boards: {', '.join(emg_boards(bf))}")
        try:
            accel = list(bf.BoardShim.get_accel_channels(self.descriptor_board))
        except bf.BrainFlowError:
            accel = []
        labels = [StreamChannel(f"EMG{k}", "uV") for k in range(1, len(emg) + 1)]
        labels += [StreamChannel(f"ACC{k}", "g") for k in range(1, len(accel) + 1)]
        return labels, emg + accel

    def _name(self) -> str:
        names = {v: n for n, v in board_names(self._bf).items()}
        return names.get(self.board_id, str(self.board_id))

    def _roles(self, labels: list[StreamChannel]) -> dict[str, str]:
        """--map, else the athlete's saved map, else channels 1-4 in our board's pin order."""
        from ..profiles import saved_channel_map
        saved = self.overrides or saved_channel_map(self.athlete, self._key(), self.home)
        if saved:
            return saved
        emg = [c.label for c in labels if c.label.startswith("EMG")]
        roles = {label: name for label, (name, _, _) in zip(emg, EMG_PIN_ROLES)}
        roles.update({label: "ignore" for label in emg[len(EMG_PIN_ROLES):]})
        roles.update({c.label: "ignore" for c in labels if c.label.startswith("ACC")})
        return roles

    def _key(self) -> str:
        return f"brainflow:{self._name()}"

    # --- Source ------------------------------------------------------------------------
    def _open(self) -> DeviceInfo:
        bf = self._bf
        if self.playback and not Path(str(self.params["file"])).is_file():
            raise SourceError(f"the playback file {self.params['file']} does not exist")
        labels, rows = self._channels(bf)
        self.mapping = build_map(labels, self._roles(labels), stream=f"board {self._name()}")
        if self.overrides and self.athlete:
            from ..profiles import remember_channel_map
            remember_channel_map(self.athlete, self._key(), self.mapping.roles, self.home)
        self._rate = float(bf.BoardShim.get_sampling_rate(self.descriptor_board))
        self._stamp_row = bf.BoardShim.get_timestamp_channel(self.descriptor_board)
        self._rows = rows
        params = bf.BrainFlowInputParams()
        for k, v in self.params.items():
            setattr(params, k, v)
        shim = bf.BoardShim(self.board_id, params)
        try:
            shim.prepare_session()
            if self.playback:
                shim.config_board("old_timestamps")      # the recording's own timeline, gaps kept
                self._total = self._file_rows(bf)
            shim.start_stream(int(RING_BUFFER_S * self._rate))
        except bf.BrainFlowError as exc:
            try:
                shim.release_session()
            except bf.BrainFlowError:
                pass
            raise SourceError(f"BrainFlow could not start board {self._name()} "
                              f"({exc}); check serial_port/mac_address/ip and that the board "
                              "is on") from None
        self._shim = shim
        self._timeline = Timeline(self._rate, GAP_TOLERANCE_S, STALL_S, f"board {self._name()}")
        self._delivered = 0
        where = next((f"{k}={v}" for k, v in self.params.items()
                      if k in ("serial_port", "mac_address", "ip_address", "file")), "")
        return self.mapping.info(self._rate, f"BrainFlow {self._name()}"
                                             f"{' ' + where if where else ''} "
                                             f"({self.mapping.describe()})")

    def _file_rows(self, bf) -> int:
        from brainflow.data_filter import DataFilter
        try:
            return int(DataFilter.read_file(str(self.params["file"])).shape[1])
        except bf.BrainFlowError as exc:
            raise SourceError(f"cannot read the playback file {self.params['file']} ({exc})"
                              ) from None

    def _read(self, timeout_s: float) -> list[SampleBlock]:
        assert self._shim is not None and self._timeline is not None
        if self._total is not None and self._delivered >= self._total:
            raise StopIteration
        if self._shim.get_board_data_count() < max(1, int(self._rate * BLOCK_S)):
            time.sleep(min(timeout_s, BLOCK_S))      # let a block's worth arrive
        data = self._shim.get_board_data()
        now = time.monotonic()
        if data.shape[1] == 0:
            for kind, index, detail, duration_s in self._timeline.idle(now):
                self._event(kind, index, detail, duration_s)
            return []
        if self._total is not None:
            data = data[:, :self._total - self._delivered]
        self._delivered += data.shape[1]
        stamps = data[self._stamp_row]
        place = self._timeline.place(float(stamps[0]), float(stamps[-1]), data.shape[1], now)
        for kind, index, detail, duration_s in place.events:
            if kind == EventKind.RECONNECTED:
                self.stats.reconnects += 1
            self._event(kind, index, detail, duration_s)
        self.stats.disconnected_s += place.lost / self._rate
        samples = np.ascontiguousarray(data[self._rows].T)
        return [SampleBlock(place.first_index, self.mapping.apply(samples),
                            lost_before=place.lost, host_time_s=now)]

    def _end_index(self) -> int:
        return self._timeline.next_index if self._timeline is not None else 0

    def _close(self) -> None:
        shim, self._shim = self._shim, None
        if shim is None:
            return
        bf = self._bf
        for step in (shim.stop_stream, shim.release_session):
            try:
                step()
            except bf.BrainFlowError:
                pass
