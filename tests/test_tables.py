"""Plain CSV tables on the csv module and NumPy's loader: whatever a spreadsheet or a
script writes with proper quoting loads, and damage is one line naming row and column."""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from emg_monitor.errors import UserError
from emg_monitor.tables import load_table

NAME = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
    lambda s: s.strip() == s and s.lower() not in ("t", "time", "t_s", "time_s")
    and not s.replace(".", "").replace("-", "").replace("e", "").isdigit())


def write(path, names, rows, delimiter=",", quoting=csv.QUOTE_MINIMAL):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator="\n")
    w.writerow(["t_s", *names])
    for k, row in enumerate(rows):
        w.writerow([f"{k / 500:.6f}", *(repr(float(v)) for v in row)])
    path.write_text(buf.getvalue(), encoding="utf-8")


def test_a_quoted_header_holding_the_delimiter_loads(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text('t_s,"glute, left","erector, left"\n0,1,2\n0.002,3,4\n0.004,5,6\n')
    t = load_table(p)
    assert t.names == ("glute, left", "erector, left") and t.sample_rate_hz == 500.0
    np.testing.assert_array_equal(t.data, [[1, 2], [3, 4], [5, 6]])


@settings(max_examples=60, deadline=None)
# found by hypothesis: a name holding the other delimiters once decided the delimiter
@example(names=[",0"], n=2, delimiter=";", quote_all=False, seed=0)
@example(names=[","], n=2, delimiter=";", quote_all=False, seed=0)
@example(names=["a;b", "c\td"], n=3, delimiter=",", quote_all=False, seed=1)
@given(names=st.lists(NAME, min_size=1, max_size=5, unique=True),
       n=st.integers(2, 40), delimiter=st.sampled_from([",", ";", "\t"]),
       quote_all=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_what_the_csv_module_writes_loads_back(tmp_path_factory, names, n, delimiter, quote_all,
                                               seed):
    p = tmp_path_factory.mktemp("t") / "r.csv"
    rows = np.random.default_rng(seed).normal(0, 100, (n, len(names)))
    write(p, names, rows, delimiter, csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    t = load_table(p)
    assert t.names == tuple(names)
    np.testing.assert_array_equal(t.data, rows)
    assert t.sample_rate_hz == pytest.approx(500.0)


@pytest.mark.parametrize("body, message", [
    ("0,1,2\n0.002,3\n", "row 3 has 2 cells"),
    ("0,1,2\n0.002,x,4\n", "row 3, column 'a': 'x' is not a number"),
    ("0,1,2\n0.002,nan,4\n", "row 3, column 'a': 'nan' is not a finite number"),
    ("0,1,2\n0.002,1,inf\n", "row 3, column 'b'"),
])
def test_damage_is_one_line_with_row_and_column(tmp_path, body, message):
    p = tmp_path / "r.csv"
    p.write_text("t_s,a,b\n" + body)
    with pytest.raises(UserError, match=message):
        load_table(p)


def test_a_damaged_first_row_is_named_not_taken_for_the_delimiter(tmp_path):
    """';' file, a name holding a comma, and a first row written with a decimal comma: the
    rows after it decide the delimiter, and the damage is the one line it always was."""
    p = tmp_path / "r.csv"
    p.write_text("t_s;a,1;b\n0;1,5\n0.002;2;3\n0.004;4;5\n")
    with pytest.raises(UserError, match="row 2 has 2 cells, the header has 3"):
        load_table(p)


def test_lines_of_spaces_and_crlf_are_tolerated(tmp_path):
    p = tmp_path / "r.csv"
    p.write_bytes(b"t_s,a\r\n0,1\r\n   \r\n0.002,2\r\n0.004,3\r\n")
    t = load_table(p)
    np.testing.assert_array_equal(t.data[:, 0], [1, 2, 3])
