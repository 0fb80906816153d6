"""brainflow:// with BrainFlow's own synthetic board and playback-file board."""
from __future__ import annotations

import numpy as np
import pytest
from source_support import read_until

from emg_monitor.cli import main
from emg_monitor.errors import UserError
from emg_monitor.model import EventKind
from emg_monitor.sources.base import SourceError
from emg_monitor.sources.registry import SourceContext, make_source

bf = pytest.importorskip("brainflow.board_shim")
from brainflow.data_filter import DataFilter  # noqa: E402 - after the importorskip

SYNTH = int(bf.BoardIds.SYNTHETIC_BOARD.value)


def run(source, until, limit_s=30.0):
    return read_until(source, until, limit_s)


def test_synthetic_board_rate_and_channels_from_the_descriptor():
    source = make_source("brainflow://synthetic")
    info = source.open()
    assert info.sample_rate_hz == bf.BoardShim.get_sampling_rate(SYNTH) == 250
    assert info.names == ("left_glute", "left_erector", "right_glute", "right_erector")
    assert all(c.unit == "uV" for c in info.channels)
    col = run(source, lambda c: c.received() >= 300)
    index = np.concatenate([b.first_index + np.arange(b.n) for b in col.blocks])
    np.testing.assert_array_equal(index, np.arange(index.size))     # contiguous, from 0
    data = np.vstack([b.data for b in col.blocks])
    assert np.all(np.isfinite(data)) and data.std(axis=0).min() > 0
    assert not [e for e in col.events if e.kind == EventKind.GAP]


def write_playback(path, n=600, jump_at=300, jump_s=2.0):
    rows = bf.BoardShim.get_num_rows(SYNTH)
    d = np.zeros((rows, n))
    k = np.arange(n)
    d[bf.BoardShim.get_package_num_channel(SYNTH)] = k % 256
    for j, r in enumerate(bf.BoardShim.get_emg_channels(SYNTH)):
        d[r] = k * 0.5 + j
    ts = 1.7e9 + k / 250.0
    ts[jump_at:] += jump_s                          # the board stopped for 2 s
    d[bf.BoardShim.get_timestamp_channel(SYNTH)] = ts
    DataFilter.write_file(d, str(path), "w")
    return d


def test_playback_file_every_sample_in_place_with_the_gap_then_end(tmp_path):
    write_playback(tmp_path / "rec.csv")
    source = make_source(f"brainflow://playback_file?file={tmp_path / 'rec.csv'}"
                         "&master_board=synthetic",
                         SourceContext(channel_map={"EMG3": "left_glute", "EMG1": "left_erector"}))
    info = source.open()
    assert info.names == ("left_glute", "left_erector")
    col = run(source, lambda c: any(e.kind == EventKind.END for e in c.events))
    data = np.vstack([b.data for b in col.blocks])
    index = np.concatenate([b.first_index + np.arange(b.n) for b in col.blocks])
    k = np.arange(600)
    np.testing.assert_allclose(data[:, 0], k * 0.5 + 2)       # EMG3 (row 3) as left glute
    np.testing.assert_allclose(data[:, 1], k * 0.5 + 0)
    lost = 500                                                # 2 s at 250 Hz
    np.testing.assert_array_equal(index, np.where(k >= 300, k + lost, k))
    gaps = [e for e in col.events if e.kind == EventKind.GAP]
    assert len(gaps) == 1 and gaps[0].sample_index == 300
    assert gaps[0].duration_s == pytest.approx(lost / 250)
    assert source.stats.lost_samples == lost
    assert col.events[-1].kind == EventKind.END


def test_record_from_brainflow_and_export(tmp_path):
    from emg_monitor.session.reader import load_session
    write_playback(tmp_path / "rec.csv", n=1000, jump_at=500, jump_s=1.0)
    url = f"brainflow://playback_file?file={tmp_path / 'rec.csv'}&master_board=synthetic"
    assert main(["record", "--source", url, "--athlete", "Lab", "--seconds", "20",
                 "--out", str(tmp_path / "s")]) == 0
    s = load_session(tmp_path / "s")
    assert s.n_samples == 1000 and s.sample_rate_hz == 250
    assert s.info.names == ("left_glute", "left_erector", "right_glute", "right_erector")
    assert any(e.kind == EventKind.GAP for e in s.events)
    assert main(["export", str(tmp_path / "s"), "--format", "bdf",
                 "--out", str(tmp_path / "x")]) == 0


@pytest.mark.parametrize("url,message", [
    ("brainflow://", "needs a board"),
    ("brainflow://toaster", "unknown BrainFlow board 'toaster'; EMG boards: "),
    ("brainflow://12345", "unknown BrainFlow board '12345'"),
    ("brainflow://synthetic?baud=9600", "has no parameter baud"),
    ("brainflow://synthetic?ip_port=x", "ip_port='x'"),
    ("brainflow://synthetic?ip_port=70000", "ip_port='70000'"),
    ("brainflow://synthetic?timeout=-1", "timeout='-1'"),
    ("brainflow://playback_file?file=x.csv", "needs file=REC.csv and master_board"),
])
def test_bad_urls(url, message):
    with pytest.raises(UserError) as exc:
        make_source(url)
    assert message in str(exc.value)


@pytest.mark.parametrize("argv_url,message", [
    ("brainflow://cyton?serial_port=/dev/does-not-exist", "could not start board cyton"),
    ("brainflow://synthetic_board", None),
    ("brainflow://playback_file?file=/no/such.csv&master_board=synthetic", "playback file"),
    ("brainflow://synthetic?__map__", None),
])
def test_cli_lines(capsys, argv_url, message, tmp_path):
    if argv_url.endswith("?__map__"):
        rc = main(["monitor", "--source", "brainflow://synthetic", "--map", "EMG99=left_glute",
                   "--seconds", "1"])
        message = "no channel labelled 'EMG99'"
    else:
        rc = main(["monitor", "--source", argv_url, "--seconds", "1"])
    err = capsys.readouterr().err.strip()
    if message is None:
        assert rc == 0, err
    else:
        assert rc == 2 and message in err and "\n" not in err, err


def test_a_board_without_emg_channels_is_refused():
    # BrainFlow lists boards whose descriptor has no EMG channels (e.g. Muse S: EEG only)
    names = {b.name.lower().removesuffix("_board"): int(b.value) for b in bf.BoardIds}
    no_emg = next(n for n, v in names.items() if v >= 0 and n not in ("playback_file",)
                  and _has_descr(v) and not _emg(v))
    with pytest.raises(SourceError, match="has no EMG channels"):
        make_source(f"brainflow://{no_emg}").open()


def _has_descr(v):
    try:
        bf.BoardShim.get_board_descr(v)
        return True
    except bf.BrainFlowError:
        return False


def _emg(v):
    try:
        return bool(bf.BoardShim.get_emg_channels(v))
    except bf.BrainFlowError:
        return False
