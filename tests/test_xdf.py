"""analyze FILE.xdf: a LabRecorder-style file (written here) read with pyxdf, mapped like LSL."""
from __future__ import annotations

import csv

import numpy as np
import pytest
from xdf_support import XdfStreamSpec, write_xdf

from emg_monitor.analysis import analyze_recording
from emg_monitor.channel_map import build_map, channels_from_desc
from emg_monitor.cli import main
from emg_monitor.sim.athlete import Athlete, AthleteConfig
from emg_monitor.xdf import analyze_xdf, load_xdf_stream

pytest.importorskip("pyxdf")

RATE = 1000.0
T0 = 51234.5                         # LSL clock of the recording machine
LABELS = ("GluteL", "ES_L", "GluteR", "ES_R", "AccX", "AccY")
UNITS = ("millivolts", "millivolts", "millivolts", "millivolts", "g", "g")


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """Two sets of three reps; the amplifier stream vanishes for 0.8 s in the rest."""
    cfg = AthleteConfig(sets=2, reps_per_set=3, seed=11, rest_between_sets_s=8.0,
                        lumbar_pattern=(False, True, False))
    a = Athlete(cfg)
    data = a.render_all()                       # µV and g
    n = data.shape[0]
    first_set2 = min(r.t_start_s for r in a.truth if r.set_index == 2)
    gap_start = int((first_set2 - 4.0) * RATE)
    kept = np.r_[0:gap_start, gap_start + 800:n]
    rng = np.random.default_rng(2)
    stamps = T0 + kept / RATE + rng.normal(0, 2e-5, kept.size)      # network jitter
    values = data[kept].copy()
    values[:, :4] /= 1000.0                     # the amplifier streams millivolts
    emg = XdfStreamSpec("EMG-amp", "EMG", RATE, "float32", stamps, values, LABELS, UNITS,
                        chunk_sizes=(13, 7, 31, 1, 64))
    set_times = [min(r.t_start_s for r in a.truth if r.set_index == k) - 1.0 for k in (1, 2)]
    markers = XdfStreamSpec("session-markers", "Markers", 0, "string",
                            np.array([T0 + t for t in set_times] + [T0 + 1.0]),
                            [["set_start"], ["set_start"], ["camera on"]],
                            chunk_sizes=(1,))
    other = XdfStreamSpec("EEG-cap", "EEG", 250.0, "float32", T0 + np.arange(500) / 250.0,
                          np.zeros((500, 2)), ("Fp1", "Fp2"), ("uV", "uV"))
    folder = tmp_path_factory.mktemp("xdf")
    path = folder / "lab.xdf"
    write_xdf(path, [emg, markers, other])
    return a, data, kept, path


def test_stream_channels_units_timestamps_and_gap(recording):
    a, data, kept, path = recording
    rec = load_xdf_stream(path, "EMG-amp")
    assert rec.info.sample_rate_hz == RATE
    assert rec.info.names == ("left_glute", "left_erector", "right_glute", "right_erector",
                              "accel_x", "accel_y")
    assert rec.mapping.roles == {"GluteL": "left_glute", "ES_L": "left_erector",
                                 "GluteR": "right_glute", "ES_R": "right_erector",
                                 "AccX": "accel_x", "AccY": "accel_y"}
    # the stream index comes from the timestamps: the vanished 0.8 s is a gap of 800 samples
    np.testing.assert_array_equal(rec.sample_index, kept)
    np.testing.assert_allclose(rec.data, data[kept].astype(np.float32) * [1, 1, 1, 1, 1, 1],
                               rtol=2e-6, atol=1e-3)       # millivolts back in µV
    texts = [m[1] for m in rec.markers]
    assert texts.count("set_start") == 2 and "camera on" in texts


def test_analyze_xdf_finds_the_reps_in_their_sets(recording, tmp_path, capsys):
    a, data, kept, path = recording
    out = tmp_path / "reps.csv"
    assert main(["analyze", str(path), "--stream", "EMG-amp", "--set-marker", "set_start",
                 "--out", str(out)]) == 0
    with open(out, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(a.truth) == 6
    for row, truth in zip(rows, a.truth):
        assert int(row["set"]) == truth.set_index and int(row["rep"]) == truth.rep
        # times after the gap are not shifted by it
        assert abs(float(row["t_top_s"]) - truth.t_top_s) < 0.3
        assert row["glute_left_uv"] != ""
    # uncalibrated: no absolute verdict, but the lumbar rep stands out against the others
    assert {row["verdict"] for row in rows} == {"unknown"}
    assert float(rows[1]["ratio"]) < 0.8 * float(rows[0]["ratio"])
    # the XDF path is the recording path: same reps as the same samples analysed directly
    info = load_xdf_stream(path, "EMG-amp").info
    direct = analyze_recording(data[kept], info, first_index=kept)
    mine = analyze_xdf(path, "EMG-amp")
    assert [r.t_top_s for r in mine.reps] == pytest.approx([r.t_top_s for r in direct.reps],
                                                           abs=2e-3)


def test_unlabelled_channels_need_a_map(tmp_path):
    path = tmp_path / "plain.xdf"
    n = 3000
    a = Athlete(AthleteConfig(sets=1, reps_per_set=2, seed=3))
    x = a.render_all()[:, :2]
    write_xdf(path, [XdfStreamSpec("amp", "EMG", RATE, "double64", T0 + np.arange(len(x)) / RATE,
                                   x, ("EMG1", "EMG2"), ("uV", "uV"), chunk_sizes=(100,))])
    with pytest.raises(Exception, match="--map"):
        load_xdf_stream(path, "amp")
    rec = load_xdf_stream(path, "amp", {"EMG1": "left_glute", "emg2": "left_erector"})
    assert rec.info.names == ("left_glute", "left_erector")
    out = tmp_path / "r.csv"
    assert main(["analyze", str(path), "--map", "EMG1=left_glute", "EMG2=left_erector",
                 "--out", str(out)]) == 0          # one signal stream: --stream not needed
    assert n  # the recording is long enough for the filters


@pytest.mark.parametrize("args,message", [
    (["--stream", "nope"], "no stream named 'nope'"),
    (["--stream", "session-markers"], "carries text"),
    ([], "holds 2 signal streams"),
    (["--stream", "EMG-amp", "--map", "Foo=left_glute"], "no channel labelled 'Foo'"),
    (["--stream", "EMG-amp", "--map", "GluteL=biceps"], "unknown role 'biceps'"),
    (["--stream", "EMG-amp", "--map", "GluteL"], "LABEL=ROLE"),
    (["--stream", "EMG-amp", "--map", "ES_L=left_glute", "GluteL=left_glute"], "mapped to both"),
    (["--stream", "EMG-amp", "--set-marker", "go"], "no marker 'go'"),
    (["--stream", "EEG-cap"], "no channel mapped to a glute or an erector"),
])
def test_bad_input_is_one_line_exit_2(recording, tmp_path, capsys, args, message):
    _, _, _, path = recording
    rc = main(["analyze", str(path), *args, "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and message in err and "\n" not in err, err


def test_damaged_files_are_one_line(tmp_path, capsys, recording):
    _, _, _, good = recording
    junk = tmp_path / "junk.xdf"
    junk.write_bytes(b"not an xdf file at all")
    cut = tmp_path / "cut.xdf"
    cut.write_bytes(good.read_bytes()[:300])              # cut inside the stream headers
    for path, message in ((junk, "not a readable XDF"), (tmp_path / "none.xdf", "not found"),
                          (cut, "not a readable XDF")):
        rc = main(["analyze", str(path), "--stream", "EMG-amp", "--out", str(tmp_path / "o.csv")])
        err = capsys.readouterr().err.strip()
        assert rc == 2 and message in err and "\n" not in err, err


def test_a_recording_cut_mid_samples_keeps_what_was_written(recording, tmp_path):
    a, _, _, good = recording
    raw = good.read_bytes()
    cut = tmp_path / "cut.xdf"
    cut.write_bytes(raw[:int(len(raw) * 0.6)])             # LabRecorder killed mid-session
    res = analyze_xdf(cut, "EMG-amp")
    assert 0 < len(res.reps) < len(a.truth)
    for r in res.reps:
        assert min(abs(r.t_top_s - t.t_top_s) for t in a.truth) < 0.3


def test_desc_without_channels_is_labelled_by_number():
    chans = channels_from_desc(None, 3)
    assert [c.label for c in chans] == ["1", "2", "3"]
    m = build_map(chans, {"1": "right_glute", "3": "right_erector"})
    assert m.columns == (0, 2)
