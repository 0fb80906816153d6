"""The board on a serial port: auto-detection, clear errors, reconnection after an unplug.

pyserial is the transport only; the handshake and decoding live in ``board.py``.
On an unplug pyserial raises ``SerialException`` (or a bare ``OSError`` from
``in_waiting``); the source then reports DISCONNECTED, keeps trying to reopen
the same port (or, when auto-detected, any board), handshakes again and reports
RECONNECTED and a GAP whose duration is the time away. The sample index jumps by
that duration x rate so times stay true.
"""
from __future__ import annotations

import errno
import os
import sys
import time
from dataclasses import dataclass, replace

import serial
from serial.tools import list_ports

from ..model import DeviceConfig, DeviceInfo, EventKind, SampleBlock, SourceStats
from .base import BLOCK_S, Source, SourceError
from ..device import info_from_hello
from .board import BoardLink, copy_link_stats

#: USB vendor ids of Arduino boards and the usual USB-serial bridges on clones
BOARD_VIDS: dict[int, str] = {
    0x2341: "Arduino",
    0x2A03: "Arduino (arduino.org)",
    0x1A86: "CH340 USB-serial (clone)",
    0x0403: "FTDI USB-serial",
    0x10C4: "CP210x USB-serial",
}
READ_TIMEOUT_S = 0.05
RETRY_EVERY_S = 0.5


@dataclass(frozen=True)
class PortInfo:
    device: str
    description: str
    vid: int | None
    pid: int | None
    likely_board: bool
    why: str = ""


def find_ports() -> list[PortInfo]:
    """Serial ports, the likely boards first."""
    out = []
    for p in list_ports.comports():
        vid = getattr(p, "vid", None)
        maker = BOARD_VIDS.get(vid) if vid is not None else None
        desc = (p.description or "").strip()
        likely = maker is not None or "arduino" in desc.lower()
        out.append(PortInfo(p.device, desc, vid, getattr(p, "pid", None), likely,
                            maker or ("Arduino in description" if likely else "")))
    out.sort(key=lambda p: (not p.likely_board, p.device))
    return out


def _permission_hint() -> str:
    if sys.platform.startswith("linux"):
        return ("add your user to the dialout group (sudo usermod -aG dialout $USER), "
                "then log out and in")
    return "check that your user may open serial ports"


def open_port(port: str) -> serial.Serial:
    """Open a port for the board or raise SourceError with what to do."""
    kwargs = {"exclusive": True} if os.name == "posix" else {}
    try:
        return serial.Serial(port, baudrate=1_000_000, timeout=READ_TIMEOUT_S,
                             write_timeout=1.0, **kwargs)
    except serial.SerialException as exc:
        code = getattr(exc, "errno", None)
        text = str(exc)
        if code == errno.ENOENT or "FileNotFoundError" in text or "cannot find" in text.lower():
            raise SourceError(f"serial port {port} not found; plug the board in or check "
                              "the name (emg-monitor ports lists them)") from None
        if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK) or "lock" in text.lower() \
                or (os.name == "nt" and code == errno.EACCES) or "Access is denied" in text:
            raise SourceError(f"serial port {port} is busy; close the other program using it "
                              "(Arduino IDE serial monitor, another emg-monitor)") from None
        if code == errno.EACCES or code == errno.EPERM:
            raise SourceError(f"permission denied on {port}; {_permission_hint()}") from None
        raise SourceError(f"cannot open serial port {port}: {text}") from None


class SerialSource(Source):
    def __init__(self, port: str | None = None, config: DeviceConfig = DeviceConfig(),
                 hello_timeout_s: float = 3.0, reconnect: bool = True) -> None:
        super().__init__()
        self.port = port
        self.config = config
        self.hello_timeout_s = float(hello_timeout_s)
        self.reconnect = bool(reconnect)
        self._serial: serial.Serial | None = None
        self._link: BoardLink | None = None
        self._lost_at: float | None = None
        self._next_try = 0.0
        self._stats_base = SourceStats()       # counters of the links before a reconnection
        self.connected_port: str | None = None
        self._last_read = 0.0

    # --- connecting ------------------------------------------------------------
    def _connect(self, port: str, first_index: int) -> BoardLink:
        ser = open_port(port)
        link = BoardLink(ser, first_index=first_index, name=f"serial port {port}")
        try:
            link.handshake(self.config, self.hello_timeout_s)
        except BaseException:
            ser.close()
            raise
        self._serial, self._link, self.connected_port = ser, link, port
        return link

    def _candidates(self) -> list[str]:
        if self.port:
            return [self.port]
        return [p.device for p in find_ports() if p.likely_board]

    def _open(self) -> DeviceInfo:
        ports = self._candidates()
        if not ports:
            raise SourceError("no board found; plug the Arduino in (USB) or pass --port PORT "
                              "(emg-monitor ports lists serial ports)")
        first_error: SourceError | None = None
        for port in ports:
            try:
                link = self._connect(port, 0)
                break
            except SourceError as exc:
                first_error = first_error or exc
        else:
            assert first_error is not None
            raise first_error
        assert link.hello is not None                 # the handshake above succeeded
        return info_from_hello(link.hello, self.config, f"serial {self.connected_port}")

    def _close(self) -> None:
        if self._link is not None:
            self._link.stop_streaming()
        self._drop_port()

    def _drop_port(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._serial = None

    # --- reading ---------------------------------------------------------------
    def _read(self, timeout_s: float) -> list[SampleBlock]:
        if self._lost_at is not None:
            return self._try_reconnect()
        assert self._link is not None
        # the port hands on each USB packet as it lands: wait for a block's worth (BLOCK_S)
        wait_s = self._last_read + BLOCK_S - time.monotonic()
        if wait_s > 0:
            time.sleep(min(wait_s, timeout_s))
        self._last_read = time.monotonic()
        try:
            blocks = self._link.read_blocks()
        except (serial.SerialException, OSError) as exc:
            self._on_unplug(exc)
            return []
        self._copy_stats()
        for ev in self._link.take_imu_events():
            self._event(EventKind.INFO, ev.sample_index, ev.message)
        if self._link.reset_seen:
            self._restart_after_reset()
        return blocks

    def _restart_after_reset(self) -> None:
        """The board restarted (brown-out, watchdog) and stopped streaming: configure it
        again; the samples missed meanwhile are counted so times stay true."""
        link = self._link
        assert link is not None
        t_reset = time.monotonic()
        index = link.next_index
        try:
            link.handshake(self.config, self.hello_timeout_s)
        except (serial.SerialException, OSError) as exc:
            self._on_unplug(exc)
            return
        away_s = time.monotonic() - t_reset
        link.skip(int(round(away_s * link.hello.sample_rate_hz)))
        self._event(EventKind.GAP, index, "board reset", away_s)

    def _on_unplug(self, exc: BaseException) -> None:
        assert self._link is not None
        self._copy_stats()
        self._stats_base = replace(self.stats)
        self._drop_port()
        self._lost_at = time.monotonic()
        self._next_try = self._lost_at + RETRY_EVERY_S
        self._event(EventKind.DISCONNECTED, self._link.next_index,
                         f"{self.connected_port}: {exc}")
        if not self.reconnect:
            raise SourceError(f"the board on {self.connected_port} was disconnected") from exc

    def _try_reconnect(self) -> list[SampleBlock]:
        now = time.monotonic()
        if now < self._next_try:
            time.sleep(min(READ_TIMEOUT_S, self._next_try - now))
            return []
        self._next_try = now + RETRY_EVERY_S
        old = self._link
        assert old is not None and self._lost_at is not None
        for port in self._candidates():
            try:
                link = self._connect(port, old.next_index)
            except SourceError:
                continue
            # time away, to the moment streaming resumed
            away_s = time.monotonic() - self._lost_at
            rate = float(link.hello.sample_rate_hz)
            missed = int(round(away_s * rate))
            link.next_index = old.next_index
            link.skip(missed)
            self._lost_at = None
            self.stats.reconnects += 1
            self.stats.disconnected_s += away_s
            assert link.hello is not None             # reconnected: handshaken again
            info = info_from_hello(link.hello, self.config, f"serial {port}")
            if info != self.info:
                self._set_info(info)
            self._event(EventKind.RECONNECTED, old.next_index, port)
            self._event(EventKind.GAP, old.next_index, "disconnected", away_s)
            return []
        return []

    def _copy_stats(self) -> None:
        if self._link is not None:
            copy_link_stats(self.stats, self._link, self._stats_base)

    def _end_index(self) -> int:
        return self._link.next_index if self._link is not None else 0
