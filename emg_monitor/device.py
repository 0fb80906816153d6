"""What the board's numbers mean: ADC counts <-> channel units, and the channels a HELLO describes.

One home for the device description, below both ``sources/`` (which decode a
real or emulated board) and ``sim/`` (which emulates one): it depends on the
records and the wire protocol only.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .model import EMG_PIN_ROLES, MOTION_PIN_NAMES, Channel, DeviceConfig, DeviceInfo, Kind
from .protocol import Hello

#: Arduino Uno/Nano digital number of A0; some firmwares report pins this way.
_A0_DIGITAL = 14
#: MPU-6050 axes in register order (ACCEL_XOUT..ACCEL_ZOUT, GYRO_XOUT..GYRO_ZOUT)
IMU_AXES = ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")
IMU_UNITS = ("g",) * 3 + ("deg_s",) * 3
#: MPU-6050 sensitivity at its smallest range (register map 4.17, 4.19):
#: 16384 LSB/g at +-2 g, 131 LSB/(deg/s) at +-250 deg/s; each doubling of the range halves it.
_ACCEL_LSB_PER_G_AT_2G = 16384.0
_GYRO_LSB_PER_DPS_AT_250 = 131.0


def imu_device_config(config: DeviceConfig, imu_segments: tuple[str, ...]) -> DeviceConfig:
    """The same board with I2C IMUs instead of the analog accelerometer: they share A4/A5."""
    return replace(config, n_motion=0 if imu_segments else config.n_motion,
                   imu_segments=tuple(imu_segments))


def imu_channel_names(segment: str) -> tuple[str, ...]:
    return tuple(f"{segment}_{axis}" for axis in IMU_AXES)


def _analog_index(pin: int) -> int:
    return pin - _A0_DIGITAL if pin >= _A0_DIGITAL else pin


def _full_scale(hello: Hello) -> float:
    return float(2 ** (hello.adc_bits or 10))


def info_from_hello(hello: Hello, config: DeviceConfig, device: str) -> DeviceInfo:
    """Channels named by the pin they come from (model.EMG_PIN_ROLES, MOTION_PIN_NAMES),
    then six Kind.IMU channels per IMU that answered, in IMU_SEGMENTS order."""
    emg_kind = Kind.ENVELOPE if config.emg_kind == Kind.ENVELOPE else Kind.RAW_EMG
    emg_unit = "mV" if emg_kind == Kind.ENVELOPE else "uV"
    channels: list[Channel] = []
    for i in range(hello.n_emg):
        pin = _analog_index(hello.pins[i]) if i < len(hello.pins) else i
        name, muscle, side = EMG_PIN_ROLES[pin if 0 <= pin < len(EMG_PIN_ROLES) else i]
        channels.append(Channel(name, emg_kind, emg_unit, muscle, side))
    for j in range(hello.n_motion):
        k = hello.n_emg + j
        pin = _analog_index(hello.pins[k]) - len(EMG_PIN_ROLES) if k < len(hello.pins) else j
        name = MOTION_PIN_NAMES[pin if 0 <= pin < len(MOTION_PIN_NAMES) else j]
        channels.append(Channel(name, Kind.MOTION, "g"))
    for segment in hello.imu_segments:
        channels += [Channel(n, Kind.IMU, u) for n, u in zip(imu_channel_names(segment), IMU_UNITS)]
    return DeviceInfo(sample_rate_hz=float(hello.sample_rate_hz), channels=tuple(channels),
                      device=device, firmware_version=hello.firmware_version,
                      protocol_version=hello.protocol_version, adc_bits=hello.adc_bits,
                      imu_rate_hz=float(hello.imu_rate_hz if hello.imu_present else 0),
                      imu_segments=hello.imu_segments, imu_missing=hello.imu_missing)


def _column_kinds(hello: Hello) -> np.ndarray:
    """True for EMG columns (the firmware sends the EMG pins first)."""
    return np.arange(hello.n_channels) < hello.n_emg


def counts_to_units(counts: np.ndarray, hello: Hello, config: DeviceConfig) -> np.ndarray:
    """ADC counts (n, channels) -> channel units (float64).

    Raw EMG: the MyoWare RAW output sits at mid-supply, so µV at the electrode =
    (pin mV - vref/2) * 1000 / gain. Envelope: mV at the pin. Accelerometer
    (ADXL335-like ratiometric output): g = (pin mV - zero-g mV) / (mV per g).
    """
    counts = np.asarray(counts, dtype=np.float64)
    mv = counts * (hello.vref_mv / _full_scale(hello))
    out = np.empty_like(mv)
    emg = _column_kinds(hello)
    if config.emg_kind == Kind.ENVELOPE:
        out[:, emg] = mv[:, emg]
    else:
        out[:, emg] = (mv[:, emg] - hello.vref_mv / 2.0) * 1000.0 / config.emg_gain
    out[:, ~emg] = (mv[:, ~emg] - config.accel_zero_g_mv) / config.accel_mv_per_g
    return out


def units_to_counts(values: np.ndarray, hello: Hello, config: DeviceConfig) -> np.ndarray:
    """Inverse of :func:`counts_to_units`, rounded and clipped to the ADC range (rails)."""
    values = np.asarray(values, dtype=np.float64)
    mv = np.empty_like(values)
    emg = _column_kinds(hello)
    if config.emg_kind == Kind.ENVELOPE:
        mv[:, emg] = values[:, emg]
    else:
        mv[:, emg] = values[:, emg] * config.emg_gain / 1000.0 + hello.vref_mv / 2.0
    mv[:, ~emg] = values[:, ~emg] * config.accel_mv_per_g + config.accel_zero_g_mv
    full = _full_scale(hello)
    counts = np.rint(mv * (full / hello.vref_mv))
    return np.clip(counts, 0, full - 1).astype(np.int64)


def lsb_units(hello: Hello, config: DeviceConfig) -> np.ndarray:
    """One ADC count in channel units, per column (the quantisation step)."""
    step_mv = hello.vref_mv / _full_scale(hello)
    emg = _column_kinds(hello)
    emg_step = step_mv if config.emg_kind == Kind.ENVELOPE else step_mv * 1000.0 / config.emg_gain
    return np.where(emg, emg_step, step_mv / config.accel_mv_per_g)


def imu_lsb_units(hello: Hello) -> np.ndarray:
    """One MPU-6050 count in g (accel xyz) and deg/s (gyro xyz) at the ranges the HELLO reports."""
    acc = hello.accel_range_g / 2.0 / _ACCEL_LSB_PER_G_AT_2G
    gyr = hello.gyro_range_dps / 250.0 / _GYRO_LSB_PER_DPS_AT_250
    return np.array([acc] * 3 + [gyr] * 3)


def imu_counts_to_units(counts: np.ndarray, hello: Hello) -> np.ndarray:
    """Raw signed counts (n, 6) -> g and deg/s."""
    return np.asarray(counts, dtype=np.float64) * imu_lsb_units(hello)


def imu_units_to_counts(values: np.ndarray, hello: Hello) -> np.ndarray:
    """g and deg/s (n, 6) -> the int16 counts an MPU-6050 reports (rounded, saturated)."""
    counts = np.rint(np.asarray(values, dtype=np.float64) / imu_lsb_units(hello))
    return np.clip(np.nan_to_num(counts), -32768, 32767).astype(np.int64)
