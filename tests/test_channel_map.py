"""Labels -> roles for LSL streams and XDF files: guesses, overrides, units, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emg_monitor.channel_map import (
    EMG_ROLES,
    ROLES,
    StreamChannel,
    build_map,
    guess_role,
    parse_map,
)
from emg_monitor.errors import UserError


@pytest.mark.parametrize("label,role", [
    ("L_Glute", "left_glute"), ("GluteL", "left_glute"), ("Glute_R", "right_glute"),
    ("RGlute", "right_glute"), ("left gluteus maximus", "left_glute"), ("GMax_R", "right_glute"),
    ("ES_L", "left_erector"), ("R ES", "right_erector"), ("LES", "left_erector"),
    ("erector_spinae_right", "right_erector"), ("lumbar L", "left_erector"),
    ("AccX", "accel_x"), ("acc_y", "accel_y"), ("trunk_angle", "angle"),
    ("EMG1", None), ("Glute", None), ("ES", None), ("Fp1", None), ("Glute L R", None),
])
def test_guesses(label, role):
    assert guess_role(StreamChannel(label)) == role


def test_units_are_converted_at_the_edge():
    chans = [StreamChannel("GluteL", "mV"), StreamChannel("ES_L", "volts"),
             StreamChannel("AccX", "m/s^2"), StreamChannel("AccY", "g"),
             StreamChannel("Trigger", "")]
    m = build_map(chans)
    x = np.array([[1.0, 0.001, 9.80665, 0.5, 7.0]])
    np.testing.assert_allclose(m.apply(x), [[1000.0, 1000.0, 1.0, 0.5]])
    assert [c.unit for c in m.channels] == ["uV", "uV", "g", "g"]
    with pytest.raises(UserError, match="'ES_L' is in 'furlongs'"):
        build_map([StreamChannel("GluteL", "uV"), StreamChannel("ES_L", "furlongs")])


def test_an_override_wins_over_a_guess_and_ignore_drops():
    chans = [StreamChannel("GluteL"), StreamChannel("GluteR"), StreamChannel("EMG3")]
    m = build_map(chans, {"GluteL": "ignore", "EMG3": "left_glute"})
    assert [c.name for c in m.channels] == ["left_glute", "right_glute"]
    assert m.columns == (2, 1)
    assert m.roles == {"GluteL": "ignore", "GluteR": "right_glute", "EMG3": "left_glute"}


labels = st.lists(st.text(min_size=1, max_size=12).filter(lambda s: "=" not in s and s.strip()),
                  min_size=1, max_size=8)


@given(labels, st.dictionaries(st.integers(0, 7), st.sampled_from(ROLES), max_size=4))
def test_any_labels_and_overrides_give_a_map_or_one_clear_error(names, picks):
    chans = [StreamChannel(n) for n in names]
    overrides = {names[i].strip(): r for i, r in picks.items() if i < len(names)}
    try:
        m = build_map(chans, overrides)
    except UserError as exc:
        assert "\n" not in str(exc)
        return
    roles = [c.name for c in m.channels]
    assert len(roles) == len(set(roles)) and set(roles) & set(EMG_ROLES)
    assert all(0 <= i < len(chans) for i in m.columns)


@pytest.mark.parametrize("item,message", [("x", "LABEL=ROLE"), ("=left_glute", "LABEL=ROLE"),
                                          ("a=knee", "unknown role")])
def test_parse_map_rejects(item, message):
    with pytest.raises(UserError, match=message):
        parse_map([item])


def test_parse_map_keeps_labels_with_equals_signs():
    assert parse_map(["ch=1=left_glute", " ES L = RIGHT_ERECTOR"]) == {
        "ch=1": "left_glute", "ES L": "right_erector"}
