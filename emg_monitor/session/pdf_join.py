"""PDF files joined into one while only one of them is in memory.

pypdf's ``PdfWriter`` keeps every object of every input until it writes: joining the 18
laid-out parts of a 2-hour report held 170 MB more, growing with the session (issue 11),
and ``pdfunite``/``qpdf`` drop the bookmarks. Here each input is parsed with pypdf, the
objects its pages use are written out at once under new numbers, and only the page
numbers and bookmarks are kept; the page tree, the outline and the cross-reference
table come last. When the first input's outline is one tree (the report's title with
its sections), the bookmarks of every later input join that tree, as they would in
one document.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (ArrayObject, DictionaryObject, FloatObject, IndirectObject,
                           NameObject, NumberObject, PdfObject, TextStringObject)


@dataclass
class _Mark:
    """One bookmark: its title, the page it opens (an object number) and where on it."""
    title: str
    page: int
    left: float
    top: float
    children: list[_Mark] = field(default_factory=list)


class _Out:
    """Numbered objects written to a stream as they come, their offsets kept for the xref."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.offsets: dict[int, int] = {}
        self.count = 0
        f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def reserve(self) -> int:
        self.count += 1
        return self.count

    def write(self, num: int, obj: PdfObject) -> None:
        self.offsets[num] = self.f.tell()
        self.f.write(f"{num} 0 obj\n".encode())
        obj.write_to_stream(self.f)
        self.f.write(b"\nendobj\n")

    def finish(self, root: int, info: int | None) -> None:
        at = self.f.tell()
        size = self.count + 1
        rows = [b"xref\n", f"0 {size}\n".encode(), b"0000000000 65535 f \n"]
        rows += [f"{self.offsets[n]:010d} 00000 n \n".encode() for n in range(1, size)]
        info_ref = f" /Info {info} 0 R" if info else ""
        rows.append(f"trailer\n<< /Size {size} /Root {root} 0 R{info_ref} >>\n"
                    f"startxref\n{at}\n%%EOF\n".encode())
        self.f.write(b"".join(rows))


def _refs(obj: PdfObject, skip_parent: bool) -> list[IndirectObject]:
    """The references directly inside ``obj`` (a page's /Parent left out)."""
    found: list[IndirectObject] = []
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, IndirectObject):
            found.append(o)
        elif isinstance(o, DictionaryObject):
            stack += [v for k, v in o.items() if not (skip_parent and k == "/Parent")]
        elif isinstance(o, ArrayObject):
            stack += list(o)
    return found


def _renumber(obj: PdfObject, numbers: dict[int, int]) -> PdfObject:
    """``obj`` with every reference pointing at its new number (changed in place: the
    reader is dropped after)."""
    if isinstance(obj, IndirectObject):
        return IndirectObject(numbers[obj.idnum], 0, None)
    if isinstance(obj, DictionaryObject):
        for k, v in list(obj.items()):
            obj[k] = _renumber(v, numbers)
    elif isinstance(obj, ArrayObject):
        for i, v in enumerate(obj):
            obj[i] = _renumber(v, numbers)
    return obj


def _copy_part(reader: PdfReader, out: _Out, pages_root: int) -> list[int]:
    """Write every object the reader's pages use; return the pages' new numbers."""
    numbers: dict[int, int] = {}
    todo: list[IndirectObject] = []
    for page in reader.pages:
        ref = page.indirect_reference
        assert ref is not None
        numbers[ref.idnum] = out.reserve()
        todo.append(ref)
    page_ids = list(numbers)
    objects: list[tuple[int, PdfObject]] = []
    while todo:
        ref = todo.pop()
        obj = ref.get_object()
        assert obj is not None
        objects.append((ref.idnum, obj))
        for r in _refs(obj, skip_parent=ref.idnum in page_ids):
            if r.idnum not in numbers:
                numbers[r.idnum] = out.reserve()
                todo.append(r)
    for idnum, obj in objects:
        page_dict = obj if idnum in page_ids and isinstance(obj, DictionaryObject) else None
        if page_dict is not None:
            page_dict.pop("/Parent", None)
        _renumber(obj, numbers)
        if page_dict is not None:
            page_dict[NameObject("/Parent")] = IndirectObject(pages_root, 0, None)
        out.write(numbers[idnum], obj)
    return [numbers[i] for i in page_ids]


def _marks(reader: PdfReader, items: list, pages: list[int]) -> list[_Mark]:
    """The reader's outline (pypdf's nested list: a list after an item is its children)."""
    out: list[_Mark] = []
    for item in items:
        if isinstance(item, list):
            if out:
                out[-1].children += _marks(reader, item, pages)
            continue
        k = reader.get_destination_page_number(item)
        if k is not None and 0 <= k < len(pages):
            out.append(_Mark(str(item.title), pages[k], float(item.left or 0),
                             float(item.top or 0)))
    return out


def _write_outline(out: _Out, marks: list[_Mark]) -> int:
    """Outline items for ``marks`` (all open); returns the /Outlines dictionary's number."""
    root = out.reserve()

    def level(parent: int, items: list[_Mark]) -> tuple[int, int, int]:
        nums = [out.reserve() for _ in items]
        total = 0
        for i, (m, num) in enumerate(zip(items, nums)):
            d = DictionaryObject({
                NameObject("/Title"): TextStringObject(m.title),
                NameObject("/Parent"): IndirectObject(parent, 0, None),
                NameObject("/Dest"): ArrayObject([IndirectObject(m.page, 0, None),
                                                  NameObject("/XYZ"), FloatObject(m.left),
                                                  FloatObject(m.top), NumberObject(0)])})
            if i:
                d[NameObject("/Prev")] = IndirectObject(nums[i - 1], 0, None)
            if i + 1 < len(nums):
                d[NameObject("/Next")] = IndirectObject(nums[i + 1], 0, None)
            if m.children:
                first, last, n = level(num, m.children)
                d[NameObject("/First")] = IndirectObject(first, 0, None)
                d[NameObject("/Last")] = IndirectObject(last, 0, None)
                d[NameObject("/Count")] = NumberObject(n)
                total += n
            out.write(num, d)
        return nums[0], nums[-1], total + len(items)

    d = DictionaryObject({NameObject("/Type"): NameObject("/Outlines")})
    if marks:
        first, last, n = level(root, marks)
        d.update({NameObject("/First"): IndirectObject(first, 0, None),
                  NameObject("/Last"): IndirectObject(last, 0, None),
                  NameObject("/Count"): NumberObject(n)})
    out.write(root, d)
    return root


def _read_part(path: Path, out: _Out, pages_root: int
               ) -> tuple[list[int], list[_Mark], dict[str, str], str | None]:
    """One input written out: its pages' new numbers, its bookmarks, its metadata and
    language (the reader is gone when this returns)."""
    reader = PdfReader(path)
    pages = _copy_part(reader, out, pages_root)
    info = {str(key): str(v) for key, v in (reader.metadata or {}).items()}
    lang = reader.root_object.get("/Lang")
    return pages, _marks(reader, reader.outline, pages), info, None if lang is None else str(lang)


def join_pdfs(paths: list[Path], f: BinaryIO) -> None:
    """The pages of ``paths``, in order, as one PDF written to ``f``; the first file's
    title, language and metadata are the document's."""
    out = _Out(f)
    catalog, pages_root = out.reserve(), out.reserve()
    pages: list[int] = []
    marks: list[_Mark] = []
    info: dict[str, str] = {}
    lang: str | None = None
    title: _Mark | None = None
    for k, path in enumerate(paths):
        mine, new, part_info, part_lang = _read_part(path, out, pages_root)
        if not k:
            info, lang = part_info, part_lang
            marks = new
            title = marks[0] if len(marks) == 1 else None
        else:
            (title.children if title else marks).extend(new)
        pages += mine
    out.write(pages_root, DictionaryObject({
        NameObject("/Type"): NameObject("/Pages"), NameObject("/Count"): NumberObject(len(pages)),
        NameObject("/Kids"): ArrayObject([IndirectObject(p, 0, None) for p in pages])}))
    cat = DictionaryObject({NameObject("/Type"): NameObject("/Catalog"),
                            NameObject("/Pages"): IndirectObject(pages_root, 0, None),
                            NameObject("/Outlines"): IndirectObject(_write_outline(out, marks),
                                                                    0, None)})
    if marks:
        cat[NameObject("/PageMode")] = NameObject("/UseOutlines")
    if lang is not None:
        cat[NameObject("/Lang")] = TextStringObject(lang)
    out.write(catalog, cat)
    info_num = None
    if info:
        info_num = out.reserve()
        out.write(info_num, DictionaryObject({NameObject(k): TextStringObject(v)
                                              for k, v in info.items()}))
    out.finish(catalog, info_num)
