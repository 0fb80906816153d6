"""The HTML report as PDF in bounded memory: laid out in parts, the parts joined.

WeasyPrint holds the whole document's boxes while it lays it out, about 60 bytes of
memory per byte of our SVG-heavy HTML: the 800 per-rep panels of a 2-hour session
took it past 1 GB (issue 11). The report body is therefore cut between sections and
between the panels of a grid (``GRID_CUT``, an HTML comment the report puts there)
into parts of at most ``PART_BYTES``; each part is laid out alone with the same CSS,
and pypdf joins the pages. A part starts on a new page; the content is the same.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from ..errors import UserError

#: an HTML comment between two panels of a ``<div class="grid">``: the PDF may cut here
GRID_CUT = "<!--cut-->"
GRID_OPEN = '<div class="grid">'
#: HTML bytes per part: ~60 MB of WeasyPrint per part, whatever the session's length
PART_BYTES = 1 << 20


def pdf_parts(html: str, part_bytes: int = PART_BYTES) -> list[str]:
    """Whole HTML documents (the same head) whose bodies together are ``html``'s body, each
    at most ``part_bytes`` long unless one section or panel alone is longer."""
    head, sep, rest = html.partition("<body>")
    body, end, tail = rest.rpartition("</body>")
    if not sep or not end:
        return [html]
    pieces: list[tuple[str, bool]] = []          # (html, starts inside a grid)
    for k, section in enumerate(body.split("<h2>")):
        for j, item in enumerate(section.split(GRID_CUT)):
            pieces.append((("<h2>" if k and not j else "") + item, j > 0))
    parts: list[list[str]] = [[]]
    size = 0
    for text, in_grid in pieces:
        if parts[-1] and size + len(text) > part_bytes:
            if in_grid:                                  # close the grid, reopen it after
                parts[-1].append("</div>")
                text = GRID_OPEN + text
            parts.append([])
            size = 0
        parts[-1].append(text)
        size += len(text)
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
            from pypdf import PdfWriter
            writer = PdfWriter()
            for part in parts:
                writer.append(io.BytesIO(HTML(string=part).write_pdf()))
            with open(tmp, "wb") as f:
                writer.write(f)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return out_path
