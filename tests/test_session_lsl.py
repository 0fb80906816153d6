"""LSL outlets received by an inlet on this machine (skips without pylsl)."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

import numpy as np
import pytest

pylsl = pytest.importorskip("pylsl")

from emg_monitor.model import Verdict  # noqa: E402
from emg_monitor.session.lsl import LslOutlet  # noqa: E402

from session_support import rep  # noqa: E402


@dataclass(frozen=True)
class Chunk:            # the fields of engine.ProcessedChunk the outlet reads
    first_index: int
    sample_rate_hz: float
    emg_names: tuple
    envelope: np.ndarray
    envelope_unit: str


def inlet(name):
    found = pylsl.resolve_byprop("name", name, 1, 10.0)
    assert found, f"stream {name} not found on localhost"
    i = pylsl.StreamInlet(found[0])
    i.open_stream(10.0)
    return i


def test_envelopes_and_rep_markers_arrive():
    name = f"emgtest-{uuid.uuid4().hex[:8]}"
    out = LslOutlet(name=name, source_id=name)
    names = ("left_glute", "left_erector", "right_glute", "right_erector")
    env = np.arange(40, dtype=float).reshape(10, 4)
    out.on_processed(Chunk(0, 1000.0, names, env[:5], "pct_mvc"))     # creates the outlet
    env_in = inlet(f"{name}-envelopes")
    mark_in = inlet(f"{name}-reps")
    info = env_in.info()
    assert info.channel_count() == 4 and info.nominal_srate() == 1000.0
    ch = info.desc().child("channels").child("channel")
    assert ch.child_value("label") == "left_glute" and ch.child_value("unit") == "percent_mvc"
    time.sleep(0.5)                       # let the inlets subscribe before pushing
    out.on_processed(Chunk(5, 1000.0, names, env[5:], "pct_mvc"))
    r = rep(1, 3, 0.8, Verdict.LUMBAR_DOMINANT, 2.5)
    out.on_rep(r)
    got, stamps = [], []
    for _ in range(50):
        data, ts = env_in.pull_chunk(timeout=0.2)
        got += data
        stamps += ts
        if len(got) >= 5:
            break
    np.testing.assert_allclose(np.array(got[-5:]), env[5:])
    assert np.allclose(np.diff(stamps[-5:]), 0.001, atol=1e-6)   # from the sample index
    sample, _ = mark_in.pull_sample(timeout=10.0)
    marker = json.loads(sample[0])
    assert marker["rep"] == 3 and marker["verdict"] == "lumbar_dominant"
    assert marker["ratio"] == pytest.approx(0.8)
    out.close()
