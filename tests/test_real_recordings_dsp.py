"""The DSP chain on real sEMG recorded by others (../shared/data; skipped when absent)."""
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from emg_monitor.dsp import FilterSettings, Pipeline, process_offline
from emg_monitor.model import Channel, DeviceInfo, Kind

UCI = ("5Nsen", "5Npie", "5Nmar")
UCI_FS = 1000.0
UCI_INFO = DeviceInfo(UCI_FS, tuple(Channel(n, Kind.RAW_EMG, "mV") for n in ("RF", "BF", "VM", "ST")))


def load_uci(path: Path) -> np.ndarray:
    """7 header lines, tab-separated RF BF VM ST (mV) FX; rows whose EMG cells are empty
    (5Nmar's goniometer column runs on) are dropped."""
    rows = []
    for line in path.read_text().splitlines()[7:]:
        cells = line.split("\t")
        if len(cells) < 4 or any(not c.strip() for c in cells[:4]):
            continue
        rows.append([float(c) for c in cells[:4]])
    return np.array(rows)


def line_amplitude(y: np.ndarray, f_hz: float, fs: float) -> np.ndarray:
    """Hann-windowed DFT magnitude at exactly f_hz (a lock-in on the mains line)."""
    t = np.arange(len(y)) / fs
    w = np.hanning(len(y))[:, None]
    return np.abs(((y - y.mean(axis=0)) * w * np.exp(-2j * np.pi * f_hz * t)[:, None]).sum(axis=0))


@pytest.fixture(params=UCI)
def uci(request, shared_data):
    path = shared_data / "uci-lowerlimb" / f"{request.param}.txt"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return load_uci(path)


def test_uci_filtered_power_lies_in_the_emg_band(uci):
    out = process_offline(uci, UCI_INFO).filtered[int(UCI_FS):]
    f, p = signal.welch(out, fs=UCI_FS, nperseg=1000, axis=0)
    band = (f >= 20) & (f <= 450)
    frac = p[band].sum(axis=0) / p.sum(axis=0)
    # 4th-order edges leave some 10-20 Hz of 5Nmar's large movement artefact: > 80 %, not ~100 %
    assert np.all(frac > 0.8), frac
    f, praw = signal.welch(uci - uci.mean(axis=0), fs=UCI_FS, nperseg=1000, axis=0)
    assert np.all(frac >= praw[band].sum(axis=0) / praw.sum(axis=0))
    low_raw = praw[f < 15].sum(axis=0) / praw.sum(axis=0)
    low_out = p[f < 15].sum(axis=0) / p.sum(axis=0)
    assert np.all(low_out < 0.2 * low_raw + 1e-3)     # movement artefact removed


def test_uci_auto_mains_never_picks_50_hz(uci):
    pipe = Pipeline(UCI_INFO)
    pipe.process(uci)
    assert pipe.mains_hz in (None, 60.0)


def test_uci_60_hz_hum_is_detected_and_removed_on_real_background(uci):
    """The stored files carry little coherent 60 Hz (see docs); a hum at half the channel RMS
    on this real background must be found by "auto", cut >= 20 dB, and leave the envelope
    within 1 % of the hum-free file processed with the same notch."""
    t = np.arange(len(uci)) / UCI_FS
    hum = 0.5 * uci.std(axis=0) * np.sin(2 * np.pi * 60 * t + 1.0)[:, None]
    pipe = Pipeline(UCI_INFO)
    out = pipe.process(uci + hum)
    assert pipe.mains_hz == 60.0
    skip = int(1.2 * UCI_FS)
    unnotched = process_offline(uci + hum, UCI_INFO, FilterSettings(mains="off")).filtered[skip:]
    drop_db = 20 * np.log10(line_amplitude(unnotched, 60, UCI_FS) / line_amplitude(out.filtered[skip:], 60, UCI_FS))
    assert np.all(drop_db >= 20.0), drop_db
    clean = process_offline(uci, UCI_INFO, FilterSettings(mains="60"))
    ratio = out.envelope[skip:].mean(axis=0) / clean.envelope[skip:].mean(axis=0)
    np.testing.assert_allclose(ratio, 1.0, atol=0.01)


def test_uci_notch_leaves_the_rest_of_the_spectrum_alone(uci):
    skip = int(1.2 * UCI_FS)
    a = process_offline(uci, UCI_INFO, FilterSettings(mains="off"))
    b = process_offline(uci, UCI_INFO, FilterSettings(mains="60"))
    f, pa = signal.welch(a.filtered[skip:], fs=UCI_FS, nperseg=1000, axis=0)
    _, pb = signal.welch(b.filtered[skip:], fs=UCI_FS, nperseg=1000, axis=0)
    away = (f >= 20) & (f <= 450)
    for line in (60, 120, 180):
        away &= np.abs(f - line) > 4
    change = pb[away].sum(axis=0) / pa[away].sum(axis=0) - 1
    assert np.all(np.abs(change) < 0.03), change
    env_change = b.envelope[skip:].mean(axis=0) / a.envelope[skip:].mean(axis=0) - 1
    assert np.all(np.abs(env_change) < 0.06), env_change      # "a few percent"


def independent_chain(x, fs, hp, lp, mains_hz, q, harmonics, order, window):
    """Plain SciPy, written separately: butter + sosfilt, iirnotch + lfilter, np.convolve RMS."""
    sos = signal.butter(order, [hp, lp], btype="bandpass", fs=fs, output="sos")
    y = signal.sosfilt(sos, x, zi=signal.sosfilt_zi(sos) * x[0])[0]
    for k in range(1, harmonics + 1):
        if mains_hz and k * mains_hz < lp:
            b, a = signal.iirnotch(k * mains_hz, q, fs=fs)
            y = signal.lfilter(b, a, y)
    rms = np.sqrt(np.convolve(y ** 2, np.ones(window) / window)[:len(y)])
    return y, rms


def test_uci_agrees_with_an_independent_scipy_computation(uci):
    s = FilterSettings(mains="60")
    out = process_offline(uci, UCI_INFO, s)
    w = int(round(s.rms_window_s * UCI_FS))
    for j in range(4):
        y, rms = independent_chain(uci[:, j], UCI_FS, s.highpass_other_hz, min(s.lowpass_hz, 0.45 * UCI_FS),
                                   60.0, s.notch_q, s.notch_harmonics, s.order, w)
        np.testing.assert_allclose(out.filtered[:, j], y, atol=1e-9 * np.abs(y).max())
        np.testing.assert_allclose(out.envelope[w:, j], rms[w:], rtol=1e-7)


def test_streaming_auto_mains_after_decision_equals_independent_chain(shared_data):
    path = shared_data / "uci-lowerlimb" / "5Nsen.txt"
    x = load_uci(path)
    t = np.arange(len(x)) / UCI_FS
    x = x + 0.5 * x.std(axis=0) * np.sin(2 * np.pi * 60 * t)[:, None]
    s = FilterSettings()
    pipe = Pipeline(UCI_INFO, s)
    parts = [pipe.process(x[i:i + 20]) for i in range(0, len(x), 20)]
    filt = np.vstack([p.filtered for p in parts])
    env = np.vstack([p.envelope for p in parts])
    n0 = int(s.mains_detect_s * UCI_FS)
    w = int(round(s.rms_window_s * UCI_FS))
    for j in range(4):
        y, rms = independent_chain(x[:, j], UCI_FS, 20.0, 450.0, 60.0, s.notch_q, s.notch_harmonics, s.order, w)
        np.testing.assert_allclose(filt[n0:, j], y[n0:], atol=1e-9 * np.abs(y).max())
        np.testing.assert_allclose(env[n0 + w:, j], rms[n0 + w:], rtol=1e-7)


def test_santuz_gluteus_maximus_peaks_early_in_every_gait_cycle(shared_data):
    folder = shared_data / "santuz-walking"
    emg = np.genfromtxt(folder / "ID0012_TW_01_emg.csv", delimiter=",", names=True)
    cycles = np.genfromtxt(folder / "ID0012_TW_01_cycles.csv", delimiter=",", names=True)
    t = emg["time"]
    fs = 1.0 / float(np.median(np.diff(t)))
    assert fs == pytest.approx(1000.0, rel=1e-3)
    info = DeviceInfo(fs, (Channel("MA", Kind.RAW_EMG, "uV"), Channel("ME", Kind.RAW_EMG, "uV")))
    out = Pipeline(info).process(np.column_stack([emg["MA"], emg["ME"]]))
    env = out.envelope[:, 0]
    td = np.atleast_1d(cycles["touchdown_s"])
    period = float(np.diff(td).mean())
    checked = 0
    for k, start in enumerate(td):
        end = td[k + 1] if k + 1 < len(td) else start + period
        if end > t[-1]:
            continue
        m = (t >= start) & (t < end)
        phase = (t[m][np.argmax(env[m])] - start) / (end - start)
        assert 0.0 <= phase <= 0.20, f"cycle {k + 1}: gluteus maximus peak at {phase:.0%} of the cycle"
        checked += 1
    assert checked >= 5
