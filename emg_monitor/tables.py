"""Load a recording table: a plain delimited text file or a UCI lower-limb ``.txt``.

Plain tables: one header row of column names, then numbers; comma, tab or
semicolon (whichever the header uses most). A time column ``t``/``time``
(seconds; also ``t_s``/``time_s``) gives the sampling rate (median step); it
must increase and be regular (no step outside 0.5-1.5x the median), because
the filters assume a constant rate. Without it, the rate must be given.

UCI "EMG dataset in Lower Limb" files: header lines describing the channels
(``Channel 1: 'RF', ... engineering units: mV``), a blank line, then
tab-separated columns. Rows after the last complete row (5Nmar: the goniometer
column runs on for 18 rows after the EMG ends) are dropped; an incomplete row
followed by complete ones is an error, because the columns would be shifted
in time against each other.
"""
from __future__ import annotations

import csv
import itertools
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UserError

TIME_NAMES = ("t", "time", "t_s", "time_s")
_UNIT_SUFFIXES = {"uv": "uV", "mv": "mV", "v": "V", "deg": "deg", "g": "g", "pct_mvc": "pct_mvc"}
_UCI_CHANNEL = re.compile(r"Channel\s+\d+:\s*'([^']+)'.*?engineering units:\s*([^,\s]+)", re.I)
_UCI_RATE = re.compile(r"(\d+(?:\.\d+)?)\s+samples per second", re.I)


@dataclass(frozen=True)
class Table:
    data: np.ndarray                 # (n, n_columns) float64, time column removed
    names: tuple[str, ...]
    sample_rate_hz: float
    units: tuple[str | None, ...]    # unit guesses per column (None: unknown)
    t0_s: float = 0.0                # time of the first row (0 without a time column)
    dropped_rows: int = 0            # incomplete trailing rows removed (UCI)

    def column(self, name: str) -> int:
        for i, n in enumerate(self.names):
            if n == name:
                return i
        for i, n in enumerate(self.names):          # then case-insensitively
            if n.lower() == name.lower():
                return i
        raise UserError(f"no column {name!r} in the recording (available: {', '.join(self.names)})")


def unit_from_name(name: str) -> str | None:
    low = name.lower()
    for suffix in sorted(_UNIT_SUFFIXES, key=len, reverse=True):
        if low.endswith("_" + suffix):
            return _UNIT_SUFFIXES[suffix]
    return None


def load_table(path: str | Path, sample_rate_hz: float | None = None) -> Table:
    path = Path(path)
    if not path.exists():
        raise UserError(f"recording not found: {path}")
    if path.is_dir():
        raise UserError(f"{path} is a folder; give a CSV/text recording (or a session folder to "
                        "'emg-monitor analyze' with a session.json inside)")
    try:
        text = path.read_text(encoding="utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not a UTF-8 text table") from None
    if not text.strip():
        raise UserError(f"{path} is empty")
    head = text[:4096].splitlines()
    if head[0].startswith("File Name:") or _UCI_CHANNEL.search(head[0] + (head[1] if len(head) > 1 else "")):
        return _load_uci(path, text.splitlines(), sample_rate_hz)
    header, _, body = text.partition("\n")
    return _load_delimited(path, header.rstrip("\r"), body, sample_rate_hz)


def _load_uci(path: Path, lines: list[str], sample_rate_hz: float | None) -> Table:
    names, units, rate = [], [], None
    body_start = None
    for k, line in enumerate(lines):
        m = _UCI_CHANNEL.search(line)
        if m:
            names.append(m.group(1))
            units.append(m.group(2))
            r = _UCI_RATE.search(line)
            if r:
                rate = float(r.group(1))
            continue
        if line.startswith("File Name:"):
            continue
        if not line.strip():
            body_start = k + 1
            break
        body_start = k
        break
    if not names or body_start is None:
        raise UserError(f"{path}: no channel header lines ('Channel 1: ...') before the data")
    rate = sample_rate_hz or rate
    if not rate:
        raise UserError(f"{path}: the header states no sampling rate; pass --sample-rate HZ")
    rows = []
    for k, line in enumerate(lines[body_start:], start=body_start + 1):
        if not line.strip():
            continue
        cells = line.split("\t")
        rows.append((k, cells))
    n_col = len(names)
    data = np.full((len(rows), n_col), np.nan)
    for row_i, (line_no, cells) in enumerate(rows):
        if len(cells) > n_col:
            raise UserError(f"{path}: row {line_no} has {len(cells)} cells, the header names "
                            f"{n_col} channels")
        for c, cell in enumerate(cells):
            cell = cell.strip()
            if cell:
                data[row_i, c] = _number(cell, path, line_no, names[c])
    complete = np.isfinite(data).all(axis=1)
    if not complete.any():
        raise UserError(f"{path}: no row has a value for every channel")
    last = int(np.flatnonzero(complete)[-1])
    if not complete[:last + 1].all():
        bad = int(np.flatnonzero(~complete[:last + 1])[0])
        raise UserError(f"{path}: row {rows[bad][0]} has empty cells between complete rows")
    return Table(data[:last + 1], tuple(names), float(rate), tuple(units),
                 dropped_rows=len(rows) - last - 1)


def _number(cell: str, path: Path, line_no: int, column: str) -> float:
    try:
        v = float(cell)
    except ValueError:
        raise UserError(f"{path}: row {line_no}, column {column!r}: {cell!r} is not a number") from None
    if not math.isfinite(v):
        raise UserError(f"{path}: row {line_no}, column {column!r}: {cell!r} is not a finite number")
    return v


def _cells(line: str, delim: str) -> int:
    return len(next(csv.reader([line], delimiter=delim), []))


def _delimiter(header: str, rows: list[str]) -> str:
    """Comma, tab or semicolon: the one that cuts the header and most of the first data
    rows into the same number (2 or more) of cells, so a name holding another of them
    (";,0") or one damaged row does not decide; ties go to whichever the header uses most
    outside quoted names."""
    bare = re.sub(r'"[^"]*"', "", header)

    def fit(d: str) -> tuple[int, int]:
        n = _cells(header, d)
        return (sum(_cells(r, d) == n for r in rows) if n >= 2 else 0), bare.count(d)
    return max((",", "\t", ";"), key=fit)


def _load_delimited(path: Path, header: str, body: str, sample_rate_hz: float | None) -> Table:
    delim = _delimiter(header, list(itertools.islice(
        (line for line in io.StringIO(body) if line.strip()), 5)))
    # the csv module reads the header, so a quoted name may hold the delimiter ("glute, left")
    names = [c.strip() for c in next(csv.reader([header], delimiter=delim))]
    if not names or any(not n for n in names):
        raise UserError(f"{path}: the first row must name every column (found {header!r})")
    if all(_is_number(n) for n in names):
        raise UserError(f"{path}: no header row; the first row must name the columns "
                        "(e.g. time,glute_l,erector_l)")
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UserError(f"{path}: repeated column names: {', '.join(sorted(dup))}")
    if not body.strip():
        raise UserError(f"{path}: a header but no data rows")
    data = _numbers(path, body, delim, names)
    time_col = next((i for i, n in enumerate(names) if n.lower() in TIME_NAMES), None)
    t0 = 0.0
    if time_col is not None:
        t = data[:, time_col]
        rate = _rate_from_time(path, names[time_col], t)
        if sample_rate_hz and abs(sample_rate_hz - rate) > 0.01 * rate:
            raise UserError(f"{path}: --sample-rate {sample_rate_hz:g} Hz disagrees with the time "
                            f"column ({rate:g} Hz); leave --sample-rate out")
        t0 = float(t[0])
        keep = [i for i in range(len(names)) if i != time_col]
        data, names = data[:, keep], [names[i] for i in keep]
    else:
        if not sample_rate_hz:
            raise UserError(f"{path}: no time column ('t' or 'time' in seconds); "
                            "pass --sample-rate HZ")
        rate = float(sample_rate_hz)
    if not names:
        raise UserError(f"{path}: only a time column, no signals")
    return Table(np.ascontiguousarray(data), tuple(names), rate,
                 tuple(unit_from_name(n) for n in names), t0)


def _numbers(path: Path, body: str, delim: str, names: list[str]) -> np.ndarray:
    """The data rows (text after the header) as floats.

    NumPy's C parser first (quoted cells allowed); when it refuses the text or finds a
    non-finite value, the csv module reads it row by row, which either names the row
    and column at fault in one line or returns the same numbers (e.g. blank-looking
    lines of spaces, which only the slow path skips)."""
    try:
        data = np.loadtxt(io.StringIO(body), delimiter=delim, quotechar='"',
                          dtype=np.float64, ndmin=2)
        if data.shape[1] == len(names) and np.isfinite(data).all():
            return data
    except ValueError:
        pass
    rows = [(k, line) for k, line in enumerate(body.splitlines(), start=2) if line.strip()]
    out = np.empty((len(rows), len(names)))
    for r, ((k, _), cells) in enumerate(zip(rows, csv.reader([line for _, line in rows],
                                                               delimiter=delim))):
        if len(cells) != len(names):
            raise UserError(f"{path}: row {k} has {len(cells)} cells, the header has {len(names)}")
        for c, cell in enumerate(cells):
            out[r, c] = _number(cell.strip(), path, k, names[c])
    return out


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _rate_from_time(path: Path, name: str, t: np.ndarray) -> float:
    if t.size < 2:
        raise UserError(f"{path}: need at least two rows to know the sampling rate")
    d = np.diff(t)
    if (d <= 0).any():
        k = int(np.flatnonzero(d <= 0)[0])
        raise UserError(f"{path}: column {name!r} does not increase at row {k + 3} "
                        f"({t[k]:g} -> {t[k + 1]:g})")
    step = float(np.median(d))
    bad = np.flatnonzero((d > 1.5 * step) | (d < 0.5 * step))
    if bad.size:
        k = int(bad[0])
        raise UserError(f"{path}: column {name!r} is irregular at row {k + 3} (step {d[k]:g} s, "
                        f"usual {step:g} s): the recording has gaps; resample it first")
    rate = 1.0 / step
    return float(round(rate)) if abs(rate - round(rate)) < 1e-6 * rate else rate
