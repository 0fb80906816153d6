"""Joining the report's laid-out parts: every page, its text and the outline, one part in
memory at a time, and a file an independent checker (qpdf) accepts."""
from __future__ import annotations

import gc
import shutil
import subprocess
import weakref
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

pytest.importorskip("weasyprint")
from pypdf import PdfReader  # noqa: E402
from weasyprint import HTML  # noqa: E402

from emg_monitor.session import pdf_join  # noqa: E402
from emg_monitor.session.pdf_join import join_pdfs  # noqa: E402

CSS = "h2 { break-before: page } .tall { height: 900px }"


def part(k: int, sections: list[str], title: bool) -> str:
    body = (f"<h1>Report {k}</h1>" if title else "") + "".join(
        f'<h2>{s}</h2><p>text of {s}</p><div class="tall"></div><p>end of {s}</p>'
        for s in sections)
    return (f'<html lang="en"><head><title>Doc {k}</title><style>{CSS}</style></head>'
            f"<body>{body}</body></html>")


def outline(reader: PdfReader, items=None, depth=0):
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            yield from outline(reader, item, depth + 1)
        else:
            yield depth, item.title, reader.get_destination_page_number(item)


def pages_text(path: Path) -> list[str]:
    return [p.extract_text() for p in PdfReader(path).pages]


@settings(max_examples=8, deadline=None)
@given(sections=st.lists(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta"]),
                                  max_size=3), min_size=1, max_size=4))
def test_joined_parts_keep_every_page_its_text_and_one_outline(tmp_path_factory, sections):
    d = tmp_path_factory.mktemp("join")
    paths = []
    for k, secs in enumerate(sections):
        paths.append(d / f"{k}.pdf")
        HTML(string=part(k, secs, title=k == 0)).write_pdf(paths[-1])
    out = d / "joined.pdf"
    with open(out, "wb") as f:
        join_pdfs(paths, f)
    expected = [t for p in paths for t in pages_text(p)]
    assert pages_text(out) == expected
    r = PdfReader(out)
    assert r.metadata.title == "Doc 0"
    # the title's bookmark holds every section of every part, each opening its own page
    offsets = [0]
    for p in paths:
        offsets.append(offsets[-1] + len(PdfReader(p).pages))
    want = [(0, "Report 0", 0)] + [
        (1, title, offsets[k] + page) for k, p in enumerate(paths)
        for depth, title, page in outline(PdfReader(p)) if title != "Report 0"]
    assert list(outline(r)) == want
    if shutil.which("qpdf"):
        check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_only_one_part_is_held_at_a_time(tmp_path, monkeypatch):
    """The memory promise: each part's reader is gone before the next one is opened."""
    paths = []
    for k in range(4):
        paths.append(tmp_path / f"{k}.pdf")
        HTML(string=part(k, ["alpha", "beta"], title=k == 0)).write_pdf(paths[-1])
    alive: list[weakref.ref] = []
    most = 0
    real = pdf_join.PdfReader

    def tracked(path):
        nonlocal most
        gc.collect()
        r = real(path)
        alive.append(weakref.ref(r))
        most = max(most, sum(a() is not None for a in alive))
        return r
    monkeypatch.setattr(pdf_join, "PdfReader", tracked)
    with open(tmp_path / "joined.pdf", "wb") as f:
        join_pdfs(paths, f)
    assert len(alive) == 4 and most == 1
    assert len(PdfReader(tmp_path / "joined.pdf").pages) == sum(
        len(PdfReader(p).pages) for p in paths)
