import struct

from hypothesis import given, settings, strategies as st

from emg_monitor import protocol as p

counts_st = st.lists(st.integers(0, 1023), min_size=1, max_size=6)


def _stream(seqs, width=4):
    return [p.encode_samples(s, [(s * 7 + c) % 1024 for c in range(width)]) for s in seqs]


def test_crc_check_value():
    assert p.crc16(b"123456789") == 0x29B1


def test_round_trip_all_frame_types():
    hello = p.Hello(1, "1.2.3", 2000, 4, 2, 10, 64, True, 5000, (0, 1, 2, 3, 4, 5))
    data = (p.encode_hello(hello) + p.encode_samples(7, [1, 2, 1023]) + p.encode_ack(0x12)
            + p.encode_command(p.FrameType.SET_RATE, 500)
            + p.encode_command(p.FrameType.SET_CHANNELS, 2, 1) + p.encode_command(p.FrameType.START))
    frames = p.FrameDecoder().feed(data)
    assert frames[0] == hello
    assert frames[1] == p.Samples(7, (1, 2, 1023))
    assert frames[2] == p.Ack(0x12, p.AckStatus.OK)
    assert frames[3] == p.Unknown(p.FrameType.SET_RATE, struct.pack("<H", 500))
    assert frames[4] == p.Unknown(p.FrameType.SET_CHANNELS, bytes((2, 1)))
    assert frames[5] == p.Unknown(p.FrameType.START, b"")


def test_sequence_gap_and_wraparound_counted():
    seqs = [65533, 65534, 65535, 0, 1, 4, 5]          # wrap is continuous; 2 and 3 lost
    dec = p.FrameDecoder()
    frames = dec.feed(b"".join(_stream(seqs)))
    assert [f.lost_before for f in frames] == [0, 0, 0, 0, 0, 2, 0]
    assert dec.stats.lost_samples == 2


def test_crc_rejects_corruption_and_resyncs():
    frames = _stream(range(5))
    bad = bytearray(frames[2])
    bad[6] ^= 0x01
    dec = p.FrameDecoder()
    out = dec.feed(b"".join(frames[:2]) + bytes(bad) + b"".join(frames[3:]))
    assert [f.seq for f in out] == [0, 1, 3, 4]
    assert dec.stats.crc_errors >= 1
    assert dec.stats.lost_samples == 1


def test_impossible_length_skipped():
    out = p.FrameDecoder().feed(b"\xA5\x5A\x01\xff" + _stream([9])[0])
    assert [f.seq for f in out] == [9]


def test_sample_runs_split_on_width_change():
    frames = p.FrameDecoder().feed(b"".join(_stream([0, 1], 4) + _stream([2, 3, 4], 2)))
    runs = p.sample_runs(frames)
    assert [r[0].shape for r in runs] == [(2, 4), (3, 2)]


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data):
    dec = p.FrameDecoder()
    for f in dec.feed(data):
        assert isinstance(f, (p.Samples, p.Hello, p.Ack, p.Unknown))


@given(st.lists(counts_st, min_size=1, max_size=40), st.lists(st.integers(0, 2000), max_size=10))
def test_any_split_decodes_identically(rows, cuts):
    data = b"".join(p.encode_samples(i, r) for i, r in enumerate(rows))
    whole = p.FrameDecoder().feed(data)
    dec = p.FrameDecoder()
    parts = []
    prev = 0
    for c in sorted(min(c, len(data)) for c in cuts) + [len(data)]:
        parts += dec.feed(data[prev:c])
        prev = c
    assert parts == whole
    assert [f.counts for f in whole] == [tuple(r) for r in rows]


@settings(max_examples=300)
@given(st.integers(5, 60), st.data())
def test_random_corruption_yields_only_valid_frames_and_exact_loss(n, data):
    frames = _stream(range(n))
    corrupt = data.draw(st.sets(st.integers(1, n - 2), max_size=n // 3))
    stream = bytearray()
    for i, f in enumerate(frames):
        f = bytearray(f)
        if i in corrupt:
            pos = data.draw(st.integers(0, len(f) - 1))
            f[pos] ^= data.draw(st.integers(1, 255))
        stream += f
    # a corrupted length byte near the end makes the decoder wait for bytes that a
    # live stream would bring; pad so every pending frame is resolved
    stream += bytes(p.HEADER_LEN + p.MAX_PAYLOAD + p.CRC_LEN)
    dec = p.FrameDecoder()
    out = dec.feed(bytes(stream))
    valid = {i: tuple((i * 7 + c) % 1024 for c in range(4)) for i in range(n)}
    for f in out:                                   # nothing invented
        assert isinstance(f, p.Samples) and valid[f.seq] == f.counts
    seqs = [f.seq for f in out]
    assert seqs == sorted(seqs)
    assert set(range(n)) - set(seqs) <= corrupt      # only corrupted frames lost
    # the loss count is exact: every missing frame between the first and last seen
    assert dec.stats.lost_samples == (seqs[-1] - seqs[0] + 1) - len(seqs)
