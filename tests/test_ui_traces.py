"""The trace view: its scales and labels over every range a session can produce, and the
picture itself (where a trace is painted, where a gap leaves nothing)."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from emg_monitor.ui import theme
from emg_monitor.ui.ticks import sparse_ticks
from emg_monitor.ui.traces import AXIS_W_PX, GAP_PX, TracesView, finite_runs, next_y_range

from ui_support import pixels_of

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@given(lo=finite, span=st.floats(1e-6, 1e6), size=st.floats(20, 2000),
       gap=st.sampled_from([GAP_PX, 36]))
@settings(max_examples=400)
def test_tick_labels_never_overlap_nor_reach_the_row_above(lo, span, size, gap):
    hi = lo + span
    assume(hi > lo)
    step, values = sparse_ticks(lo, hi, size, gap)
    px = [size * (v - lo) / (hi - lo) for v in values]
    assert px == sorted(px) and all(p >= -1e-6 * size for p in px)
    assert all(p <= size - gap / 2 + 1e-6 * size for p in px)        # half a label from the top
    if len(px) > 2:
        assert all(b - a >= gap * (1 - 1e-9) for a, b in zip(px, px[1:]))
    assert all(math.isclose(v / step, round(v / step), abs_tol=1e-6) for v in values)


@given(hi=st.floats(1e-6, 1e6), size=st.floats(20, 2000))
def test_a_row_from_zero_always_reads_zero_and_one_value(hi, size):
    _, values = sparse_ticks(0.0, hi, size, GAP_PX)
    assert len(values) >= 2 and values[0] == 0.0


@pytest.mark.parametrize("lo, hi, size", [(0, 0, 100), (1, 0, 100), (0, math.nan, 100),
                                          (0, math.inf, 100), (0, 1, 0), (0, 1, -5), (0, 1, 5)])
def test_no_labels_for_a_range_that_is_not_one(lo, hi, size):
    assert sparse_ticks(lo, hi, size, GAP_PX)[1] == []


data = st.lists(st.one_of(finite, st.just(math.nan), st.just(math.inf), st.just(-math.inf)),
                min_size=1, max_size=60).map(np.array)


@given(y=data, symmetric=st.booleans(), emg=st.booleans())
@settings(max_examples=300)
def test_the_scale_holds_what_is_shown_and_then_stays(y, symmetric, emg):
    shown = y[np.isfinite(y)]
    new = next_y_range(y, None, symmetric=symmetric, min_span=5.0 if emg else None,
                       floor=None if emg else (-5.0, 90.0))
    if shown.size == 0:
        assert new is None                       # nothing to fit: the old scale stays
        return
    assert new is not None
    lo, hi = new
    assert math.isfinite(lo) and math.isfinite(hi) and hi > lo
    assert lo <= shown.min() and shown.max() <= hi
    if emg:
        assert hi - lo >= 5.0                    # a dead channel lies flat on a readable scale
    else:
        assert lo <= -5.0 and hi >= 90.0
    if symmetric and emg:                        # the filtered EMG: centred on zero, 5 % headroom
        assert math.isclose(hi, -1.1 * lo, rel_tol=1e-9)
    # the same data again: no change (the scale does not creep every frame)
    assert next_y_range(y, new, symmetric=symmetric, min_span=5.0 if emg else None,
                        floor=None if emg else (-5.0, 90.0)) is None


@given(y=data)
def test_runs_cover_exactly_the_finite_values(y):
    covered = np.zeros(y.size, dtype=bool)
    for a, b in finite_runs(y):
        assert 0 <= a < b <= y.size and not covered[a:b].any()
        covered[a:b] = True
    assert np.array_equal(covered, np.isfinite(y))


def _view(qtbot, names=("left_glute",)):
    view = TracesView()
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.configure(names, "uV", calibrated=False, has_angle=False)
    return view


def test_a_level_is_painted_at_its_height_and_a_gap_is_left_empty(qtbot):
    view = _view(qtbot)
    t = np.arange(0, 12, 0.01)
    level = np.full_like(t, 30.0)
    level[(t > 6.0) & (t < 8.0)] = np.nan          # a gap 6..4 s ago (t_now = 11.99)
    view.draw(np.column_stack([t, level, np.zeros_like(t)]), None)
    row = view.rows[0]
    lo, hi = row.y_range
    colour = theme.trace_colour("left_glute", 0)
    y_px = row.rect.bottom() - (30.0 - lo) / (hi - lo) * row.rect.height()
    band = row.rect.adjusted(2, 0, -2, 0)
    band.setTop(y_px - 2)
    band.setBottom(y_px + 2)
    assert pixels_of(view, band, colour) > 0.7 * band.width()       # the level, across the row
    above = row.rect.adjusted(0, 0, 0, 0)
    above.setBottom(y_px - 3)
    assert pixels_of(view, above, colour) == 0                      # and nowhere else
    x0 = row.rect.left() + (6.2 - 2.0) / 10.0 * row.rect.width()    # -5.79 s .. -3.99 s
    x1 = row.rect.left() + (7.8 - 2.0) / 10.0 * row.rect.width()
    gap = row.rect.adjusted(0, 0, 0, 0)
    gap.setLeft(x0)
    gap.setRight(x1)
    assert pixels_of(view, gap, colour) == 0                        # no line across the gap


def test_the_axes_and_marks_follow_the_data_on_screen(qtbot):
    """The cached layer (labels, axes, marks) is repainted when what it shows changes: a
    scale that grows relabels the axis, a channel that comes back loses its mark."""
    view = _view(qtbot)
    view.y_every = 1
    t = np.arange(0, 12, 0.01)
    row = view.rows[0]

    def show(level):
        view.draw(np.column_stack([t, np.full_like(t, level), np.zeros_like(t)]), None)
        axis = row.rect.adjusted(-AXIS_W_PX, 0, 0, 0)
        axis.setRight(row.rect.left() - 6)
        return view.grab().copy(axis.toAlignedRect()).toImage()

    small, large = show(30.0), show(300.0)
    assert small != large                          # other numbers on the value axis
    assert show(300.0) == large                    # and the same ones while nothing changes
    show(0.0)
    assert view.dead[0] and pixels_of(view, row.rect, theme.ORANGE) > 200
    show(30.0)
    assert not view.dead[0] and pixels_of(view, row.rect, theme.ORANGE) == 0


def test_hostile_values_paint_without_error(qtbot):
    view = _view(qtbot, ("left_glute", "right_glute"))
    view.y_every = 1                               # every draw fits its scale
    t = np.arange(0, 3, 0.01)
    wild = np.where(np.arange(t.size) % 7 == 0, 1e300, -1e300)
    wild[::11] = np.inf
    wild[::13] = np.nan
    for cols in ([wild, np.full_like(t, np.nan)], [np.zeros_like(t), wild]):
        view.draw(np.column_stack([t, *cols, wild]), None)
        view.grab()                                # painted: no overflow, no exception
    assert view.rows[0].y_range is not None and all(map(math.isfinite, view.rows[0].y_range))
