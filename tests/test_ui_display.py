"""The display buffer's reduction for the GUI: per-bucket envelope picks and filtered min/max.

Lives with the UI tests because the dashboard is what draws these rows; the buffer itself
is Qt-free (engine.DisplayBuffer) and runs on the acquisition thread.
"""
import numpy as np
import pytest

from emg_monitor.engine import DisplayBuffer, ProcessedChunk

FS = 2000.0
NAMES = ("left_glute", "left_erector", "right_glute")


def chunk(first, filtered, envelope=None, angle=None, unit="uV"):
    return ProcessedChunk(first, FS, NAMES, filtered,
                          envelope if envelope is not None else np.abs(filtered), unit, angle)


def feed(sizes, filtered, envelope, angle, first=0, display=None):
    display = display or DisplayBuffer(seconds=10.0, display_rate_hz=100.0)
    i = 0
    for n in sizes:
        display.on_processed(chunk(first + i, filtered[i:i + n], envelope[i:i + n], angle[i:i + n]))
        i += n
    return display


@pytest.fixture
def signal():
    rng = np.random.default_rng(7)
    n = 4000 + 13                                     # 2 s and an unfinished bucket
    filtered = rng.normal(0, 50, (n, len(NAMES)))
    envelope = np.abs(filtered) + np.arange(n)[:, None]
    angle = np.linspace(0, 80, n)
    return filtered, envelope, angle


def test_peak_rows_are_the_min_and_max_of_every_bucket_whatever_the_chunking(signal):
    filtered, envelope, angle = signal
    k = 20                                           # 2 kHz / 100 Hz
    whole = feed([len(filtered)], filtered, envelope, angle)
    rng = np.random.default_rng(1)
    sizes = []
    while sum(sizes) < len(filtered):
        sizes.append(int(rng.integers(1, 57)))
    sizes[-1] -= sum(sizes) - len(filtered)
    parts = feed(sizes, filtered, envelope, angle)
    assert whole.step == parts.step == k
    m = len(filtered) // k
    buckets = filtered[:m * k].reshape(m, k, len(NAMES))
    ends = np.arange(k - 1, m * k, k)
    for d in (whole, parts):
        peak = d.peak.latest()
        assert peak.shape == (m, 1 + 2 * len(NAMES))
        np.testing.assert_allclose(peak[:, 0], ends / FS)
        np.testing.assert_array_equal(peak[:, 1:4], buckets.min(axis=1))
        np.testing.assert_array_equal(peak[:, 4:7], buckets.max(axis=1))
        env = d.envelope.latest()                    # public layout unchanged: t, envelopes, angle
        assert env.shape == (m, 2 + len(NAMES))
        np.testing.assert_array_equal(env[:, 1:4], envelope[ends])
        np.testing.assert_array_equal(env[:, -1], angle[ends])


def test_a_gap_starts_a_new_bucket_and_no_angle_means_nan():
    d = DisplayBuffer(seconds=10.0, display_rate_hz=100.0)
    a = np.ones((30, 3))
    d.on_processed(chunk(0, a))                                  # one bucket + 10 pending
    d.on_processed(chunk(1000, np.vstack([np.full((19, 3), 5.0), np.full((1, 3), -5.0)])))
    peak = d.peak.latest()
    assert len(peak) == 2
    assert peak[1, 0] == pytest.approx(1019 / FS)
    np.testing.assert_array_equal(peak[1, 1:4], -5.0)           # not mixed with the old 1.0s
    np.testing.assert_array_equal(peak[1, 4:7], 5.0)
    assert np.isnan(d.envelope.latest()[:, -1]).all()


def test_new_unit_rebuilds_the_buffers():
    d = DisplayBuffer(seconds=1.0)
    d.on_processed(chunk(0, np.ones((40, 3))))
    d.on_processed(chunk(40, np.ones((40, 3)), unit="pct_mvc"))
    assert d.envelope_unit == "pct_mvc" and len(d.peak.latest()) == 2
