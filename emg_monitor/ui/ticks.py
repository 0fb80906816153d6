"""Value-axis labels that never overlap in a short row (pure; the traces and the charts)."""
from __future__ import annotations

import math


def nice_up(x: float) -> float:
    """The smallest 1, 2 or 5 x 10^k not below ``x``."""
    decade = 10.0 ** math.floor(math.log10(x))
    return next(m * decade for m in (1, 2, 5, 10) if m * decade >= x * (1 - 1e-12))


def sparse_ticks(lo: float, hi: float, size_px: float, gap_px: float) -> tuple[float, list[float]]:
    """(step, values): 0 (or the lowest multiple of the step) and one or more round values,
    ``gap_px`` or more apart, none within half a label of the top edge (it would reach into
    the row above). A 35-pixel row reads "0 ... 40" where pyqtgraph's own choice stacked six
    labels on each other. No values for an empty or non-finite range."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0 and size_px > 0):
        return 0.0, []
    usable = span * (1.0 - 0.5 * gap_px / size_px)
    if usable <= 0:
        return 0.0, []
    step = nice_up(span * gap_px / size_px)        # the smallest step that keeps labels apart
    if step > usable:                              # no second label: a multiple of a finer step
        fine = nice_up(usable / 10.0)
        step = max(fine, math.floor(usable / fine) * fine)
    top = lo + usable + 1e-9 * span
    k = math.ceil(lo / step - 1e-9)
    values: list[float] = []
    while k * step <= top and len(values) < 100:
        values.append(0.0 if k == 0 else k * step)
        k += 1
    return step, values
