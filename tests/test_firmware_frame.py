"""The firmware's framing header (arduino/emg_monitor/emg_frame.h), built for the
host with gcc, must produce the same bytes as emg_monitor.protocol, and its
byte-at-a-time command parser must survive garbage and over-long frames."""
from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from emg_monitor.protocol import (
    AckStatus, FrameType, Hello, ImuStatusCode, encode_ack, encode_command, encode_frame,
    encode_hello, encode_imu, encode_imu_status, encode_samples, crc16,
)

ROOT = Path(__file__).resolve().parents[1]
HEADER_DIR = ROOT / "arduino" / "emg_monitor"
SOURCE = ROOT / "tests" / "firmware" / "test_frame.c"
COUNTS = (0, 1, 512, 1023, 0x00A5, 0x5AA5)
PARSER_MAX_PAYLOAD = 8        # EMG_PARSER_MAX_PAYLOAD in emg_frame.h


@pytest.fixture(scope="module")
def test_frame(tmp_path_factory) -> Path:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.fail("no C compiler: install gcc (scripts/setup.sh does)")
    exe = tmp_path_factory.mktemp("firmware") / "test_frame"
    flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g"]
    sanitize = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
    cmd = [cc, *flags, *sanitize, "-I", str(HEADER_DIR), str(SOURCE), "-o", str(exe)]
    if subprocess.run(cmd, capture_output=True).returncode != 0:   # no sanitizer runtime
        cmd = [cc, *flags, "-I", str(HEADER_DIR), str(SOURCE), "-o", str(exe)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            pytest.fail(f"emg_frame.h does not compile on the host:\n{res.stderr}")
    return exe


@pytest.fixture(scope="module")
def encoded(test_frame) -> dict[str, str]:
    out = subprocess.run([str(test_frame), "encode"], capture_output=True, text=True, check=True)
    return dict(line.split(" ", 1) for line in out.stdout.splitlines())


def parse(test_frame: Path, stream: bytes) -> tuple[list[tuple[int, bytes]], dict[str, int]]:
    out = subprocess.run([str(test_frame), "parse"], input=stream.hex(), capture_output=True,
                         text=True, check=True)
    frames, stats = [], {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if parts[0] == "frame":
            frames.append((int(parts[1], 16), bytes.fromhex(parts[2] if len(parts) > 2 else "")))
        elif parts[0] == "stats":
            stats = dict(zip(("frames", "crc_errors", "overflows", "skipped"), map(int, parts[1:])))
    return frames, stats


def test_crc_check_value(encoded):
    assert int(encoded["crc_check"], 16) == crc16(b"123456789") == 0x29B1


def test_samples_frames_match_python(encoded):
    for seq in (0, 1, 0x5AA5, 65536, 2**32 - 1):
        for n in range(1, 7):
            assert bytes.fromhex(encoded[f"samples_{seq}_{n}"]) == encode_samples(seq, COUNTS[:n])


def test_imu_frames_match_python(encoded):
    values = (-32768, 32767, 0, 1, -1, 0x5AA5)
    for seg in range(3):
        assert bytes.fromhex(encoded[f"imu_{seg}"]) == encode_imu(0xA55A0000 + seg, seg, values)
        assert bytes.fromhex(encoded[f"imu_status_{seg}"]) == encode_imu_status(
            70000 + seg, seg, ImuStatusCode.LOST)


def test_mpu_burst_unpacks_big_endian_and_skips_the_temperature(encoded):
    assert [int(v) for v in encoded["mpu_unpack"].split()] == [-32768, 32767, 1, -1, 16384, -16384]


def test_ack_frames_match_python(encoded):
    for cmd in range(0x10, 0x16):
        for status in AckStatus:
            assert bytes.fromhex(encoded[f"ack_{cmd}_{int(status)}"]) == encode_ack(cmd, status)


def test_hello_frames_match_python(encoded):
    for rate in (500, 1000, 2000):
        for n_emg in range(1, 5):
            for n_motion in range(0, 3):
                for streaming in (0, 1):
                    n = n_emg + n_motion
                    prescaler = int(encoded[f"prescaler_{rate}_{n}"])
                    pins = tuple(range(n_emg)) + tuple(range(4, 4 + n_motion))
                    imu = (0, 0, 0) if n_motion else (7, 5, 100)
                    hello = Hello(2, "1.2.3", rate, n_emg, n_motion, 10, prescaler,
                                  bool(streaming), 5000, pins, *imu, 4, 500)
                    key = f"hello_{rate}_{n_emg}_{n_motion}_{streaming}"
                    assert bytes.fromhex(encoded[key]) == encode_hello(hello), key


def test_largest_payload_and_too_long(encoded):
    payload = bytes((i * 37) & 0xFF for i in range(64))
    assert bytes.fromhex(encoded["frame_max"]) == encode_frame(0x7F, payload)
    assert encoded["frame_too_long_len"] == "0"


def test_prescaler_choice(encoded):
    for rate in (500, 1000):
        for n in range(1, 7):
            assert encoded[f"prescaler_{rate}_{n}"] == "128"
    assert [encoded[f"prescaler_2000_{n}"] for n in range(1, 7)] == ["128"] * 3 + ["64"] * 3


def test_argument_rules(encoded):
    for rate in range(0, 3001, 250):
        assert encoded[f"rate_valid_{rate}"] == str(int(rate in (500, 1000, 2000)))
    for e in range(6):
        for m in range(4):
            for mask in range(9):
                ok = 1 <= e <= 4 and m <= 2 and mask < 8 and not (mask and m)
                assert encoded[f"channels_valid_{e}_{m}_{mask}"] == str(int(ok))


COMMANDS = [
    encode_command(FrameType.START),
    encode_command(FrameType.STOP),
    encode_command(FrameType.SET_RATE, 2000),
    encode_command(FrameType.SET_CHANNELS, 4, 2),
    encode_command(FrameType.INFO),
]


def test_parser_reads_every_command(test_frame):
    frames, stats = parse(test_frame, b"".join(COMMANDS))
    assert [(t, p) for t, p in frames] == [(c[2], c[4:-2]) for c in COMMANDS]
    assert stats == {"frames": 5, "crc_errors": 0, "overflows": 0, "skipped": 0}


def test_parser_survives_garbage_between_commands(test_frame):
    rng = random.Random(1234)
    stream, expected = bytearray(), []
    for i in range(300):
        # garbage without 0xA5 cannot fake a sync word, so every command must come through
        stream += bytes(rng.choice([b for b in range(256) if b != 0xA5])
                        for _ in range(rng.randrange(0, 20)))
        cmd = COMMANDS[i % len(COMMANDS)]
        stream += cmd
        expected.append((cmd[2], cmd[4:-2]))
    frames, stats = parse(test_frame, bytes(stream))
    assert frames == expected
    assert stats["crc_errors"] == 0


def test_parser_overflow_path_and_bad_crc(test_frame):
    too_long = encode_frame(0x30, bytes(range(PARSER_MAX_PAYLOAD + 1)))
    corrupted = bytearray(encode_command(FrameType.SET_RATE, 500))
    corrupted[-1] ^= 0xFF
    start = encode_command(FrameType.START)
    frames, stats = parse(test_frame, too_long + start + bytes(corrupted) + start)
    assert frames == [(FrameType.START, b""), (FrameType.START, b"")]
    assert stats["overflows"] == 1 and stats["crc_errors"] == 1 and stats["frames"] == 2


def test_parser_survives_random_bytes(test_frame):
    """Random streams, sync words and lengths included, under ASan/UBSan when available:
    no crash, and a clean command after the noise is still read."""
    rng = random.Random(99)
    for _ in range(20):
        noise = bytes(rng.getrandbits(8) for _ in range(2000))
        noise += b"\xA5\x5A" + bytes([0x13, 0xFF]) + bytes(300)          # absurd length
        tail = encode_command(FrameType.INFO)
        # a pending partial frame may swallow up to MAX+6 bytes; pad with non-sync bytes
        stream = noise + bytes(PARSER_MAX_PAYLOAD + 8) + tail
        frames, _ = parse(test_frame, stream)
        assert frames and frames[-1] == (FrameType.INFO, b"")
