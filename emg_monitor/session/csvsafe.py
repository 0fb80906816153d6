"""CSV cells that are safe to open in a spreadsheet.

A text cell that starts with = + - @ (or a tab / carriage return) is run as a
formula by Excel and LibreOffice ("CSV injection", OWASP): an athlete name or
a note typed as ``=HYPERLINK(...)`` must stay text. Such cells get a leading
apostrophe. Numbers are written as numbers and never prefixed, so -0.05 stays
a number.

Files are UTF-8 *with* a byte-order mark: Excel (Windows) only reads a CSV as
UTF-8 on double-click when the BOM is there (otherwise "Zoë" turns into
"ZoÃ«"); LibreOffice, pandas (``encoding="utf-8-sig"``) and Python's csv module
handle the BOM too.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import UserError

ENCODING = "utf-8-sig"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def cell(value, float_format: str = ".6g") -> str:
    """One cell: numbers as numbers (NaN/None -> empty), text made formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if not math.isfinite(value) else format(value, float_format)
    return safe_text(str(value))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    """Rows must already be cells (see :func:`cell`); one header row, comma, CRLF-free."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding=ENCODING, newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow([safe_text(h) for h in header])
            w.writerows(rows)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}; "
                        "choose a writable output folder with --out") from exc
    return path
