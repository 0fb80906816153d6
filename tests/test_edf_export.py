"""EDF+/BDF+ export read back by pyedflib and by MNE-Python (the physiotherapist's tools)."""
from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from session_support import device_info, rep

from emg_monitor.cli import main
from emg_monitor.dsp.calibration import Calibration
from emg_monitor.dsp.pipeline import FilterSettings, Pipeline
from emg_monitor.model import EventKind, SampleBlock, SourceEvent, Verdict
from emg_monitor.motion import MotionTracker
from emg_monitor.session import Recorder, SessionMeta, load_session
from emg_monitor.session.edf import (
    NUMBER_CHARS,
    Annotation,
    _number_text,
    edf_annotations,
    edf_number,
    export_edf,
    physical_range,
    record_layout,
    signal_labels,
)

pyedflib = pytest.importorskip("pyedflib")

GAP_AT, GAP_LEN = 2000, 350          # samples lost mid-session (a disconnection)


def make_session(folder, n=4250, calibrated=True, gap=True, rate=1000.0):
    info = device_info(rate)
    rng = np.random.default_rng(7)
    emg = rng.normal(0, 30, (n, 4)) * (1 + 5 * (np.arange(n)[:, None] % 1000 > 600))
    t = np.arange(n) / 300
    data = np.column_stack([emg, np.cos(t) * 0.9, np.sin(t) * 0.9])
    index = np.arange(n)
    if gap:
        index = np.where(index >= GAP_AT, index + GAP_LEN, index)
    cal = (Calibration(created_iso="2026-11-24T10:00:00+01:00", unit="uV",
                       rest_rms={k: 2.0 for k in info.names[:4]},
                       mvc_rms={k: 120.0 for k in info.names[:4]}) if calibrated else None)
    meta = SessionMeta(athlete="Zoë Test", exercise="deadlift",
                       filter_settings=FilterSettings(mains="off").to_dict(),
                       calibration=cal.to_dict() if cal else None,
                       started="2026-11-24T10:05:00+01:00")
    with Recorder(folder, meta) as rec:
        rec.on_info(info)
        rec.mark("set_start", set_index=1)
        pos, marked = 0, False
        while pos < n:
            # blocks never straddle the gap; irregular block sizes
            end = min(n, pos + 97)
            if pos < GAP_AT < end and gap:
                end = GAP_AT
            if gap and pos == GAP_AT:
                rec.on_event(SourceEvent(EventKind.GAP, int(index[pos - 1]) + 1, 0.0,
                                         "disconnected", GAP_LEN / rate))
            rec.on_block(SampleBlock(int(index[pos]), data[pos:end]))
            pos = end
            if pos >= 1500 and not marked:
                marked = True
                rec.mark("note", text="athlete reports a twinge in the left side of the low back")
                rec.mark("set_stop", set_index=1)
                rec.mark("set_start", set_index=2)
        for r in (rep(1, 1, 1.5, Verdict.GLUTES_FINISHED, 0.7, calibrated),
                  rep(1, 2, float("nan"), Verdict.UNKNOWN, 1.2, calibrated),
                  rep(2, 1, 0.8, Verdict.LUMBAR_DOMINANT, 3.1, calibrated)):
            rec.on_rep(r)
    return load_session(folder), data, index


def expected_signals(session):
    """Raw, envelope and angle computed independently: the pipeline over contiguous runs."""
    cal = Calibration.from_dict(session.calibration) if session.calibration else None
    pipe = Pipeline(session.info, FilterSettings(mains="off"), cal)
    motion = MotionTracker(session.info)
    idx = session.sample_index
    cuts = [0, *(np.flatnonzero(np.diff(idx) != 1) + 1).tolist(), idx.size]
    env = np.vstack([pipe.process(session.data[a:b]).envelope for a, b in zip(cuts, cuts[1:])])
    ang = np.concatenate([motion.process(session.data[a:b]) for a, b in zip(cuts, cuts[1:])])
    return np.column_stack([session.data, env, ang])


def read_back(path):
    with pyedflib.EdfReader(str(path)) as f:
        labels = f.getSignalLabels()
        rates = f.getSampleFrequencies()
        sigs = np.column_stack([f.readSignal(i) for i in range(f.signals_in_file)])
        heads = f.getSignalHeaders()
        onset, dur, text = f.readAnnotations()
    notes = [Annotation(float(o), float(d), str(t)) for o, d, t in zip(onset, dur, text)]
    return labels, rates, sigs, heads, notes


@pytest.mark.parametrize("fmt", ["edf", "bdf"])
def test_round_trip_samples_within_step_and_annotations_exact(tmp_path, fmt):
    session, data, index = make_session(tmp_path / "s")
    path = export_edf(session, tmp_path / "out", fmt)
    assert path.suffix == f".{fmt}"
    labels, rates, sigs, heads, notes = read_back(path)
    assert labels == ["EMG L glute", "EMG L erector", "EMG R glute", "EMG R erector",
                      "accel_x", "accel_y", "RMS L glute", "RMS L erector", "RMS R glute",
                      "RMS R erector", "inclination"]
    assert set(rates) == {1000.0}
    assert [h["dimension"] for h in heads] == ["uV"] * 4 + ["g"] * 2 + ["%MVC"] * 4 + ["deg"]
    expected = expected_signals(session)
    # every recorded sample sits at its stream index, within half a quantisation step
    pos = index - index[0]
    got = sigs[pos]
    step = np.array([(h["physical_max"] - h["physical_min"]) /
                     (h["digital_max"] - h["digital_min"]) for h in heads])
    assert np.all(np.abs(got - expected) <= step * (0.5 + 1e-6))
    # the physical range is the data's own, so the step is as fine as the format allows
    full = 65535 if fmt == "edf" else 16777215
    span = expected.max(axis=0) - expected.min(axis=0)
    assert np.all(step <= span / full * 1.01 + 1e-5)
    # the lost samples are written as the fill value, and marked bad
    lost = sigs[GAP_AT:GAP_AT + GAP_LEN, :4]
    assert np.all(np.abs(lost) <= step[:4])
    n_out = int(index[-1] - index[0] + 1)
    records = -(-n_out // 100)
    want = edf_annotations(session)
    if records * 100 > n_out:
        want.append(Annotation(n_out / 1000.0, (records * 100 - n_out) / 1000.0, "BAD_padding"))
    assert sorted(notes, key=lambda a: (a.onset_s, a.text)) == \
        sorted(want, key=lambda a: (a.onset_s, a.text))
    texts = [a.text for a in notes]
    assert "rep 1.1 ratio 1.50 glutes_finished" in texts
    assert "rep 1.2 ratio - unknown" in texts
    assert "rep 2.1 ratio 0.80 lumbar_dominant" in texts
    assert "BAD_gap disconnected" in texts
    assert [t for t in texts if t.startswith("set ")] == ["set 1 (2 reps)", "set 2 (1 reps)"]
    assert any(t.startswith("calibration 2026-11-24T10:00") for t in texts)
    note = next(t for t in texts if t.startswith("note"))
    assert len(note.encode()) <= 40 and note.startswith("note athlete reports a twinge")
    gap = next(a for a in notes if a.text == "BAD_gap disconnected")
    assert gap.onset_s == pytest.approx(GAP_AT / 1000.0) and gap.duration_s == GAP_LEN / 1000.0
    s1 = next(a for a in notes if a.text.startswith("set 1"))
    rec = session.sets[0]
    assert s1.onset_s == max(0.0, round(rec.t_start_s, 4))       # EDF+ onsets start at 0
    assert s1.duration_s == round(rec.t_end_s - max(0.0, rec.t_start_s), 4)


def test_mne_reads_our_files(tmp_path):
    mne = pytest.importorskip("mne")
    session, _, index = make_session(tmp_path / "s", calibrated=False)
    for fmt, reader in (("edf", mne.io.read_raw_edf), ("bdf", mne.io.read_raw_bdf)):
        path = export_edf(session, tmp_path / "out", fmt)
        labels, _, sigs, _, notes = read_back(path)
        raw = reader(str(path), preload=True, verbose="error")
        assert raw.ch_names == labels
        assert raw.info["sfreq"] == session.sample_rate_hz
        assert list(raw.annotations.description) == [a.text for a in notes]
        np.testing.assert_allclose(raw.annotations.onset, [a.onset_s for a in notes], atol=1e-9)
        # uncalibrated envelopes are in µV; MNE scales µV channels to volts
        emg = raw.get_data(picks=["EMG L glute"])[0]
        np.testing.assert_allclose(emg * 1e6, sigs[:, 0], rtol=1e-6, atol=1e-6)
        assert raw.annotations.orig_time is not None
        assert raw.info["meas_date"].strftime("%Y-%m-%d %H:%M") == "2026-11-24 10:05"


def test_bad_input_is_one_line(tmp_path, capsys):
    make_session(tmp_path / "s")
    assert main(["export", str(tmp_path / "s"), "--format", "edf", "--out",
                 str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "o" / "s.edf").exists() and "s.edf" in out
    assert main(["export", str(tmp_path / "s"), "--out", str(tmp_path / "csv")]) == 0
    assert len(list((tmp_path / "csv").glob("*.csv"))) == 3      # CSV stays the default
    blocker = tmp_path / "file"
    blocker.write_text("x")
    capsys.readouterr()
    assert main(["export", str(tmp_path / "s"), "--format", "bdf", "--out",
                 str(blocker / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err
    assert main(["export", str(tmp_path / "s"), "--format", "xls"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "xls" in err


def test_a_session_without_samples_is_refused(tmp_path, capsys):
    folder = tmp_path / "empty"
    with Recorder(folder, SessionMeta(athlete="a", exercise="deadlift")) as rec:
        rec.on_info(device_info())
    assert main(["export", str(folder), "--format", "edf"]) == 2
    assert "no samples" in capsys.readouterr().err


@pytest.mark.parametrize("rate", [250.0, 500.0, 2000.0, 512.0, 2148.1481, 1925.926, 1000 / 3])
def test_other_rates_keep_whole_samples_per_record(tmp_path, rate):
    session, data, _ = make_session(tmp_path / "s", n=1300, gap=False, rate=rate)
    path = export_edf(session, tmp_path / "o", "edf")
    labels, rates, sigs, heads, _ = read_back(path)
    assert len(set(rates)) == 1 and rates[0] == pytest.approx(rate, rel=1e-6)
    np.testing.assert_allclose(sigs[:1300, :4], data[:, :4].astype(np.float32),
                               atol=max((h["physical_max"] - h["physical_min"]) / 65535
                                        for h in heads[:4]))


def test_unrepresentable_rate_is_a_clear_error():
    from emg_monitor.errors import UserError
    with pytest.raises(UserError, match="EDF cannot store"):
        record_layout(0.05)
    assert record_layout(1000.0) == (0.1, 100)
    assert record_layout(2148.1481) == (0.108, 232)         # Delsys Trigno


finite = st.floats(min_value=-9.9e6, max_value=9.9e6, allow_nan=False)


@given(finite, finite)
@settings(max_examples=300, deadline=None)
def test_physical_range_holds_the_data_and_fits_the_header(a, b):
    lo, hi = min(a, b), max(a, b)
    pmin, pmax = physical_range(lo, hi)
    assert pmin <= lo and pmax >= hi and pmin < pmax
    for v in (pmin, pmax):
        assert edf_number(v, -1) == v == edf_number(v, +1)     # already representable
        assert len(_number_text(Decimal(repr(v)))) <= NUMBER_CHARS


@pytest.mark.parametrize("v", [float("nan"), float("inf"), -float("inf"), 0.0, 5e6, -1e-9])
def test_flat_or_empty_channels_get_a_valid_range(v):
    pmin, pmax = physical_range(v, v)
    assert pmin < pmax and (not math.isfinite(v) or pmin <= v <= pmax)


@pytest.mark.parametrize("bad", [3e38, float("nan"), float("inf"), -2e7])
def test_a_damaged_value_is_written_as_missing_and_the_rest_intact(tmp_path, bad):
    from emg_monitor.session.meta import sample_dtype
    session, data, _ = make_session(tmp_path / "s", n=1500, gap=False)
    samples = tmp_path / "s" / "samples.bin"
    rows = np.fromfile(samples, dtype=sample_dtype(6))
    rows["data"][700, 0] = bad                     # one damaged float in samples.bin
    rows.tofile(samples)
    path = export_edf(tmp_path / "s", tmp_path / "o")
    _, _, sigs, heads, _ = read_back(path)
    step = (heads[0]["physical_max"] - heads[0]["physical_min"]) / 65535
    assert abs(sigs[700, 0]) <= step                # the fill value, not a blown range
    keep = np.arange(1500) != 700
    assert np.all(np.abs(sigs[:1500][keep, 0] - data[keep, 0].astype(np.float32)) <= step)


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=12))
def test_labels_are_unique_short_ascii(names):
    from emg_monitor.model import Channel, DeviceInfo, Kind
    info = DeviceInfo(1000.0, tuple(Channel(n, Kind.RAW_EMG, "uV") for n in names))
    labels = signal_labels(info, tuple(names), True)
    assert len(labels) == 2 * len(names) + 1 == len(set(labels))
    assert all(0 < len(x) <= 16 and x.isascii() for x in labels)
