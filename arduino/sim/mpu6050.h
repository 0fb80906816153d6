/*
 * mpu6050.h - register-level MPU-6050 IMUs and a TCA9548A I2C multiplexer on
 * simavr's TWI, for the emg-monitor harness (harness.c). Written for this
 * project from the InvenSense MPU-6000/6050 register map (RM-MPU-6000A, rev 4.2)
 * and the TI TCA9548A datasheet.
 *
 * simavr's TWI master raises TWI_IRQ_OUTPUT messages (START with the address
 * byte, WRITE with a data byte, READ asking for one, STOP) and expects the
 * addressed slave to answer at once on TWI_IRQ_INPUT: an ACK for the address
 * and for each written byte, the data byte for a READ. A slave that does not
 * answer is a NACK, which is how an absent or unplugged sensor looks.
 *
 * Modelled: WHO_AM_I (0x75) = 0x68; PWR_MGMT_1 (0x6B, resets to 0x40 = sleep;
 * bit 7 resets the registers); SMPLRT_DIV, CONFIG, GYRO_CONFIG (FS_SEL bits 4:3),
 * ACCEL_CONFIG (AFS_SEL bits 4:3) as plain registers; ACCEL/TEMP/GYRO_OUT
 * (0x3B..0x48, big-endian) latched from the kinematics at the start of each
 * read transfer, so a burst read is consistent, as the datasheet promises; the
 * register pointer auto-increments. Asleep, the outputs stay 0. Sensitivity
 * follows the configured ranges: 16384 >> AFS_SEL LSB/g, 131 / 2^FS_SEL LSB/(deg/s).
 */
#ifndef EMG_SIM_MPU6050_H
#define EMG_SIM_MPU6050_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_avr.h"
#include "sim_irq.h"
#include "sim_io.h"
#include "avr_twi.h"

#define MPU_N_SEGMENTS 3
#define MPU_SIGNAL_COLS (MPU_N_SEGMENTS * 6)

enum { R_SMPLRT_DIV = 0x19, R_CONFIG = 0x1A, R_GYRO_CONFIG = 0x1B, R_ACCEL_CONFIG = 0x1C,
       R_ACCEL_XOUT_H = 0x3B, R_TEMP_OUT_H = 0x41, R_GYRO_XOUT_H = 0x43, R_PWR_MGMT_1 = 0x6B,
       R_WHO_AM_I = 0x75 };

struct mpu6050 {
    int attached;
    int segment;              /* 0 pelvis, 1 thigh, 2 thorax */
    uint8_t addr;             /* 7-bit */
    uint8_t mux_channel;      /* TCA9548A channel bit it sits behind; 0 = on the bus itself */
    double silent_from_s;     /* < 0: never */
    uint8_t reg[128];
    uint8_t ptr;
    int selected, expect_pointer;
    unsigned reads;
};

struct tca9548a {
    int attached;
    uint8_t control;          /* bit n: channel n connected */
    int selected;
};

struct i2c_bus {
    avr_t *avr;
    avr_irq_t *to_mcu;
    struct mpu6050 imus[MPU_N_SEGMENTS];
    struct tca9548a mux;
    float *signal;            /* rows of MPU_SIGNAL_COLS */
    size_t signal_rows;
    double signal_rate_hz;
    FILE *log;
    unsigned conflicts;       /* reads answered by two devices at once */
};

static const char *const mpu_segment_names[MPU_N_SEGMENTS] = {"pelvis", "thigh", "thorax"};

static void mpu_power_on(struct mpu6050 *m)
{
    memset(m->reg, 0, sizeof m->reg);
    m->reg[R_PWR_MGMT_1] = 0x40;
    m->reg[R_WHO_AM_I] = 0x68;
    m->ptr = 0;
}

/* "pelvis", "thigh:silent=2.5" -> attach; 0 on success. */
static int i2c_bus_add_imu(struct i2c_bus *bus, const char *spec)
{
    for (int s = 0; s < MPU_N_SEGMENTS; s++) {
        size_t n = strlen(mpu_segment_names[s]);
        if (strncmp(spec, mpu_segment_names[s], n) || (spec[n] && spec[n] != ':')) continue;
        struct mpu6050 *m = &bus->imus[s];
        m->attached = 1;
        m->segment = s;
        m->addr = s == 1 ? 0x69 : 0x68;
        m->silent_from_s = -1.0;
        if (spec[n] == ':' && sscanf(spec + n + 1, "silent=%lf", &m->silent_from_s) != 1) return 1;
        mpu_power_on(m);
        return 0;
    }
    return 1;
}

static int i2c_bus_load_signal(struct i2c_bus *bus, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    size_t row = MPU_SIGNAL_COLS * sizeof(float);
    if (size <= 0 || (size_t)size % row) { fclose(f); return 1; }
    bus->signal_rows = (size_t)size / row;
    bus->signal = malloc((size_t)size);
    int bad = !bus->signal || fread(bus->signal, 1, (size_t)size, f) != (size_t)size;
    fclose(f);
    return bad;
}

static double bus_time_s(const struct i2c_bus *bus)
{
    return (double)bus->avr->cycle / (double)bus->avr->frequency;
}

static int mpu_visible(const struct i2c_bus *bus, const struct mpu6050 *m)
{
    if (!m->attached) return 0;
    if (m->silent_from_s >= 0 && bus_time_s(bus) >= m->silent_from_s) return 0;
    if (!bus->mux.attached) return 1;
    return (bus->mux.control & m->mux_channel) != 0;
}

static void put_be16(uint8_t *r, double v)
{
    long c = lround(v);
    if (c > 32767) c = 32767;
    if (c < -32768) c = -32768;
    uint16_t u = (uint16_t)(int16_t)c;
    r[0] = (uint8_t)(u >> 8);
    r[1] = (uint8_t)u;
}

/* Fill ACCEL/TEMP/GYRO_OUT from the kinematics row in force now. */
static void mpu_latch(struct i2c_bus *bus, struct mpu6050 *m)
{
    if (m->reg[R_PWR_MGMT_1] & 0x40) return;           /* asleep: outputs not updated */
    double acc_lsb = 16384.0 / (double)(1 << ((m->reg[R_ACCEL_CONFIG] >> 3) & 3));
    double gyr_lsb = 131.0 / (double)(1 << ((m->reg[R_GYRO_CONFIG] >> 3) & 3));
    double v[6] = {0, 0, 1, 0, 0, 0};                  /* no file: still, z up */
    if (bus->signal) {
        size_t row = (size_t)floor(bus_time_s(bus) * bus->signal_rate_hz) % bus->signal_rows;
        const float *r = bus->signal + row * MPU_SIGNAL_COLS + 6 * m->segment;
        for (int i = 0; i < 6; i++) v[i] = r[i];
    }
    for (int i = 0; i < 3; i++) {
        put_be16(&m->reg[R_ACCEL_XOUT_H + 2 * i], v[i] * acc_lsb);
        put_be16(&m->reg[R_GYRO_XOUT_H + 2 * i], v[3 + i] * gyr_lsb);
    }
    put_be16(&m->reg[R_TEMP_OUT_H], (25.0 - 36.53) * 340.0);   /* 25 degC (register map 4.18) */
    m->reads++;
    if (bus->log) fprintf(bus->log, "%s %llu\n", mpu_segment_names[m->segment],
                          (unsigned long long)bus->avr->cycle);
}

static void mpu_write_reg(struct mpu6050 *m, uint8_t reg, uint8_t v)
{
    if (reg == R_PWR_MGMT_1 && (v & 0x80)) {           /* DEVICE_RESET */
        mpu_power_on(m);
        return;
    }
    if (reg == R_WHO_AM_I || (reg >= R_ACCEL_XOUT_H && reg <= R_GYRO_XOUT_H + 5)) return;  /* read-only */
    m->reg[reg & 0x7F] = v;
}

static void bus_reply(struct i2c_bus *bus, uint8_t msg, uint8_t addr, uint8_t data)
{
    avr_raise_irq(bus->to_mcu, avr_twi_irq_msg(msg, addr, data));
}

static void i2c_bus_message(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    struct i2c_bus *bus = param;
    avr_twi_msg_irq_t v;
    v.u.v = value;
    uint8_t msg = v.u.twi.msg, addr = v.u.twi.addr, data = v.u.twi.data;
    if (getenv("TWI_DEBUG")) fprintf(stderr, "twi %llu msg %02x addr %02x data %02x\n", (unsigned long long)bus->avr->cycle, msg, addr, data);

    if (msg & TWI_COND_STOP) {
        for (int s = 0; s < MPU_N_SEGMENTS; s++) bus->imus[s].selected = 0;
        bus->mux.selected = 0;
    }
    if (msg & TWI_COND_START) {
        int acked = 0, reading = addr & 1;
        bus->mux.selected = bus->mux.attached && (addr >> 1) == 0x70;
        acked |= bus->mux.selected;
        for (int s = 0; s < MPU_N_SEGMENTS; s++) {
            struct mpu6050 *m = &bus->imus[s];
            m->selected = mpu_visible(bus, m) && (addr >> 1) == m->addr;
            if (!m->selected) continue;
            if (reading && acked) bus->conflicts++;
            acked = 1;
            m->expect_pointer = !reading;
            if (reading && m->ptr >= R_ACCEL_XOUT_H && m->ptr <= R_GYRO_XOUT_H + 5) mpu_latch(bus, m);
        }
        if (acked) bus_reply(bus, TWI_COND_ACK, addr, 1);
        return;
    }
    if (msg & TWI_COND_WRITE) {
        int acked = 0;
        if (bus->mux.selected) { bus->mux.control = data; acked = 1; }
        for (int s = 0; s < MPU_N_SEGMENTS; s++) {
            struct mpu6050 *m = &bus->imus[s];
            if (!m->selected) continue;
            if (m->expect_pointer) { m->ptr = data & 0x7F; m->expect_pointer = 0; }
            else mpu_write_reg(m, m->ptr++, data);
            m->ptr &= 0x7F;
            acked = 1;
        }
        if (acked) bus_reply(bus, TWI_COND_ACK, addr, 1);
        return;
    }
    if (msg & TWI_COND_READ) {
        if (bus->mux.selected) bus_reply(bus, TWI_COND_READ, addr, bus->mux.control);
        for (int s = 0; s < MPU_N_SEGMENTS; s++) {
            struct mpu6050 *m = &bus->imus[s];
            if (!m->selected) continue;
            bus_reply(bus, TWI_COND_READ, addr, m->reg[m->ptr]);
            m->ptr = (uint8_t)((m->ptr + 1) & 0x7F);
        }
    }
}

static void twi_status_dbg(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    struct i2c_bus *bus = param;
    fprintf(stderr, "status %llu %02x\n", (unsigned long long)bus->avr->cycle, value);
}

static void i2c_bus_attach(struct i2c_bus *bus, avr_t *avr)
{
    if (getenv("TWI_DEBUG")) avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_STATUS), twi_status_dbg, bus);
    bus->avr = avr;
    bus->to_mcu = avr_io_getirq(avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_INPUT);
    for (int s = 0; s < MPU_N_SEGMENTS; s++)
        bus->imus[s].mux_channel = s == 2 ? 0x02 : 0x01;
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_OUTPUT),
                            i2c_bus_message, bus);
}

#endif /* EMG_SIM_MPU6050_H */
