import threading

import numpy as np

from emg_monitor.ringbuffer import RingBuffer


def test_wraps_and_returns_oldest_first():
    rb = RingBuffer(5, 1)
    rb.append(np.arange(3))
    np.testing.assert_array_equal(rb.latest()[:, 0], [0, 1, 2])
    rb.append(np.arange(3, 8))
    np.testing.assert_array_equal(rb.latest()[:, 0], [3, 4, 5, 6, 7])
    np.testing.assert_array_equal(rb.latest(2)[:, 0], [6, 7])
    rb.append(np.arange(8, 20))          # more than capacity at once
    np.testing.assert_array_equal(rb.latest()[:, 0], [15, 16, 17, 18, 19])
    assert rb.total_written == 20


def test_concurrent_reader_never_sees_torn_rows():
    rb = RingBuffer(1000, 3)
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            rows = np.repeat(np.arange(i, i + 7)[:, None], 3, axis=1).astype(float)
            rb.append(rows)
            i += 7

    t = threading.Thread(target=writer)
    t.start()
    try:
        for _ in range(2000):
            snap = rb.latest()
            snap = snap[~np.isnan(snap[:, 0])]
            assert (snap == snap[:, :1]).all()          # every row written whole
            assert (np.diff(snap[:, 0]) == 1).all()      # in order, no gaps
    finally:
        stop.set()
        t.join()
