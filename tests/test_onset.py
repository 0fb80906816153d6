import numpy as np

from emg_monitor.onset import hodges_bui_onset, quietest_window, tkeo, tkeo_onset


def _burst(fs=1000.0, onset_s=1.0, seed=0):
    rng = np.random.default_rng(seed)
    n = int(2 * fs)
    amp = np.where(np.arange(n) / fs >= onset_s, 10.0, 1.0)
    return rng.standard_normal(n) * amp


def test_tkeo_of_a_sine_is_constant():
    fs, f, a = 1000.0, 50.0, 2.0
    x = a * np.sin(2 * np.pi * f * np.arange(1000) / fs)
    psi = tkeo(x)
    np.testing.assert_allclose(psi[1:-1], a**2 * np.sin(2 * np.pi * f / fs) ** 2, rtol=1e-9)


def test_hodges_bui_finds_the_onset_on_an_envelope():
    fs = 1000.0
    x = np.abs(_burst(fs))
    env = np.convolve(x, np.ones(50) / 50, mode="full")[:x.size]
    i = hodges_bui_onset(env, fs, (100, 600), k=3, min_duration_s=0.025)
    assert i is not None and abs(i / fs - 1.0) < 0.05


def test_tkeo_onset_and_no_onset():
    fs = 1000.0
    i = tkeo_onset(_burst(fs, seed=1), fs, (100, 600))
    assert i is not None and abs(i / fs - 1.0) < 0.03
    quiet = np.random.default_rng(2).standard_normal(2000)
    assert hodges_bui_onset(np.abs(quiet) * 0 + 1.0, fs, (0, 500)) is None


def test_quietest_window():
    x = np.concatenate([np.full(100, 5.0), np.full(100, 1.0), np.full(100, 3.0)])
    a, b = quietest_window(x, 100.0, 0.5)
    assert 100 <= a and b <= 200
