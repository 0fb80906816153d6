"""The emulated board on a pseudo-terminal (POSIX only), paced at real time.

Any serial program (``emg-monitor monitor --port /dev/pts/N``, a terminal,
the real ``SerialSource``) can open the printed device path. Closing the board
(``close()``) hangs the pty up, which a reader sees exactly like an unplugged
USB adapter (pyserial raises ``SerialException``).

A pty has no DTR line, so opening it does not reset the emulated board: the host
finds it by sending INFO, as it does with a board that was not reset.
"""
from __future__ import annotations

import os
import select
import threading
import time

from .device import DeviceEmulator

#: bytes kept for a host that is not reading; beyond it, output is dropped
#: (a USB-serial bridge drops too when nobody reads)
MAX_PENDING = 64 * 1024
TICK_S = 0.005


def check_supported() -> None:
    if os.name != "posix":
        from ..errors import UserError
        raise UserError("simulate --pty needs a POSIX system (Linux, macOS); on Windows use "
                        "emg-monitor monitor --simulate or the dashboard's simulated source")


class PtyBoard:
    """Runs a :class:`DeviceEmulator` behind a pty on its own thread."""

    def __init__(self, emulator: DeviceEmulator, speed: float = 1.0) -> None:
        check_supported()
        import tty
        self.emulator = emulator
        self.speed = float(speed)
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._pending = bytearray(emulator.reset())
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._reset_request = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.bytes_written = 0
        self.bytes_dropped = 0
        self.samples_produced = 0
        self.commands_bytes = 0

    def start(self) -> "PtyBoard":
        self._thread = threading.Thread(target=self._run, name="PtyBoard", daemon=True)
        self._thread.start()
        return self

    def pause(self) -> None:
        """Stop producing samples (commands are still answered)."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def reset(self) -> None:
        """Reset the board (brown-out, watchdog): it says HELLO and stops streaming."""
        self._reset_request.set()

    @property
    def idle(self) -> bool:
        """Nothing left to write to the host."""
        return not self._pending

    def close(self) -> None:
        """Stop and hang up the pty (the 'unplug')."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> "PtyBoard":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # noqa: BLE001 - stored for the caller
            self.error = exc

    def _loop(self) -> None:
        emu = self.emulator
        t0 = 0.0
        produced = 0
        was_streaming = False
        while not self._stop.is_set():
            readable, _, _ = select.select([self._master], [], [], TICK_S)
            if readable:
                try:
                    data = os.read(self._master, 4096)
                except (BlockingIOError, InterruptedError):
                    data = b""
                except OSError:      # EIO: no host has the slave open (we keep ours, so rare)
                    data = b""
                if data:
                    self.commands_bytes += len(data)
                    self._pending += emu.feed_host(data)
            if self._reset_request.is_set():
                self._reset_request.clear()
                self._pending += emu.reset()
            now = time.monotonic()
            if emu.streaming and not self._paused.is_set():
                if not was_streaming:
                    t0, produced, was_streaming = now, 0, True
                due = int((now - t0) * emu.sample_rate_hz * self.speed) - produced
                if due > 0:
                    self._pending += emu.produce(due)
                    produced += due
                    self.samples_produced += due
            else:
                was_streaming = False
            self._flush()

    def _flush(self) -> None:
        if len(self._pending) > MAX_PENDING:
            extra = len(self._pending) - MAX_PENDING
            del self._pending[:extra]
            self.bytes_dropped += extra
        while self._pending:
            try:
                n = os.write(self._master, self._pending[:4096])
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self.bytes_written += n
            del self._pending[:n]


def describe(path: str, link: str | None = None) -> str:
    where = f"{link} -> {path}" if link else path
    path = link or path
    return (f"emulated board on {where}\n"
            f"  try: emg-monitor monitor --port {path}\n"
            f"  (Ctrl-C stops it; baud rate is irrelevant on a pty)")

