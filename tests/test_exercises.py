"""One exercise registry: every screen, the simulator and the CLI read exercises.py."""
from __future__ import annotations

import pytest

from emg_monitor.cli import main
from emg_monitor.exercises import EXERCISES, get_exercise
from emg_monitor.session import load_session
from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.sim.movements import MOVEMENTS
from emg_monitor.ui.app import exercise_names


def test_the_simulator_moves_exactly_the_registered_exercises():
    assert set(MOVEMENTS) == set(EXERCISES)
    assert exercise_names() == tuple(EXERCISES)


@pytest.mark.parametrize("alias, name", [("rdl", "romanian_deadlift"), ("Hip thrust", "hip_thrust"),
                                          ("romanian-deadlift", "romanian_deadlift")])
def test_aliases_resolve_to_one_name_everywhere(alias, name):
    assert get_exercise(alias).name == name
    assert Athlete(AthleteConfig(exercise=alias, sets=0)).config.exercise == name


def test_an_unknown_exercise_is_a_value_error_naming_the_choices():
    with pytest.raises(ValueError, match="deadlift"):
        get_exercise("curls")
    with pytest.raises(ValueError, match="deadlift"):
        Athlete(AthleteConfig(exercise="curls"))


def test_record_simulate_rdl(tmp_path, monkeypatch):
    monkeypatch.setenv("EMG_MONITOR_HOME", str(tmp_path / "home"))
    out = tmp_path / "s"
    assert main(["record", "--simulate", "--exercise", "rdl", "--athlete", "A", "--seconds", "2",
                 "--speed", "20", "--out", str(out)]) == 0
    s = load_session(out)
    assert s.meta.exercise == "romanian_deadlift" and len(s.data) == 2000
