"""CSV cells that are safe to open in a spreadsheet.

A text cell that starts with = + - @ is run as a formula by Excel and
LibreOffice ("CSV injection", OWASP): an athlete name or a note typed as
``=HYPERLINK(...)`` must stay text. Three layers, applied to every text cell:

* control characters (CR, LF, tab, NUL, DEL, C1, Unicode line breaks) become a
  space: a raw CR inside a cell ends the row for many readers, and the next
  "row" would start with whatever followed (``Ana\\r=1+1``);
* a formula start gets a leading apostrophe, at the start of the cell *and*
  after any , ; | separator, so a reader that splits on another separator (a
  semicolon-separated locale) or ignores quotes never sees a cell starting =;
* every text cell is quoted; numbers are written bare and never altered, so
  -0.05 stays a number.

Files are UTF-8 *with* a byte-order mark: Excel (Windows) only reads a CSV as
UTF-8 on double-click when the BOM is there (otherwise "Zoë" turns into
"ZoÃ«"); LibreOffice, pandas (``encoding="utf-8-sig"``) and Python's csv module
handle the BOM too.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import UserError

ENCODING = "utf-8-sig"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FORMULA = re.compile(r"(^|[,;|])(\s*)(?=[=+\-@])")
_BARE = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|true|false|")


def safe_text(text: str) -> str:
    """Text with control characters replaced and every formula start neutralised."""
    text = _CONTROL.sub(" ", str(text))
    return _FORMULA.sub(r"\1\2'", text)


def cell(value, float_format: str = ".6g") -> str:
    """One cell: numbers as numbers (NaN/None -> empty), text made formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "" if not math.isfinite(value) else format(float(value), float_format)
    return safe_text(str(value))


def field(c: str) -> str:
    """A cell as written: bare when it is a number, a boolean or empty, else safe and quoted."""
    if _BARE.fullmatch(c):
        return c
    return '"' + safe_text(c).replace('"', '""') + '"'


def numeric_lines(table: np.ndarray, formats: Sequence[str]) -> str:
    """Rows of numbers as CSV text, fast (one ``%`` per row); NaN/inf cells are left empty.
    The result equals writing ``cell(x, fmt)`` for every value."""
    fmt = ",".join("%" + f for f in formats) + "\n"
    rows = table.tolist()
    finite = np.isfinite(table).all(axis=1)
    if finite.all():
        return "".join([fmt % tuple(r) for r in rows])
    return "".join([fmt % tuple(r) if ok else ",".join(cell(x, f) for x, f in zip(r, formats)) + "\n"
                    for r, ok in zip(rows, finite.tolist())])


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str] | str]) -> Path:
    """One header row, comma-separated, LF line ends. ``rows`` yields cells (see :func:`cell`)
    or ready blocks of numeric lines (see :func:`numeric_lines`), streamed to disk."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding=ENCODING, newline="") as f:
            f.write(",".join('"' + safe_text(h).replace('"', '""') + '"' for h in header) + "\n")
            for row in rows:
                if isinstance(row, str):
                    f.write(row)
                else:
                    f.write(",".join(field(c) for c in row) + "\n")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}; "
                        "choose a writable output folder with --out") from exc
    return path
