"""Saving the docs' screenshots: small PNGs, so a few dozen of them stay light in the repository.

A dashboard screenshot has a few flat colours and anti-aliased text; a 256-colour palette
(Pillow's median cut, no dithering) keeps it looking the same at about a third of the
size. Pillow comes with WeasyPrint; without it the full-colour PNG is written.
"""
from __future__ import annotations

import io
from pathlib import Path


def save_png(image, path: Path) -> None:
    """``image``: a QPixmap or QImage (``QWidget.grab()``)."""
    from PyQt6.QtCore import QBuffer, QIODevice
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    data = buffer.data().data()
    try:
        from PIL import Image
    except ImportError:
        Path(path).write_bytes(data)
        return
    picture = Image.open(io.BytesIO(data)).convert("RGB")
    picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                     dither=Image.Dither.NONE).save(path, optimize=True)
