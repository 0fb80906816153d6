"""Read a session folder back: one validating reader for every file of a session.

Files on disk get damaged: a kill -9 or a full disk cuts the last row or line,
a bad sector or a hand edit puts garbage in the middle. Every file goes through
a validator that keeps what is valid and reports what it skipped
(``Session.problems``, one line per file), so a damaged session still opens with
everything that can be trusted, and a damaged session never breaks another.

Samples are *streamed*, never loaded whole unless asked: :meth:`Session.iter_samples`
yields bounded chunks (``CHUNK_ROWS`` rows, ~3 MB for 6 channels), so exports and
reports of a two-hour session stay in bounded memory::

    session = load_session(folder)          # reads session.json, events, reps; scans samples
    for chunk in session.iter_samples():    # SampleChunk(index (k,) int64, data (k, n_ch) float64)
        ...

``Session.data`` / ``Session.sample_index`` still load everything at once, for short
recordings (tests, replay of a set).

samples.bin rows are accepted only while their stream index continues: +1, or a
gap (<= ``MAX_GAP_S``) confirmed by the next row continuing from it. Anything else
(random bytes, a wild index that would ask for GiB, a shifted row) is skipped and
the reader resynchronises on the next byte offset where two rows continue each
other. session.json may only name files inside the session folder.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..errors import UserError
from ..model import DeviceInfo, RepResult, SourceEvent
from ..sets import SetRecord, records_from_reps
from .codec import RecordError, event_from_dict, info_from_dict, mark_from_dict, rep_from_dict
from .meta import (EVENTS_FILE, FORMAT_NAME, FORMAT_VERSION, REPS_FILE, SAMPLES_FILE,
                   SESSION_FILE, SETS_FILE, SessionMeta, sample_dtype)

#: rows per chunk of ``iter_samples`` (64 Ki rows: 2 MiB on disk, 3 MiB as float64 for 6 channels)
CHUNK_ROWS = 1 << 16
#: the longest believable gap in a recording (an unplugged board left for a day)
MAX_GAP_S = 24 * 3600.0
#: the largest believable first index (a recorder attached to a stream running for years)
MAX_FIRST_INDEX = 1 << 40
#: a JSON line longer than this is not a record (a runaway write): skipped without reading it whole
MAX_LINE_BYTES = 1 << 20
#: session.json is small; a huge one is not ours
MAX_HEADER_BYTES = 16 << 20
#: examples kept per file in ``Session.problems`` (the count is always exact)
MAX_EXAMPLES = 5
#: sample values beyond this (in any channel unit: uV, mV, g, deg) are not physical
PLAUSIBLE_ABS_MAX = 1e7


@dataclass(frozen=True)
class SampleChunk:
    index: np.ndarray                # (k,) int64 stream index of each row (gaps skip numbers)
    data: np.ndarray                 # (k, n_channels) float64, channel units


class Problems:
    """What a reader skipped or read as missing, per file: an exact count and a few examples."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._examples: dict[str, list[str]] = {}

    def add(self, where: str, message: str) -> None:
        self._counts[where] = self._counts.get(where, 0) + 1
        ex = self._examples.setdefault(where, [])
        if len(ex) < MAX_EXAMPLES:
            ex.append(message)

    def count(self, where: str | None = None) -> int:
        return sum(self._counts.values()) if where is None else self._counts.get(where, 0)

    def lines(self) -> list[str]:
        out = []
        for where, n in self._counts.items():
            ex = "; ".join(self._examples[where])
            more = f"; and {n - len(self._examples[where])} more" if n > MAX_EXAMPLES else ""
            out.append(f"{where}: {n} problem{'s' if n != 1 else ''} ({ex}{more})")
        return out


def _session_file(folder: Path, name, default: str, problems: Problems, what: str
                  ) -> Path | None:
    """The path of one of the session's files. session.json may only name a plain file
    inside the folder (never /etc/passwd, /dev/zero, ../other): anything else is reported
    and the standard name is used. None when the file is absent or not a regular file."""
    if name is None:
        name = default
    others = {SESSION_FILE, SAMPLES_FILE, EVENTS_FILE, REPS_FILE} - {default}
    if (not isinstance(name, str) or not name or Path(name).name != name
            or name in (".", "..") or name in others):
        problems.add(SESSION_FILE, f"{what} {str(name)[:60]!r} is not a file inside the "
                                   f"session folder (read {default} instead)")
        name = default
    path = folder / name
    if name != default and not os.path.lexists(path) and os.path.lexists(folder / default):
        problems.add(SESSION_FILE, f"{what} {name[:60]!r} does not exist (read {default} "
                                   "instead)")
        path = folder / default
    try:
        real = Path(os.path.realpath(path))
        st = os.stat(real)
    except OSError:
        return None
    if real.parent != Path(os.path.realpath(folder)):
        problems.add(SESSION_FILE, f"{name} leads outside the session folder (ignored)")
        return None
    if not stat.S_ISREG(st.st_mode):
        problems.add(SESSION_FILE, f"{name} is not a regular file (ignored)")
        return None
    return path


def iter_jsonl(path: Path | None, label: str, problems: Problems) -> Iterator[tuple[int, object]]:
    """(line number, decoded JSON) per line, streaming. A line cut by a crash at the very end
    is dropped silently (it was never complete); any other undecodable line is reported."""
    if path is None:
        return
    with open(path, "rb") as f:
        lineno = 0
        pending: tuple[int, str] | None = None
        while True:
            line = f.readline(MAX_LINE_BYTES + 1)
            if not line:
                break
            lineno += 1
            if pending is not None:          # a bad line that turned out not to be the last
                problems.add(label, f"line {pending[0]}: {pending[1]}")
                pending = None
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):
                    line = f.readline(MAX_LINE_BYTES + 1)
                problems.add(label, f"line {lineno}: longer than {MAX_LINE_BYTES} bytes (skipped)")
                continue
            if not line.strip():              # the recorder never writes one: a lost record
                if line.endswith(b"\n"):
                    problems.add(label, f"line {lineno}: blank (skipped)")
                continue
            try:
                yield lineno, json.loads(line.decode("utf-8"), parse_constant=_no_constant)
            except (ValueError, UnicodeDecodeError) as exc:
                why = f"not JSON ({str(exc)[:60]}) (skipped)"
                if line.endswith(b"\n"):
                    problems.add(label, f"line {lineno}: {why}")
                else:
                    pending = (lineno, why)  # the last line, cut mid-write: expected after a crash


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _read_records(path: Path | None, label: str, problems: Problems,
                  decode: Callable[[object, list[str]], object]) -> list:
    out = []
    for lineno, obj in iter_jsonl(path, label, problems):
        found: list[str] = []
        try:
            out.append(decode(obj, found))
        except RecordError as exc:
            problems.add(label, f"line {lineno}: {exc} (skipped)")
            continue
        for message in found:
            problems.add(label, f"line {lineno}: {message}")
    return out


def read_reps(folder: Path, header: dict, problems: Problems | None = None) -> list[RepResult]:
    """The session's reps, each field validated (see ``codec.rep_from_dict``)."""
    problems = problems if problems is not None else Problems()
    path = _session_file(folder, header.get("reps"), REPS_FILE, problems, "reps")
    return _read_records(path, REPS_FILE, problems, rep_from_dict)


def read_sets(folder: Path, header: dict, problems: Problems | None = None) -> list[SetRecord]:
    """The set records every reader counts from: ``sets.jsonl`` + the reps; sessions written
    before the records existed are rebuilt from their reps (``sets.records_from_reps``)."""
    problems = problems if problems is not None else Problems()
    reps = read_reps(folder, header, problems)
    path = _session_file(folder, header.get("sets"), SETS_FILE, problems, "sets")
    lines = [obj for _, obj in iter_jsonl(path, SETS_FILE, problems) if isinstance(obj, dict)]
    return records_from_reps(reps, lines)


def read_events(folder: Path, header: dict, problems: Problems, rate_hz: float | None
                ) -> tuple[list[SourceEvent], list[dict], list[dict]]:
    """(source events, marks, errors) from events.jsonl, each line validated."""
    path = _session_file(folder, header.get("events"), EVENTS_FILE, problems, "events")

    def decode(obj, found):
        if not isinstance(obj, dict):
            raise RecordError(f"{str(obj)[:30]!r} is not an object")
        kind = obj.get("type")
        if kind == "event":
            return "event", event_from_dict(obj, found)
        if kind == "mark":
            return "mark", mark_from_dict(obj, found)
        if kind == "error":
            return "error", {"type": "error", "sample_index": obj.get("sample_index"),
                             "t_s": obj.get("t_s") if _finite(obj.get("t_s")) else None,
                             "detail": str(obj.get("detail", ""))}
        raise RecordError(f"type {str(kind)[:30]!r} is not event, mark or error")

    events, marks, errors = [], [], []
    for kind, rec in _read_records(path, EVENTS_FILE, problems, decode):
        (events if kind == "event" else marks if kind == "mark" else errors).append(rec)
    return events, marks, errors


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def read_header(path: Path | str) -> dict:
    """session.json, validated; UserError for a missing, foreign or unreadable folder."""
    folder = Path(path)
    if not folder.exists():
        raise UserError(f"no such session: {folder}")
    if not folder.is_dir():
        raise UserError(f"not an emg-monitor session: {folder} is not a folder")
    header_path = folder / SESSION_FILE
    if not header_path.is_file():
        raise UserError(f"not an emg-monitor session: {folder} has no {SESSION_FILE}")
    try:
        with open(header_path, "rb") as f:
            raw = f.read(MAX_HEADER_BYTES + 1)
        if len(raw) > MAX_HEADER_BYTES:
            raise ValueError(f"larger than {MAX_HEADER_BYTES >> 20} MiB")
        header = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except OSError as exc:
        raise UserError(f"cannot read {header_path}: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise UserError(f"not an emg-monitor session: {header_path} is not valid JSON "
                        f"({str(exc)[:80]})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise UserError(f"not an emg-monitor session: {header_path} is not a {FORMAT_NAME} file")
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UserError(f"{header_path} is damaged: format_version {str(version)[:20]!r} is "
                        "not a version number")
    if version > FORMAT_VERSION:
        raise UserError(f"{folder} uses session format {version}; this emg-monitor reads up "
                        f"to {FORMAT_VERSION}: upgrade emg-monitor")
    return header


def read_meta(folder: Path, header: dict, problems: Problems) -> SessionMeta:
    """The session's metadata; a wrong-typed field is reported and read as its default
    (a missing start date falls back to the folder's modification time)."""
    try:
        fallback = datetime.fromtimestamp((folder / SESSION_FILE).stat().st_mtime).astimezone()
        fallback_iso = fallback.isoformat(timespec="seconds")
    except (OSError, ValueError, OverflowError):
        fallback_iso = "1970-01-01T00:00:00+00:00"
    found: list[str] = []
    meta = SessionMeta.from_dict(header.get("meta"), found, fallback_iso)
    for message in found:
        problems.add(SESSION_FILE, message)
    usable = _usable_filter_settings(meta.filter_settings or {}, problems)
    return dataclasses.replace(meta, filter_settings=usable) if usable != meta.filter_settings \
        else meta


def _usable_filter_settings(settings: dict, problems: Problems) -> dict:
    """The recorded filter settings, each checked on its own: a damaged one is reported and
    left to its default, so the envelopes can still be recomputed."""
    from ..dsp.pipeline import FilterSettings
    usable = {}
    for key, value in settings.items():
        try:
            FilterSettings.from_dict({**usable, key: value})
            usable[key] = value
        except (UserError, ValueError, TypeError) as exc:
            problems.add(SESSION_FILE, f"meta.filter_settings.{key}: {exc} (default used)")
    return usable


class SampleFile:
    """samples.bin, validated once by a streaming scan (bounded memory), then read in chunks.

    The scan keeps the byte ranges of rows whose index continues the stream
    (``runs``), so reading never meets a bad row again.
    """

    def __init__(self, path: Path | None, n_channels: int, sample_rate_hz: float,
                 problems: Problems, chunk_rows: int = CHUNK_ROWS, closed: bool = False) -> None:
        self.path = path
        self.dtype = sample_dtype(n_channels)
        self.n_channels = n_channels
        self.max_gap = max(1, int(MAX_GAP_S * sample_rate_hz))
        self.runs: list[tuple[int, int]] = []       # (byte offset, rows)
        self.n_rows = 0
        self.first_index = 0
        self.last_index = -1
        self.implausible_values = 0
        self.skipped_bytes = 0
        self.closed = closed                         # a closed session has no cut last row
        if path is not None:
            self._scan(problems, chunk_rows)

    # --- validation -----------------------------------------------------------------
    def _accepted(self, idx: np.ndarray, last: int | None, at_eof: bool) -> int:
        """How many leading rows of ``idx`` continue the stream after ``last``. A row +1 after
        its predecessor continues it; a gap (or the first row) must be confirmed by two of the
        three rows after it (+1, +2, +3): a row shifted by a stray byte can fake the +1 (its
        index reads as index*256 + a data byte), never the +2 or +3."""
        n = idx.size
        prev = np.empty(n, dtype=np.int64)
        prev[1:] = idx[:-1]
        prev[0] = last if last is not None else -1
        with np.errstate(over="ignore"):
            d = idx - prev
            c = [np.zeros(n, dtype=bool) for _ in range(4)]
            for k in (1, 2, 3):
                c[k][:-k] = idx[k:] - idx[:-k] == k
        confirmed = (c[1] & c[2]) | (c[2] & c[3]) | (c[1] & c[3])
        ok = (d == 1) | ((d > 1) & (d <= self.max_gap) & confirmed & (prev < idx))
        if last is None:                 # a recording starts at 0 unless it joined a live stream
            ok[0] = bool(0 <= idx[0] < MAX_FIRST_INDEX and (
                confirmed[0] or (idx[0] == 0 and c[1][0]) or (at_eof and n == 1)))
        bad = np.flatnonzero(~ok)
        k = int(bad[0]) if bad.size else n
        return k if at_eof else min(k, n - 3)

    def _resync(self, f, start: int, size: int, last: int | None, bad_pos: int) -> int | None:
        """The first byte offset >= start where the stream plausibly continues after the damage
        at ``bad_pos``. A row is taken when its index (in the gap limit) is confirmed:
        continued by the next two rows; or near ``last`` (no more ahead than the damaged
        bytes could hold) and continued by one of the next two; or exactly where an
        overwritten stretch would leave it (aligned, index = last + rows passed); at the very
        end, continued by every row left. None: no such offset."""
        item = self.dtype.itemsize
        lo, hi = (last + 1, last + self.max_gap) if last is not None else (0, MAX_FIRST_INDEX - 1)
        window = CHUNK_ROWS * item
        never = np.iinfo(np.int64).min                  # past the end: matches nothing
        pos = start
        while pos + item <= size:
            f.seek(pos)
            buf = f.read(min(size - pos, window + 2 * item + 8))
            n8 = len(buf) - 7
            if n8 <= 0:
                return None
            ext = np.full(n8 + 2 * item, never, dtype=np.int64)
            for s in range(8):                           # the int64 starting at every byte
                ext[s:n8:8] = np.frombuffer(buf, "<i8", count=(len(buf) - s) // 8, offset=s)
            final = pos + len(buf) >= size
            m = n8 if final else min(n8, window)
            v, v1, v2 = ext[:m], ext[item:item + m], ext[2 * item:2 * item + m]
            q = pos + np.arange(m, dtype=np.int64)
            with np.errstate(over="ignore"):
                ok = (v >= lo) & (v <= hi) & (q + item <= size)
                cand = ok & (v1 == v + 1) & (v2 == v + 2)
                if last is not None:
                    passed = (q - bad_pos) // item
                    near = ok & (v - last <= passed + 3) & ((v1 == v + 1) | (v2 == v + 2))
                    aligned = ok & ((q - bad_pos) % item == 0) & (v == last + 1 + passed)
                    cand |= near | aligned
            hits = np.flatnonzero(cand)
            if hits.size:
                return pos + int(hits[0])
            if final:                                    # the file's last rows, shifted
                for qq in range(max(pos, size - 3 * item + 1), size - item + 1):
                    v0 = int(ext[qq - pos])
                    if not lo <= v0 <= hi:
                        continue
                    rest = [int(ext[qq - pos + k * item]) for k in range(1, (size - qq) // item)]
                    if rest == [v0 + k for k in range(1, len(rest) + 1)] and (
                            rest or (last is not None and v0 == last + 1)):
                        return qq
                return None
            pos += m
        return None

    def _scan(self, problems: Problems, chunk_rows: int) -> None:
        item = self.dtype.itemsize
        size = self.path.stat().st_size
        last: int | None = None
        pos = 0
        bad_at: list[int] = []
        tail = 0
        with open(self.path, "rb") as f:
            while pos + item <= size:
                f.seek(pos)
                buf = f.read(min(size - pos, (chunk_rows + 3) * item))
                n = len(buf) // item
                rows = np.frombuffer(buf, self.dtype, count=n)
                at_eof = pos + (n + 1) * item > size
                k = self._accepted(rows["index"], last, at_eof)
                if k:
                    if self.runs and self.runs[-1][0] + self.runs[-1][1] * item == pos:
                        self.runs[-1] = (self.runs[-1][0], self.runs[-1][1] + k)
                    else:
                        self.runs.append((pos, k))
                    if not self.n_rows:
                        self.first_index = int(rows["index"][0])
                    last = int(rows["index"][k - 1])
                    self.n_rows += k
                    data = rows["data"][:k]
                    with np.errstate(invalid="ignore"):
                        self.implausible_values += int(data.size - np.count_nonzero(
                            np.abs(data) <= PLAUSIBLE_ABS_MAX))
                    pos += k * item
                if k == n or (k == n - 3 and not at_eof):
                    continue                      # all good (the look-ahead rows are read again)
                # search from inside the last accepted row: a deletion can shift the next
                # good row to start within it (its index, > last, cannot match that row)
                nxt = self._resync(f, max(pos - item + 1, 1), size, last, pos)
                self.skipped_bytes += max(0, (nxt if nxt is not None else size) - pos)
                bad_at.append(pos)
                if nxt is None:
                    break
                pos = nxt
                f.seek(pos)                       # the resync already confirmed this row
                last = int(np.frombuffer(f.read(8), "<i8")[0]) - 1
            else:
                tail = size - pos                 # less than a row: a write cut by a crash
        self.last_index = last if last is not None else -1
        name = self.path.name
        if self.skipped_bytes:
            where = ", ".join(f"byte {b}" for b in bad_at[:MAX_EXAMPLES])
            problems.add(name, f"{self.skipped_bytes} bytes (~{-(-self.skipped_bytes // item)} "
                               f"rows) that do not continue the stream were skipped, at {where}"
                               + ("..." if len(bad_at) > MAX_EXAMPLES else ""))
        if tail and self.closed:
            problems.add(name, f"the last {tail} bytes are less than a row, though the session "
                               "was closed cleanly (skipped)")
        if self.implausible_values:
            problems.add(name, f"{self.implausible_values} values are not finite or beyond "
                               f"±{PLAUSIBLE_ABS_MAX:g} (the signal chain treats them as missing)")

    # --- reading ----------------------------------------------------------------------
    def _chunk(self, buf: bytes) -> SampleChunk:
        k = len(buf) // self.dtype.itemsize
        rows = np.frombuffer(buf, self.dtype, count=k)
        with np.errstate(invalid="ignore"):             # NaN bytes stay NaN (the DSP handles)
            data = rows["data"].astype(np.float64).reshape(k, self.n_channels)
        return SampleChunk(rows["index"].astype(np.int64), data)

    def iter_chunks(self, chunk_rows: int = CHUNK_ROWS) -> Iterator[SampleChunk]:
        if self.path is None or not self.runs:
            return
        item = self.dtype.itemsize
        chunk_rows = max(1, int(chunk_rows))
        with open(self.path, "rb") as f:
            for offset, n in self.runs:
                done = 0
                while done < n:
                    k = min(chunk_rows, n - done)
                    f.seek(offset + done * item)
                    buf = f.read(k * item)
                    if len(buf) < item:               # the file shrank since the scan
                        return
                    chunk = self._chunk(buf)
                    yield chunk
                    done += chunk.index.size

    def read_rows(self, start: int, n: int) -> SampleChunk:
        """Valid rows ``start`` .. ``start + n`` (positions among the valid rows, as
        :meth:`iter_chunks` yields them), read from disk: random access in bounded memory
        for a player that seeks (``ReplaySource``)."""
        start, stop = max(0, int(start)), min(self.n_rows, int(start) + max(0, int(n)))
        parts: list[SampleChunk] = []
        if self.path is not None and stop > start:
            item = self.dtype.itemsize
            with open(self.path, "rb") as f:
                first = 0                                # position of the run's first row
                for offset, rows in self.runs:
                    a, b = max(start, first), min(stop, first + rows)
                    if a < b:
                        f.seek(offset + (a - first) * item)
                        parts.append(self._chunk(f.read((b - a) * item)))
                    first += rows
                    if first >= stop:
                        break
        if len(parts) == 1:
            return parts[0]
        return SampleChunk(np.concatenate([p.index for p in parts]) if parts
                           else np.empty(0, dtype=np.int64),
                           np.concatenate([p.data for p in parts]) if parts
                           else np.empty((0, self.n_channels)))

    def position_of(self, index: int) -> int:
        """The position of the first valid row whose stream index is >= ``index`` (n_rows
        if none): indices only grow along the valid rows, so a bisection of single-row reads
        finds it."""
        lo, hi = 0, self.n_rows
        while lo < hi:
            mid = (lo + hi) // 2
            got = self.read_rows(mid, 1).index
            if got.size and int(got[0]) < index:
                lo = mid + 1
            else:
                hi = mid
        return lo


@dataclass
class Session:
    """A session folder, read and validated. Samples stay on disk: see :meth:`iter_samples`."""

    path: Path
    meta: SessionMeta
    info: DeviceInfo
    samples: SampleFile
    events: list[SourceEvent] = field(default_factory=list)
    marks: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    reps: list[RepResult] = field(default_factory=list)   # every rep once, by session_rep
    sets: list[SetRecord] = field(default_factory=list)   # what every reader counts from
    closed: bool = False             # False: the recorder was killed or the disk failed
    format_version: int = FORMAT_VERSION
    #: what the reader skipped or read as missing, one line per file ([] for an intact session)
    problems: list[str] = field(default_factory=list)
    calibration: dict | None = None  # in force at the end (see read_calibration)
    _loaded: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def iter_samples(self, chunk_rows: int = CHUNK_ROWS) -> Iterator[SampleChunk]:
        """Valid sample rows in stream order, ``chunk_rows`` at a time (bounded memory)."""
        return self.samples.iter_chunks(chunk_rows)

    def _load_all(self) -> tuple[np.ndarray, np.ndarray]:
        if self._loaded is None:
            data = np.empty((self.samples.n_rows, len(self.info.channels)))
            index = np.empty(self.samples.n_rows, dtype=np.int64)
            k = 0
            for chunk in self.iter_samples():
                m = chunk.index.size
                data[k:k + m], index[k:k + m] = chunk.data, chunk.index
                k += m
            self._loaded = (data[:k], index[:k])
        return self._loaded

    @property
    def data(self) -> np.ndarray:
        """(n, n_channels) float64: the whole recording in memory (short sessions only;
        long ones: :meth:`iter_samples`)."""
        return self._load_all()[0]

    @property
    def sample_index(self) -> np.ndarray:
        """(n,) int64 stream index of every row, in memory (see :attr:`data`)."""
        return self._load_all()[1]

    @property
    def n_samples(self) -> int:
        return self.samples.n_rows

    @property
    def sample_rate_hz(self) -> float:
        return self.info.sample_rate_hz

    @property
    def times_s(self) -> np.ndarray:
        return self.sample_index / self.info.sample_rate_hz

    @property
    def first_index(self) -> int:
        return self.samples.first_index if self.samples.n_rows else 0

    @property
    def duration_s(self) -> float:
        if not self.samples.n_rows:
            return 0.0
        return (self.samples.last_index - self.samples.first_index + 1) / self.info.sample_rate_hz

    @property
    def set_indices(self) -> list[int]:
        return [rec.set_index for rec in self.sets]


_MARK_FIELDS = ("type", "kind", "sample_index", "t_s", "wall_time", "athlete")


def read_calibration(meta: SessionMeta, marks: list[dict], problems: Problems) -> dict | None:
    """The calibration in force at the end: the last usable ``calibration`` mark (made when
    the athlete calibrated mid-session), else the one the session started with. A record
    the signal chain could not use is reported and passed over."""
    from ..dsp.calibration import Calibration
    candidates = [({k: v for k, v in m.items() if k not in _MARK_FIELDS},
                   f"calibration mark at sample {m['sample_index']}")
                  for m in marks if m.get("kind") == "calibration" and m.get("mvc_rms")]
    candidates.reverse()
    if meta.calibration:
        candidates.append((meta.calibration, "meta.calibration"))
    for cal, where in candidates:
        try:
            Calibration.from_dict(cal)
            return cal
        except (UserError, ValueError) as exc:
            problems.add(SESSION_FILE if where.startswith("meta") else EVENTS_FILE,
                         f"{where}: {exc} (not used)")
    return None


def load_session(path: Path | str) -> Session:
    """Read and validate a session folder. UserError (one line) only when nothing usable
    is there: not a session, no device record, or channels that cannot be trusted."""
    folder = Path(path)
    header = read_header(folder)
    problems = Problems()
    if header.get("device") is None:
        raise UserError(f"{folder} holds no samples: the recording stopped before the "
                        "device announced itself")
    found: list[str] = []
    try:
        info = info_from_dict(header["device"], found)
    except RecordError as exc:
        raise UserError(f"{folder / SESSION_FILE} is damaged: {exc}") from None
    for message in found:
        problems.add(SESSION_FILE, message)
    meta = read_meta(folder, header, problems)
    samples_spec = header.get("samples")
    if not isinstance(samples_spec, dict):
        if samples_spec is not None:
            problems.add(SESSION_FILE, "samples is not an object (read samples.bin)")
        samples_spec = {}
    samples_path = _session_file(folder, samples_spec.get("file"), SAMPLES_FILE, problems,
                                 "samples.file")
    if samples_path is None:
        raise UserError(f"{folder} is truncated: its {SAMPLES_FILE} is missing or unreadable")
    try:
        samples = SampleFile(samples_path, len(info.channels), info.sample_rate_hz, problems,
                             closed=header.get("closed") is True)
        events, marks, errors = read_events(folder, header, problems, info.sample_rate_hz)
        sets = read_sets(folder, header, problems)
    except OSError as exc:
        raise UserError(f"cannot read {folder}: {exc.strerror or exc}") from exc
    reps = sorted((r for rec in sets for r in rec.reps), key=lambda r: r.session_rep)
    calibration = read_calibration(meta, marks, problems)
    closed = header.get("closed")
    written = header.get("samples_written")
    if closed is True and isinstance(written, int) and not isinstance(written, bool) \
            and written != samples.n_rows:
        problems.add(SAMPLES_FILE, f"session.json counts {written} samples written, "
                                   f"{samples.n_rows} could be read")
    return Session(path=folder, meta=meta, info=info, samples=samples, events=events,
                   marks=marks, errors=errors, reps=reps, sets=sets, closed=closed is True,
                   format_version=header["format_version"], problems=problems.lines(),
                   calibration=calibration)
