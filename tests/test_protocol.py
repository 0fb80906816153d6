import random
import struct

import numpy as np
import pytest

from hypothesis import given, settings, strategies as st

from emg_monitor import protocol as p

counts_st = st.lists(st.integers(0, 1023), min_size=1, max_size=6)
SHAPE6 = p.StreamShape(6, 1023)


def _stream(seqs, width=4):
    return [p.encode_samples(s, [(s * 7 + c) % 1024 for c in range(width)]) for s in seqs]


def _crc_bitwise(data: bytes) -> int:
    """CRC-16/CCITT-FALSE written out bit by bit, independent of binascii."""
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def test_crc_check_value():
    assert p.crc16(b"123456789") == 0x29B1


@given(st.binary(max_size=300))
def test_crc_equals_the_bitwise_definition(data):
    assert p.crc16(data) == _crc_bitwise(data)


def test_round_trip_all_frame_types():
    hello = p.Hello(2, "1.2.3", 2000, 4, 0, 10, 64, True, 5000, (0, 1, 2, 3), 0b111, 0b011,
                    100, 4, 500)
    data = (p.encode_hello(hello) + p.encode_samples(7, [1, 2, 1023]) + p.encode_ack(0x12)
            + p.encode_imu(7, 1, [-32768, 32767, 0, 1, -1, 12345])
            + p.encode_imu_status(8, 0, p.ImuStatusCode.LOST)
            + p.encode_command(p.FrameType.SET_RATE, 500)
            + p.encode_command(p.FrameType.SET_CHANNELS, 2, 0, 3) + p.encode_command(p.FrameType.START))
    frames = p.FrameDecoder().feed(data)
    assert frames[0] == hello
    assert hello.imu_segments == ("pelvis", "thigh") and hello.imu_missing == ("thorax",)
    assert frames[1] == p.Samples(7, (1, 2, 1023))
    assert frames[2] == p.Ack(0x12, p.AckStatus.OK)
    assert frames[3] == p.ImuSample(7, 1, (-32768, 32767, 0, 1, -1, 12345))
    assert frames[4] == p.ImuStatus(8, 0, p.ImuStatusCode.LOST)
    assert frames[5] == p.Unknown(p.FrameType.SET_RATE, struct.pack("<H", 500))
    assert frames[6] == p.Unknown(p.FrameType.SET_CHANNELS, bytes((2, 0, 3)))
    assert frames[7] == p.Unknown(p.FrameType.START, b"")


def test_largest_frames_fit():
    hello = p.Hello(2, "2.0.0", 2000, 4, 2, 10, 64, True, 5000, (0, 1, 2, 3, 4, 5))
    assert len(p.encode_hello(hello)) == 6 + 20 + 6
    assert len(p.encode_samples(0, [0] * 6)) == 22
    assert len(p.encode_imu(0, 0, [0] * 6)) == 23


def test_sequence_gap_counted_and_32_bit_wrap_is_continuous():
    seqs = [2**32 - 3, 2**32 - 2, 2**32 - 1, 0, 1, 4, 5]     # 2 and 3 lost
    dec = p.FrameDecoder()
    frames = dec.feed(b"".join(_stream(seqs)))
    assert [f.lost_before for f in frames] == [0, 0, 0, 0, 0, 2, 0]
    assert dec.stats.lost_samples == 2


def test_65536_lost_frames_are_counted_not_folded_away():
    """A 16-bit counter made this gap look like no loss at all (issue 11)."""
    seqs = [100, 101, 101 + 65536 + 1, 101 + 65536 + 2]
    dec = p.FrameDecoder()
    frames = dec.feed(b"".join(_stream(seqs)))
    assert [f.seq for f in frames] == seqs
    assert frames[2].lost_before == 65536 and dec.stats.lost_samples == 65536


def test_crc_rejects_corruption_and_resyncs():
    frames = _stream(range(5))
    bad = bytearray(frames[2])
    bad[6] ^= 0x01
    dec = p.FrameDecoder()
    out = dec.feed(b"".join(frames[:2]) + bytes(bad) + b"".join(frames[3:]))
    assert [f.seq for f in out] == [0, 1, 3, 4]
    assert dec.stats.crc_errors >= 1
    assert dec.stats.lost_samples == 1


def test_phantom_frame_with_a_good_crc_is_not_believed():
    """A frame that passes the CRC but jumps the sequence and leaves the ADC range:
    the kind that once made the index jump by 63,531 and showed a 1.3 million uV sample."""
    good = _stream(range(10), width=6)
    phantom = p.encode_samples(63_531 + 5, [60_000, 1, 2, 3, 4, 5])
    jumper = p.encode_samples(63_531 + 6, [1, 2, 3, 4, 5, 6])   # plausible, but unconfirmed
    dec = p.FrameDecoder(SHAPE6)
    out = dec.feed(b"".join(good[:5]) + phantom + jumper + b"".join(good[5:]))
    assert [f.seq for f in out] == list(range(10))
    assert dec.stats.lost_samples == 0
    assert dec.stats.implausible == 1 and dec.stats.unconfirmed == 1


def test_wrong_width_is_implausible_once_the_shape_is_known():
    dec = p.FrameDecoder(p.StreamShape(4, 1023))
    out = dec.feed(b"".join(_stream([0, 1], 4) + _stream([2], 6) + _stream([2, 3], 4)))
    assert [f.seq for f in out] == [0, 1, 2, 3] and dec.stats.implausible == 1


def test_a_jump_waits_for_confirmation_and_keeps_stream_order():
    dec = p.FrameDecoder()
    first = dec.feed(b"".join(_stream([0, 1, 5])) + p.encode_ack(0x14))
    assert [type(f) for f in first] == [p.Samples, p.Samples] and dec.pending == 2
    rest = dec.feed(_stream([6])[0])
    assert [getattr(f, "seq", None) for f in rest] == [5, None, 6]
    assert rest[0].lost_before == 3 and dec.pending == 0


def test_every_other_frame_lost_is_still_believed_and_counted():
    """An overloaded board skips every other tick: each jump is confirmed by the next."""
    dec = p.FrameDecoder()
    out = dec.feed(b"".join(_stream(range(0, 40, 2))))
    assert [f.seq for f in out] == list(range(0, 38, 2)) and dec.pending == 1
    assert dec.stats.lost_samples == 18 and dec.stats.unconfirmed == 0


def test_a_phantom_hello_mid_stream_is_not_believed():
    """A HELLO mid-stream means the board reset (the source then restarts it): one made
    of corrupted bytes must not pass for it."""
    good = p.Hello(2, "2.0.0", 1000, 4, 2, 10, 128, False, 5000, (0, 1, 2, 3, 4, 5))
    bad = [p.Hello(2, "2.0.0", 1234, 4, 2, 10, 128, False, 5000, (0, 1, 2, 3, 4, 5)),
           p.Hello(2, "2.0.0", 1000, 7, 0, 10, 128, False, 5000, (0,) * 7),
           p.Hello(2, "2.0.0", 1000, 4, 0, 10, 128, False, 5000, (0, 1, 2, 3), 1, 3)]
    dec = p.FrameDecoder()
    dec.reset_sequence(0)
    out = dec.feed(_stream([0])[0] + b"".join(p.encode_hello(h) for h in bad)
                   + p.encode_frame(p.FrameType.HELLO, bytes([1]) + bytes(18))   # foreign version
                   + p.encode_hello(good))
    assert out[1:] == [good] and dec.stats.implausible == 4


def test_a_v1_board_is_named_by_its_version():
    v1 = p.encode_frame(p.FrameType.HELLO, bytes([1, 1, 0, 0, 0xE8, 0x03, 4, 2, 10, 128, 0, 0x88, 0x13])
                        + bytes(range(6)))
    (hello,) = p.FrameDecoder().feed(v1)
    assert hello.protocol_version == 1


def test_imu_stamp_far_from_the_stream_is_not_believed():
    dec = p.FrameDecoder()
    out = dec.feed(_stream([1000])[0] + p.encode_imu(1001 + p.IMU_STAMP_WINDOW + 1, 0, [0] * 6)
                   + p.encode_imu(995, 0, [1] * 6))
    assert [type(f) for f in out] == [p.Samples, p.ImuSample] and dec.stats.implausible == 1


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
        assert isinstance(f, (p.Samples, p.Hello, p.Ack, p.ImuSample, p.ImuStatus, p.Unknown))


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


def _damage(frame: bytes, rng: random.Random) -> bytes:
    """One of the ways a wire damages a frame: a changed byte, garbage, a lost run, a cut."""
    f = bytearray(frame)
    kind = rng.randrange(4)
    if kind == 0:
        pos = rng.randrange(len(f))
        f[pos] ^= rng.randrange(1, 256)
    elif kind == 1:
        pos = rng.randrange(len(f) + 1)
        garbage = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 30)))
        if rng.random() < 0.5:
            garbage = b"\xA5\x5A" + garbage          # a false sync word in the garbage
        f[pos:pos] = garbage
        f[rng.randrange(len(f))] ^= 0x01             # and the frame itself is hit
    elif kind == 2:
        pos = rng.randrange(len(f))
        del f[pos:pos + rng.randrange(1, 6)]
    else:
        del f[rng.randrange(1, len(f)):]
    return bytes(f)


def _corrupted_wire(rate: float, seed: int, n: int = 400, width: int = 6):
    rng = random.Random(seed)
    first = rng.choice([0, rng.randrange(2**32), 2**32 - n // 2])     # wrap included
    truth = {}
    stream = bytearray()
    damaged = []
    for k in range(n):
        seq = (first + k) % 2**32
        counts = [rng.randrange(1024) for _ in range(width)]
        truth[seq] = tuple(counts)
        frame = p.encode_samples(seq, counts)
        hit = 0 < k < n - 2 and rng.random() < rate      # the live stream goes on after the end
        stream += _damage(frame, rng) if hit else frame
        damaged.append(hit)
    return first, truth, damaged, bytes(stream)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([0.01, 0.10]), st.integers(0, 2**32 - 1), st.lists(st.integers(1, 600), max_size=8))
def test_wire_corruption_exact_loss_accounting(rate, seed, chunks):
    """1 % and 10 % of frames damaged: nothing invented, every loss counted exactly, and
    every intact frame between two intact ones delivered (a damaged neighbour may take
    its bytes: a cut frame completed by the next frame's first sync byte is exactly it)."""
    first, truth, damaged, data = _corrupted_wire(rate, seed)
    dec = p.FrameDecoder(SHAPE6)
    out, pos = [], 0
    for c in chunks + [len(data)]:
        out += dec.feed(data[pos:pos + c])
        pos += c
    out += dec.feed(data[pos:])
    assert all(isinstance(f, p.Samples) for f in out)
    ks = [(f.seq - first) % 2**32 for f in out]
    assert all(truth[f.seq] == f.counts for f in out)                   # nothing invented
    assert ks == sorted(set(ks))
    assert [f.lost_before for f in out[1:]] == [b - a - 1 for a, b in zip(ks, ks[1:])]
    assert out[0].lost_before == 0 and ks[0] == 0
    assert dec.stats.lost_samples == ks[-1] - ks[0] + 1 - len(ks)      # exact
    delivered = set(ks)
    n = len(damaged)
    for k in range(1, n - 1):
        if not (damaged[k - 1] or damaged[k] or damaged[k + 1]):
            assert k in delivered, k                                    # nothing valid lost


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
    # live stream would bring, and a jump waits for its confirming frame: the stream goes on
    stream += b"".join(_stream([n, n + 1]))
    dec = p.FrameDecoder()
    out = dec.feed(bytes(stream))
    valid = {i: tuple((i * 7 + c) % 1024 for c in range(4)) for i in range(n + 2)}
    for f in out:                                   # nothing invented
        assert isinstance(f, p.Samples) and valid[f.seq] == f.counts
    seqs = [f.seq for f in out]
    assert seqs == sorted(seqs)
    lost = set(range(n)) - set(seqs)
    assert lost <= corrupt | {i for i in range(n) if i - 1 in corrupt and i + 1 in corrupt}
    # the loss count is exact: every missing frame between the first and last seen
    assert dec.stats.lost_samples == (seqs[-1] - seqs[0] + 1) - len(seqs)


@settings(max_examples=60, deadline=None)
@given(first=st.integers(0, p.SEQ_MODULO - 1), n_ch=st.integers(1, 12),
       rows=st.integers(0, 60), seed=st.integers(0, 1000))
def test_a_run_of_frames_is_the_frames_one_by_one(first, n_ch, rows, seed):
    """The emulator's batched encoder writes exactly the bytes of the per-frame one,
    across the 32-bit sequence wrap, and the decoder reads them back."""
    counts = np.random.default_rng(seed).integers(0, 0x10000, (rows, n_ch))
    run = p.encode_samples_run(first, counts)
    assert run == b"".join(p.encode_samples(first + i, r) for i, r in enumerate(counts))
    frames = p.FrameDecoder().feed(run)
    assert [f.counts for f in frames] == [tuple(int(c) for c in r) for r in counts]


def test_a_run_refuses_counts_that_do_not_fit_16_bits():
    with pytest.raises(ValueError):
        p.encode_samples_run(0, np.array([[0, 70000]]))
    with pytest.raises(ValueError):
        p.encode_samples_run(0, np.array([[-1, 3]]))


class _FrameByFrame(p.FrameDecoder):
    """The decoder without its run fast path: the reference it must equal."""

    def _samples_run(self, *args) -> int:
        return 0


@settings(max_examples=80, deadline=None)
@given(st.sampled_from([0.0, 0.01, 0.10]), st.integers(0, 2**32 - 1),
       st.lists(st.integers(1, 600), max_size=8))
def test_the_run_fast_path_decodes_exactly_as_frame_by_frame(rate, seed, chunks):
    """Clean and corrupted wires, any split: the same frames, in the same order, with the
    same loss and error counts, as the decoder that looks at every frame on its own."""
    _, _, _, data = _corrupted_wire(rate, seed)
    fast, slow = p.FrameDecoder(SHAPE6), _FrameByFrame(SHAPE6)
    got, want, pos = [], [], 0
    for c in chunks + [len(data)]:
        got += fast.feed(data[pos:pos + c])
        want += slow.feed(data[pos:pos + c])
        pos += c
    assert got == want
    assert fast.stats == slow.stats
