"""The one line format every benchmark prints its headline figures in, for run_all.py.

A benchmark prints its own table for people, and, for each figure worth keeping, one
``FIGURE {json}`` line: ``emit("DSP live path, 20-sample chunks", 512.3, "x real time",
group="DSP")``. ``benchmarks/run_all.py`` runs every benchmark as its own process and
collects these lines into one table.
"""
from __future__ import annotations

import json
import math
import sys

PREFIX = "FIGURE "


def emit(name: str, value: float | str | None, unit: str = "", note: str = "",
         group: str = "") -> None:
    """Print one figure (``value`` None or NaN: measured as unavailable, say why in ``note``)."""
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    print(PREFIX + json.dumps({"group": group, "name": name, "value": value, "unit": unit,
                               "note": note}), flush=True)
    sys.stdout.flush()


def parse(line: str) -> dict | None:
    if not line.startswith(PREFIX):
        return None
    try:
        d = json.loads(line[len(PREFIX):])
    except ValueError:
        return None
    return d if isinstance(d, dict) and "name" in d else None
