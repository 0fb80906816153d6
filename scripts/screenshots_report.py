"""The physiotherapist's report of the demo session, as pictures: the PDF's pages and the HTML.

    .venv/bin/python scripts/screenshots_report.py [--out docs/report-pages]

The demo session (seeds/demo) is copied to a temporary folder and reported there
(`emg-monitor report`), so nothing is written into the repository but the pictures:

- ``page-N.png``: every PDF page, rasterised by poppler's ``pdftoppm`` (poppler-utils);
- ``html-N.png``: the HTML as a browser shows it (screen CSS, not print), from headless
  Chromium (``apt install chromium``; only this script needs it), cut into screen-high
  parts. Without Chromium the HTML pictures are skipped with a notice.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML_WIDTH_PX = 1280
PART_HEIGHT_PX = 1600


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "report-pages"))
    ap.add_argument("--dpi", type=int, default=72, help="PDF page resolution (default 72)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtGui import QGuiApplication, QImage
    from shots import save_png

    from emg_monitor.cli import main as cli
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841

    tmp = Path(tempfile.mkdtemp(prefix="emg-report-"))
    session = tmp / "demo"
    shutil.copytree(ROOT / "seeds" / "demo", session)
    if cli(["report", str(session)]) != 0:
        raise SystemExit("screenshots_report: the report failed")
    for old in list(out.glob("page-*.png")) + list(out.glob("html-*.png")):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(args.dpi), "-png", str(session / "report.pdf"),
                    str(tmp / "page")], check=True)
    for i, page in enumerate(sorted(tmp.glob("page-*.png")), 1):
        save_png(QImage(str(page)), out / f"page-{i}.png")
        print(f"wrote {out / f'page-{i}.png'}")
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)
    if browser is None:
        print("screenshots_report: no Chromium: the HTML pictures are skipped", file=sys.stderr)
        return 0
    full = tmp / "html.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={HTML_WIDTH_PX},16000", f"--screenshot={full}",
                    (session / "report.html").as_uri()],
                   check=True, capture_output=True, env={**os.environ, "HOME": str(tmp)})
    for i, part in enumerate(_parts(full), 1):
        path = out / f"html-{i}.png"
        save_png(part, path)
        print(f"wrote {path}")
    return 0


def _parts(full: Path):
    """The page cut into screen-high parts, the empty space under the report dropped."""
    from PyQt6.QtGui import QImage
    image = QImage(str(full))
    background = image.pixel(image.width() - 1, image.height() - 1)
    bottom = image.height()
    while bottom > 1 and all(image.pixel(x, bottom - 1) == background
                             for x in range(0, image.width(), 8)):
        bottom -= 1
    for top in range(0, bottom, PART_HEIGHT_PX):
        yield image.copy(0, top, image.width(), min(PART_HEIGHT_PX, bottom - top) + 16)


if __name__ == "__main__":
    raise SystemExit(main())
