/*
 * emg_frame.h - the wire protocol of emg-monitor (docs/protocol.md), header-only.
 *
 * Framing, CRC-16/CCITT-FALSE and a byte-at-a-time command parser. Plain C99
 * that compiles with avr-gcc (firmware) and host gcc (tests/firmware/test_frame.c),
 * so the bytes the board sends are unit-tested against emg_monitor/protocol.py.
 *
 * Frame: A5 5A | type | len | payload[len] | crc16 LE, CRC over type, len, payload.
 * Encoding is kept apart from parsing (after Firmata's FirmataParser/Marshaller).
 */
#ifndef EMG_FRAME_H
#define EMG_FRAME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMG_SYNC0 0xA5u
#define EMG_SYNC1 0x5Au
#define EMG_HEADER_LEN 4u
#define EMG_CRC_LEN 2u
#define EMG_MAX_PAYLOAD 64u
#define EMG_MAX_FRAME (EMG_HEADER_LEN + EMG_MAX_PAYLOAD + EMG_CRC_LEN)
#define EMG_PROTOCOL_VERSION 2u
#define EMG_MAX_EMG 4u
#define EMG_MAX_MOTION 2u
#define EMG_MAX_CHANNELS (EMG_MAX_EMG + EMG_MAX_MOTION)
#define EMG_FIRST_MOTION_PIN 4u   /* A0..A3 EMG, A4..A5 motion */
#define EMG_HELLO_FIXED_LEN 20u   /* struct "<BBBBHBBBBBHBBHBH" */
#define EMG_N_IMUS 3u             /* bit i of an IMU mask: pelvis, thigh, thorax */
#define EMG_IMU_VALUES 6u         /* accel xyz, gyro xyz */

/* Commands are tiny; a longer frame is dropped through the overflow path. */
#ifndef EMG_PARSER_MAX_PAYLOAD
#define EMG_PARSER_MAX_PAYLOAD 8u
#endif

enum emg_frame_type {
    EMG_SAMPLES = 0x01, EMG_HELLO = 0x02, EMG_ACK = 0x03, EMG_IMU = 0x04, EMG_IMU_STATUS = 0x05,
    EMG_CMD_START = 0x10, EMG_CMD_STOP = 0x11, EMG_CMD_SET_RATE = 0x12,
    EMG_CMD_SET_CHANNELS = 0x13, EMG_CMD_INFO = 0x14
};

enum emg_ack_status { EMG_ACK_OK = 0, EMG_ACK_BAD_ARGUMENT = 1, EMG_ACK_UNKNOWN_COMMAND = 2 };
enum emg_imu_status { EMG_IMU_LOST = 1, EMG_IMU_TIMEOUT = 2 };

/* CRC-16/CCITT-FALSE, one byte: shift-and-xor form of poly 0x1021 (no 512-byte table). */
static inline uint16_t emg_crc16_update(uint16_t crc, uint8_t byte)
{
    uint8_t x = (uint8_t)((crc >> 8) ^ byte);
    x ^= (uint8_t)(x >> 4);
    return (uint16_t)((crc << 8) ^ ((uint16_t)x << 12) ^ ((uint16_t)x << 5) ^ x);
}

static inline uint16_t emg_crc16(const uint8_t *data, uint16_t n)
{
    uint16_t crc = 0xFFFFu;
    uint16_t i;
    for (i = 0; i < n; i++) crc = emg_crc16_update(crc, data[i]);
    return crc;
}

static inline void emg_put_u16(uint8_t *out, uint16_t v)
{
    out[0] = (uint8_t)(v & 0xFFu);
    out[1] = (uint8_t)(v >> 8);
}

static inline void emg_put_u32(uint8_t *out, uint32_t v)
{
    emg_put_u16(out, (uint16_t)(v & 0xFFFFu));
    emg_put_u16(out + 2, (uint16_t)(v >> 16));
}

/* Wrap the payload already at out + EMG_HEADER_LEN; returns the frame length, 0 if too long. */
static inline uint8_t emg_frame_finish(uint8_t *out, uint8_t type, uint8_t len)
{
    if (len > EMG_MAX_PAYLOAD) return 0;
    out[0] = EMG_SYNC0;
    out[1] = EMG_SYNC1;
    out[2] = type;
    out[3] = len;
    emg_put_u16(out + EMG_HEADER_LEN + len, emg_crc16(out + 2, (uint16_t)(len + 2u)));
    return (uint8_t)(EMG_HEADER_LEN + len + EMG_CRC_LEN);
}

/* out must hold EMG_MAX_FRAME bytes. Returns the frame length, 0 if the payload is too long. */
static inline uint8_t emg_encode_frame(uint8_t *out, uint8_t type, const uint8_t *payload,
                                       uint8_t len)
{
    uint8_t i;
    if (len > EMG_MAX_PAYLOAD) return 0;
    for (i = 0; i < len; i++) out[EMG_HEADER_LEN + i] = payload[i];
    return emg_frame_finish(out, type, len);
}

/* v2: a 32-bit sample counter, so a long dropout is counted instead of folded away. */
static inline uint8_t emg_encode_samples(uint8_t *out, uint32_t seq, const uint16_t *counts,
                                         uint8_t n)
{
    uint8_t i;
    uint8_t *p = out + EMG_HEADER_LEN;
    if (n > EMG_MAX_CHANNELS) return 0;
    emg_put_u32(p, seq);
    for (i = 0; i < n; i++) emg_put_u16(p + 4u + 2u * i, counts[i]);
    return emg_frame_finish(out, EMG_SAMPLES, (uint8_t)(4u + 2u * n));
}

/* One IMU read, stamped with the EMG sample index of the tick that started it. */
static inline uint8_t emg_encode_imu(uint8_t *out, uint32_t index, uint8_t segment,
                                     const int16_t *values)
{
    uint8_t i;
    uint8_t *p = out + EMG_HEADER_LEN;
    emg_put_u32(p, index);
    p[4] = segment;
    for (i = 0; i < EMG_IMU_VALUES; i++) emg_put_u16(p + 5u + 2u * i, (uint16_t)values[i]);
    return emg_frame_finish(out, EMG_IMU, (uint8_t)(5u + 2u * EMG_IMU_VALUES));
}

static inline uint8_t emg_encode_imu_status(uint8_t *out, uint32_t index, uint8_t segment,
                                            uint8_t status)
{
    uint8_t *p = out + EMG_HEADER_LEN;
    emg_put_u32(p, index);
    p[4] = segment;
    p[5] = status;
    return emg_frame_finish(out, EMG_IMU_STATUS, 6u);
}

/*
 * MPU-6050 burst ACCEL_XOUT_H..GYRO_ZOUT_L (registers 0x3B..0x48, big-endian, the
 * temperature in the middle) -> accel xyz, gyro xyz.
 */
static inline void emg_mpu_unpack(const uint8_t *burst14, int16_t *values)
{
    uint8_t i;
    for (i = 0; i < EMG_IMU_VALUES; i++) {
        uint8_t at = (uint8_t)(i < 3u ? 2u * i : 2u * i + 2u);   /* skip TEMP_OUT */
        values[i] = (int16_t)(((uint16_t)burst14[at] << 8) | burst14[at + 1u]);
    }
}

static inline uint8_t emg_encode_ack(uint8_t *out, uint8_t command, uint8_t status)
{
    out[EMG_HEADER_LEN] = command;
    out[EMG_HEADER_LEN + 1] = status;
    return emg_frame_finish(out, EMG_ACK, 2);
}

typedef struct emg_hello {
    uint8_t fw_major, fw_minor, fw_patch;
    uint16_t sample_rate_hz;
    uint8_t n_emg, n_motion;
    uint8_t adc_bits;
    uint8_t adc_prescaler;
    uint8_t streaming;
    uint16_t vref_mv;
    uint8_t imu_requested, imu_present;   /* masks, bit i = segment i */
    uint16_t imu_rate_hz;
    uint8_t accel_range_g;
    uint16_t gyro_range_dps;
} emg_hello_t;

/* Analog pin of channel i in frame order: EMG from A0, then motion from A4. */
static inline uint8_t emg_channel_pin(uint8_t n_emg, uint8_t i)
{
    return i < n_emg ? i : (uint8_t)(EMG_FIRST_MOTION_PIN + (i - n_emg));
}

static inline uint8_t emg_encode_hello(uint8_t *out, const emg_hello_t *h)
{
    uint8_t *p = out + EMG_HEADER_LEN;
    uint8_t i, n;
    if (h->n_emg > EMG_MAX_EMG || h->n_motion > EMG_MAX_MOTION) return 0;
    n = (uint8_t)(h->n_emg + h->n_motion);
    p[0] = EMG_PROTOCOL_VERSION;
    p[1] = h->fw_major;
    p[2] = h->fw_minor;
    p[3] = h->fw_patch;
    emg_put_u16(p + 4, h->sample_rate_hz);
    p[6] = h->n_emg;
    p[7] = h->n_motion;
    p[8] = h->adc_bits;
    p[9] = h->adc_prescaler;
    p[10] = h->streaming ? 1u : 0u;
    emg_put_u16(p + 11, h->vref_mv);
    p[13] = h->imu_requested;
    p[14] = h->imu_present;
    emg_put_u16(p + 15, h->imu_rate_hz);
    p[17] = h->accel_range_g;
    emg_put_u16(p + 18, h->gyro_range_dps);
    for (i = 0; i < n; i++) p[EMG_HELLO_FIXED_LEN + i] = emg_channel_pin(h->n_emg, i);
    return emg_frame_finish(out, EMG_HELLO, (uint8_t)(EMG_HELLO_FIXED_LEN + n));
}

/* --- configuration rules (pure, so the host tests check them) ------------ */

static inline uint8_t emg_rate_valid(uint16_t rate_hz)
{
    return rate_hz == 500u || rate_hz == 1000u || rate_hz == 2000u;
}

/* I2C IMUs take A4/A5 (SDA/SCL) from the analog motion inputs: one or the other. */
static inline uint8_t emg_channels_valid(uint8_t n_emg, uint8_t n_motion, uint8_t imu_mask)
{
    return n_emg >= 1u && n_emg <= EMG_MAX_EMG && n_motion <= EMG_MAX_MOTION &&
           (imu_mask >> EMG_N_IMUS) == 0u && !(imu_mask && n_motion);
}

/*
 * ADC clock prescaler for a load. A conversion takes 13 ADC clocks; the
 * datasheet (ATmega328P 24.4) gives full 10-bit accuracy up to a 200 kHz ADC
 * clock, i.e. prescaler 128 at 16 MHz (125 kHz). Use 128 while the whole
 * sequence, plus ~100 CPU cycles of interrupt overhead per channel, fits in
 * 80 % of the sample period; else 64 (250 kHz, ~9.5 effective bits), else 32.
 */
static inline uint8_t emg_choose_prescaler(uint32_t f_cpu_hz, uint16_t rate_hz, uint8_t n_channels)
{
    static const uint8_t options[3] = {128u, 64u, 32u};
    uint32_t budget = (f_cpu_hz / rate_hz) * 4u / 5u;
    uint8_t i;
    for (i = 0; i < 3u; i++) {
        uint32_t need = (uint32_t)n_channels * (13u * (uint32_t)options[i] + 100u);
        if (need <= budget) return options[i];
    }
    return 32u;
}

/* --- command parser: one byte at a time, explicit overflow path ---------- */

enum emg_parser_state {
    EMG_P_SYNC0 = 0, EMG_P_SYNC1, EMG_P_TYPE, EMG_P_LEN, EMG_P_PAYLOAD, EMG_P_CRC0, EMG_P_CRC1
};

typedef struct emg_parser {
    uint8_t state;
    uint8_t type;
    uint8_t len;
    uint8_t idx;
    uint8_t crc_lo;
    uint16_t crc;
    uint8_t payload[EMG_PARSER_MAX_PAYLOAD];
    /* statistics, never reset by the parser */
    uint16_t frames;
    uint16_t crc_errors;
    uint16_t overflows;       /* frames longer than EMG_PARSER_MAX_PAYLOAD, dropped */
    uint16_t skipped_bytes;   /* bytes outside frames while hunting for the sync word */
} emg_parser_t;

static inline void emg_parser_init(emg_parser_t *p)
{
    uint8_t i;
    p->state = EMG_P_SYNC0;
    p->type = p->len = p->idx = p->crc_lo = 0;
    p->crc = 0xFFFFu;
    for (i = 0; i < EMG_PARSER_MAX_PAYLOAD; i++) p->payload[i] = 0;
    p->frames = p->crc_errors = p->overflows = p->skipped_bytes = 0;
}

/*
 * Feed one byte. Returns 1 when a complete frame with a good CRC is in
 * p->type, p->len, p->payload (valid until the next call), else 0. A bad CRC
 * or an over-long frame drops the frame and hunts for the next sync word.
 */
static inline uint8_t emg_parser_feed(emg_parser_t *p, uint8_t b)
{
    switch (p->state) {
    case EMG_P_SYNC0:
        if (b == EMG_SYNC0) p->state = EMG_P_SYNC1;
        else p->skipped_bytes++;
        return 0;
    case EMG_P_SYNC1:
        if (b == EMG_SYNC1) p->state = EMG_P_TYPE;
        else if (b != EMG_SYNC0) { p->skipped_bytes += 2u; p->state = EMG_P_SYNC0; }
        else p->skipped_bytes++;            /* A5 A5 5A: the second A5 may start the sync */
        return 0;
    case EMG_P_TYPE:
        p->type = b;
        p->crc = emg_crc16_update(0xFFFFu, b);
        p->state = EMG_P_LEN;
        return 0;
    case EMG_P_LEN:
        if (b > EMG_PARSER_MAX_PAYLOAD) {   /* overflow path: never write past payload[] */
            p->overflows++;
            p->state = EMG_P_SYNC0;
            return 0;
        }
        p->len = b;
        p->idx = 0;
        p->crc = emg_crc16_update(p->crc, b);
        p->state = b ? EMG_P_PAYLOAD : EMG_P_CRC0;
        return 0;
    case EMG_P_PAYLOAD:
        p->payload[p->idx++] = b;
        p->crc = emg_crc16_update(p->crc, b);
        if (p->idx >= p->len) p->state = EMG_P_CRC0;
        return 0;
    case EMG_P_CRC0:
        p->crc_lo = b;
        p->state = EMG_P_CRC1;
        return 0;
    case EMG_P_CRC1:
        p->state = EMG_P_SYNC0;
        if ((uint16_t)(p->crc_lo | ((uint16_t)b << 8)) != p->crc) {
            p->crc_errors++;
            return 0;
        }
        p->frames++;
        return 1;
    default:
        p->state = EMG_P_SYNC0;
        return 0;
    }
}

#ifdef __cplusplus
}
#endif

#endif /* EMG_FRAME_H */
