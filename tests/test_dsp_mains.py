"""Mains detection: 50, 60 or none, judged against the spectral neighbourhood."""
import numpy as np
import pytest
from scipy import signal

from emg_monitor.dsp import detect_mains_hz


def semg(n, fs, rng, n_ch=2):
    sos = signal.butter(4, [20, 0.4 * fs], "bandpass", fs=fs, output="sos")
    x = signal.sosfilt(sos, rng.normal(size=(n, n_ch)), axis=0)
    return x / x.std() * 30.0


@pytest.mark.parametrize("fs", [500.0, 1000.0, 2000.0])
@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_detects_the_line_present(fs, mains):
    rng = np.random.default_rng(int(fs + mains))
    n = int(fs)
    t = np.arange(n) / fs
    x = semg(n, fs, rng) + 15.0 * np.sin(2 * np.pi * mains * t)[:, None]   # hum at half the EMG RMS
    assert detect_mains_hz(x, fs) == mains
    assert detect_mains_hz(x[:, 0], fs) == mains


def test_clean_emg_gives_none_across_seeds():
    fs = 1000.0
    hits = [detect_mains_hz(semg(int(fs), fs, np.random.default_rng(s)), fs) for s in range(40)]
    assert hits.count(None) == 40


def test_silence_and_short_input_give_none():
    assert detect_mains_hz(np.zeros((1000, 2)), 1000.0) is None
    assert detect_mains_hz(np.ones(10), 1000.0) is None


def test_harmonic_only_hum_is_not_mistaken_for_the_other_mains():
    # a 50 Hz system with a strong 150 Hz harmonic must not read as 60 Hz
    fs = 2000.0
    t = np.arange(int(fs)) / fs
    x = semg(len(t), fs, np.random.default_rng(1)) + 10 * np.sin(2 * np.pi * 50 * t)[:, None] \
        + 15 * np.sin(2 * np.pi * 150 * t)[:, None]
    assert detect_mains_hz(x, fs) == 50.0
