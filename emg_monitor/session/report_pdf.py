"""The HTML report as PDF in bounded memory: laid out in parts, the parts joined.

WeasyPrint holds the whole document's boxes while it lays it out, about 60 bytes of
memory per byte of our SVG-heavy HTML and about 0.18 MB per table row: the 800
per-rep panels of a 2-hour session took it past 1 GB (issue 11). The report body is
therefore cut between sections, between the panels of a grid (``GRID_CUT``, an HTML
comment the report puts there) and inside long tables (closed and reopened with
their header) into parts of bounded cost; each part is laid out alone with the same
CSS and written to disk, and ``pdf_join`` joins the files holding one at a time. A
part starts on a new page; the content is the same.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

#: an HTML comment between two panels of a ``<div class="grid">``: the PDF may cut here
GRID_CUT = "<!--cut-->"
GRID_OPEN = '<div class="grid">'
#: HTML bytes per part: ~60 MB of WeasyPrint per part, whatever the session's length
PART_BYTES = 1 << 20
#: what one table row costs in that budget: WeasyPrint holds ~0.18 MB per laid-out row
#: (measured: 400 rows of 200 bytes took 70 MB), about 3 kB of SVG-heavy HTML
ROW_BYTES = 3000
#: a long table may be cut after every so many rows (closed, reopened with its header)
TABLE_ROWS = 50

_TABLE = re.compile(r"(<table[^>]*>)(.*?)</table>", re.S)
_ROW = re.compile(r"(?=<tr[\s>])")


@dataclass(frozen=True)
class _Piece:
    """A run of HTML a part may start with; ``close`` ends what is open before it and
    ``reopen`` opens it again, if a cut falls just before."""
    text: str
    close: str = ""
    reopen: str = ""


def _cost(html: str) -> int:
    """What laying ``html`` out costs WeasyPrint, in bytes of the part budget."""
    return len(html) + ROW_BYTES * len(_ROW.findall(html))


def _table_pieces(piece: _Piece) -> list[_Piece]:
    """``piece`` cut inside its long tables every ``TABLE_ROWS`` rows; the table's opening
    and header rows (the leading rows with ``<th``) are repeated where a cut reopens it."""
    out: list[_Piece] = []
    pending, close, reopen = "", piece.close, piece.reopen
    at = 0
    for m in _TABLE.finditer(piece.text):
        rows = _ROW.split(m.group(2))
        n_head = 1 + next((i for i, r in enumerate(rows[1:]) if "<th" not in r), len(rows) - 1)
        head, body = m.group(1) + "".join(rows[:n_head]), rows[n_head:]
        if len(body) <= TABLE_ROWS:
            continue
        out.append(_Piece(pending + piece.text[at:m.start()] + head
                          + "".join(body[:TABLE_ROWS]), close, reopen))
        chunks = ["".join(body[c:c + TABLE_ROWS]) for c in range(TABLE_ROWS, len(body), TABLE_ROWS)]
        close, reopen = "</table>" + piece.close, piece.reopen + head
        out += [_Piece(c, close, reopen) for c in chunks[:-1]]
        pending, at = chunks[-1] + "</table>", m.end()
    out.append(_Piece(pending + piece.text[at:], close, reopen))
    return out


def pdf_parts(html: str, part_bytes: int = PART_BYTES) -> list[str]:
    """Whole HTML documents (the same head) whose bodies together are ``html``'s body, each
    costing at most ``part_bytes`` (bytes plus ``ROW_BYTES`` a table row) unless one
    section, panel or ``TABLE_ROWS`` rows alone cost more. Cuts fall only between
    sections, between the panels of a grid and between the rows of a long table."""
    head, sep, rest = html.partition("<body>")
    body, end, tail = rest.rpartition("</body>")
    if not sep or not end:
        return [html]
    pieces: list[_Piece] = []
    for k, section in enumerate(body.split("<h2>")):
        for j, item in enumerate(section.split(GRID_CUT)):
            text = ("<h2>" if k and not j else "") + item
            pieces += _table_pieces(_Piece(text, "</div>", GRID_OPEN) if j else _Piece(text))
    parts: list[list[str]] = [[]]
    size = 0
    for piece in pieces:
        text = piece.text
        if size and size + _cost(text) > part_bytes:
            parts[-1].append(piece.close)
            text = piece.reopen + text
            parts.append([])
            size = _cost(piece.reopen)
        parts[-1].append(text)
        size += _cost(piece.text)
    return [f"{head}<body>{''.join(p)}</body>{tail}" for p in parts]


def write_pdf(html: str, out_path: Path, part_bytes: int = PART_BYTES) -> Path:
    """``html`` as a PDF at ``out_path`` through WeasyPrint (HTML + inline SVG + print CSS,
    maintained, no browser), one part at a time; written beside and moved into place, so
    a failure never leaves half a PDF."""
    try:
        from weasyprint import HTML
    except ImportError as exc:           # an optional extra: say how to get it
        raise UserError("PDF output needs WeasyPrint: pip install 'emg-monitor[report]' "
                        "(or use --no-pdf)") from exc
    parts = pdf_parts(html, part_bytes)
    tmp = out_path.with_name(f".{out_path.name}.part")
    try:
        if len(parts) == 1:
            HTML(string=parts[0]).write_pdf(tmp)
        else:
            from .pdf_join import join_pdfs
            with tempfile.TemporaryDirectory(prefix=f".{out_path.name}.", dir=out_path.parent) as d:
                paths = [Path(d) / f"{k}.pdf" for k in range(len(parts))]
                for part, path in zip(parts, paths):
                    HTML(string=part).write_pdf(path)
                del parts
                with open(tmp, "wb") as f:
                    join_pdfs(paths, f)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return out_path
