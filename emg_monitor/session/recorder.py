"""Stream a session to disk as it happens.

The recorder is a source ``Listener`` (and an engine listener for reps), so it
sees exactly what the dashboard sees. Acquisition must never wait for the
disk: the acquisition thread only packs rows and queues them; one writer
thread writes, flushes every ``flush_interval_s`` (a kill -9 loses at most
that much) and fsyncs every ``fsync_interval_s`` (a power cut loses at most
that much). A disk error stops the *recording*, is stored and reported, and
leaves what was written readable; acquisition carries on.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import UserError
from ..model import DeviceInfo, RepResult, SampleBlock, SourceEvent
from ..sets import SetEnd, SetRecord, set_to_dict
from .codec import event_to_dict, info_to_dict, rep_to_dict
from .meta import (EVENTS_FILE, FORMAT_NAME, FORMAT_VERSION, REPS_FILE, SAMPLES_FILE,
                   SESSION_FILE, SETS_FILE, SessionMeta, now_iso, sample_dtype)
from .outputs import check_new_session_folder

log = logging.getLogger(__name__)

#: blocks queued while the disk stalls before the recording gives up (about a minute
#: of 20-sample blocks at 1 kHz); memory stays bounded.
MAX_QUEUED = 4000
#: with the queue full, how long a new block waits for room before the recording gives up:
#: a live stream never gets here unless the disk has stalled for a minute, but a source
#: faster than real time (a replay or the simulator at full speed, a benchmark) can fill
#: the queue while the writer thread waits for the interpreter; a short wait lets it catch
#: up instead of throwing the recording away
FULL_WAIT_S = 2.0

StatusCallback = Callable[[str, "BaseException | None"], None]


def write_json_atomic(path: Path, data: dict) -> None:
    """Write-then-rename so a crash leaves either the old or the new file, never half."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, allow_nan=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Recorder:
    """``Recorder(folder, meta)``: a Listener that writes a session folder.

    Also receives ``on_rep`` / ``on_set`` from the engine and ``mark(kind, **fields)``
    from any thread (set_start, set_stop, calibration, note).
    """

    def __init__(self, folder: Path | str, meta: SessionMeta, *,
                 on_status: StatusCallback | None = None,
                 flush_interval_s: float = 0.5, fsync_interval_s: float = 2.0,
                 open_file: Callable = open) -> None:
        self.folder = Path(folder)
        self.meta = meta
        self.info: DeviceInfo | None = None
        self.error: BaseException | None = None
        self.status = "recording"
        self.samples_written = 0
        self.samples_dropped = 0
        self._on_status = on_status
        self._flush_interval_s = flush_interval_s
        self._fsync_interval_s = fsync_interval_s
        self._lock = threading.Lock()
        self._next_index = 0
        self._dtype: np.dtype | None = None
        self._queue: "queue.Queue[tuple]" = queue.Queue(MAX_QUEUED)
        self._failed = False
        self._closed = False
        check_new_session_folder(self.folder)    # never append to or mix with another session
        self._files = {}
        self._reps_written: set[int] = set()        # session_rep numbers already on disk
        self._sets_seen: set[int] = set()
        self._sets_ended: set[int] = set()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # exclusive creation: a second recorder racing for the same folder fails here
            for key, name in (("samples", SAMPLES_FILE), ("events", EVENTS_FILE),
                              ("reps", REPS_FILE), ("sets", SETS_FILE)):
                self._files[key] = open_file(self.folder / name, "xb")
            self._write_session_json(closed=False)
        except FileExistsError as exc:
            self._close_files(quiet=True)
            raise UserError(f"{self.folder} already holds a session's files; choose a new "
                            "folder") from exc
        except OSError as exc:
            self._close_files(quiet=True)
            raise UserError(f"cannot write the session to {self.folder}: "
                            f"{exc.strerror or exc}; choose a writable folder") from exc
        self._writer = threading.Thread(target=self._write_loop, name="Recorder-writer",
                                        daemon=True)
        self._writer.start()

    # --- Listener (acquisition thread) -----------------------------------------
    def on_info(self, info: DeviceInfo) -> None:
        with self._lock:
            if self.info is not None and self.info.channels != info.channels:
                self._fail(UserError("the channel layout changed mid-session; "
                                     "recording stopped (start a new session)"))
                return
            self.info = info
            if self._dtype is None:
                self._dtype = sample_dtype(len(info.channels))
        self._put(("info",))

    def on_block(self, block: SampleBlock) -> None:
        if self._failed or self._closed or self._dtype is None:
            self.samples_dropped += block.n
            return
        rows = np.empty(block.n, dtype=self._dtype)
        rows["index"] = block.first_index + np.arange(block.n)
        rows["data"] = block.data
        with self._lock:
            self._next_index = block.first_index + block.n
        self._put(("samples", rows.tobytes(), block.n))

    def on_event(self, event: SourceEvent) -> None:
        self._put_line("events", event_to_dict(event, self._rate()))

    def on_error(self, exc: BaseException) -> None:
        self._log_error(f"{type(exc).__name__}: {exc}")

    def on_listener_failed(self, failure) -> None:
        """Another consumer (engine, LSL outlet) failed and was detached: the session says
        so, so a physiotherapist knows why reps stop while the samples go on."""
        self._log_error(str(failure))

    def _log_error(self, detail: str) -> None:
        with self._lock:
            index = self._next_index
        self._put_line("events", {"type": "error", "sample_index": index,
                                  "t_s": self._t(index), "detail": detail})

    def on_stop(self) -> None:
        self._put(("sync",))

    # --- engine listener ---------------------------------------------------------
    def on_rep(self, rep: RepResult) -> None:
        if rep.session_rep and rep.session_rep in self._reps_written:
            return                                   # the same rep again (a replayed stretch)
        self._reps_written.add(rep.session_rep)
        self._put_line("reps", rep_to_dict(rep))

    def on_set(self, record: SetRecord) -> None:
        """Set records go to ``sets.jsonl`` when they close (the readers' source of truth); a
        ``set_start`` / ``set_stop`` mark keeps each boundary in the event log, ``manual``
        when the space bar / button made it (a replay repeats only those)."""
        rate = self._rate() or 1.0
        if record.set_index not in self._sets_seen and (record.reps or record.manual):
            self._sets_seen.add(record.set_index)
            self.mark("set_start", at_index=int(round(record.t_start_s * rate)),
                      set_index=record.set_index, manual=record.manual)
        if record.closed:
            if record.set_index in self._sets_seen and record.set_index not in self._sets_ended:
                self._sets_ended.add(record.set_index)
                self.mark("set_stop", at_index=int(round(record.t_end_s * rate)),
                          set_index=record.set_index, reason=record.end_reason.value,
                          manual=record.end_reason in (SetEnd.MANUAL, SetEnd.NEW_SET))
            if record.reps:
                self._put_line("sets", set_to_dict(record))

    def on_processed(self, chunk) -> None: ...
    def on_quality(self, issues: dict) -> None: ...

    # --- any thread ------------------------------------------------------------
    def mark(self, kind: str, at_index: int | None = None, **fields) -> None:
        """A marker at the current stream position, or at ``at_index`` (set start/stop,
        calibration, note)."""
        with self._lock:
            index = self._next_index if at_index is None else int(at_index)
        line = {"type": "mark", "kind": kind, "sample_index": index, "t_s": self._t(index),
                "wall_time": now_iso()}
        line.update(fields)
        self._put_line("events", line)

    def close(self, timeout_s: float = 10.0) -> None:
        """Flush, fsync and mark the session closed. Idempotent; never raises on disk errors."""
        if self._closed:
            return
        self._closed = True
        try:
            self._queue.put(("close",), timeout=timeout_s)
        except queue.Full:
            self._fail(OSError("the disk did not keep up; the last samples were not written"))
        self._writer.join(timeout_s)

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- internals -----------------------------------------------------------
    def _rate(self) -> float | None:
        return self.info.sample_rate_hz if self.info else None

    def _t(self, index: int) -> float | None:
        rate = self._rate()
        return index / rate if rate else None

    def _put_line(self, key: str, obj: dict) -> None:
        self._put(("line", key, (json.dumps(obj, allow_nan=False) + "\n").encode("utf-8")))

    def _put(self, item: tuple) -> None:
        if self._failed or (self._closed and item[0] != "close"):
            return
        try:
            self._queue.put(item, timeout=FULL_WAIT_S)
        except queue.Full:
            self._fail(OSError("the disk did not keep up; recording stopped"))

    def _fail(self, exc: BaseException) -> None:
        if self._failed:
            return
        self._failed = True
        self.error = exc
        self.status = f"failed: {exc}"
        log.error("recording to %s stopped: %s", self.folder, exc)
        if self._on_status is not None:
            try:
                self._on_status(self.status, exc)
            except Exception:  # a broken status consumer must not take the writer down
                log.exception("recorder status callback failed")

    def _write_session_json(self, closed: bool) -> None:
        data = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "meta": self.meta.to_dict(),
            "device": info_to_dict(self.info) if self.info else None,
            "samples": {"file": SAMPLES_FILE,
                        "row": ["index:<i8", f"data:<f4[{len(self.info.channels)}]"
                                if self.info else "data:<f4[n_channels]"],
                        "columns": list(self.info.names) if self.info else []},
            "events": EVENTS_FILE,
            "reps": REPS_FILE,
            "sets": SETS_FILE,
            "closed": closed,
        }
        if closed:
            data["ended"] = now_iso()
            data["samples_written"] = self.samples_written
            data["samples_dropped"] = self.samples_dropped
            data["error"] = str(self.error) if self.error else None
        write_json_atomic(self.folder / SESSION_FILE, data)

    def _write_loop(self) -> None:
        last_flush = last_sync = time.monotonic()
        dirty = False
        while True:
            try:
                item = self._queue.get(timeout=self._flush_interval_s / 2)
            except queue.Empty:
                item = None
            if self._failed:
                if item is not None and item[0] == "close":
                    break
                continue
            try:
                if item is not None:
                    kind = item[0]
                    if kind == "samples":
                        self._files["samples"].write(item[1])
                        self.samples_written += item[2]
                        dirty = True
                    elif kind == "line":
                        self._files[item[1]].write(item[2])
                        dirty = True
                    elif kind == "info":
                        self._write_session_json(closed=False)
                    elif kind == "sync":
                        self._sync()
                        last_flush = last_sync = time.monotonic()
                        dirty = False
                    elif kind == "close":
                        self._sync()
                        self._close_files()
                        self._write_session_json(closed=True)
                        self.status = "closed"
                        break
                now = time.monotonic()
                if dirty and now - last_flush >= self._flush_interval_s:
                    for f in self._files.values():
                        f.flush()
                    last_flush = now
                    if now - last_sync >= self._fsync_interval_s:
                        self._sync()
                        last_sync = now
                    dirty = False
            except OSError as exc:
                self._fail(exc)
                self._close_files(quiet=True)
        if self._failed:
            self._close_files(quiet=True)

    def _sync(self) -> None:
        for f in self._files.values():
            f.flush()
            os.fsync(f.fileno())

    def _close_files(self, quiet: bool = False) -> None:
        for f in self._files.values():
            try:
                f.close()
            except OSError:
                if not quiet:
                    raise
