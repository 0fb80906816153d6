/*
 * emg_monitor.ino - ATmega328P (Uno / Nano, 16 MHz) firmware of emg-monitor.
 *
 * Samples up to 4 EMG channels (A0..A3) and either 2 analog motion channels
 * (A4..A5, an ADXL335) or up to three MPU-6050 IMUs on I2C (A4/A5 = SDA/SCL)
 * at 500/1000/2000 Hz per channel and streams them as SAMPLES and IMU frames
 * at 1 Mbaud (docs/protocol.md). Commands from the host: START, STOP,
 * SET_RATE, SET_CHANNELS, INFO; every command is ACKed.
 *
 * Timing: Timer1 in CTC mode interrupts at exactly F_CPU / rate (no
 * software "previous = now" scheduling, so no drift). Its ISR starts the
 * first conversion; the ADC-complete ISR stores the result, switches the mux
 * and starts the next channel. (ADC auto-trigger from Timer1 would save the
 * first ISR, but simavr 1.6 does not model it, and this way the same code runs
 * in the simulator and on the board.) After the last channel the frame goes
 * to a ring buffer; loop() encodes and writes it to the UART. A full ring
 * drops the frame and counts it (emg_overruns); the sequence number still
 * advances so the host sees the gap. The ISRs never wait.
 *
 * IMUs: every 10 ms (IMU_RATE_HZ) the tick ISR starts an interrupt-driven TWI
 * state machine (TWI_vect) that burst-reads ACCEL/GYRO_OUT of each IMU at
 * 400 kHz and queues one IMU frame per IMU, stamped with the EMG sample index
 * of that tick. Nothing in it waits, so the EMG tick and the ADC ISR keep their
 * timing; an IMU that stops acknowledging is reported (IMU_STATUS) and left
 * alone until the next SET_CHANNELS probes again. Probing (WHO_AM_I, wake,
 * ranges) is blocking and runs only inside SET_CHANNELS, with sampling paused.
 *
 * Uses registers directly (no Serial, no millis) and defines main() itself,
 * so the Arduino core's init() never runs: Timer0's millis interrupt cannot
 * delay the sampling tick, and UCSR0B is never written 0 (simavr 1.6 then
 * clears UDRE0 for good, and the UART would never send).
 */
#include <avr/io.h>
#include <avr/interrupt.h>
#include "emg_frame.h"

#ifndef F_CPU
#define F_CPU 16000000UL
#endif

#define FW_MAJOR 2
#define FW_MINOR 0
#define FW_PATCH 0
#define VREF_MV 5000u          /* AVcc reference on Uno/Nano */

#define IMU_RATE_HZ 100u      /* divides every EMG rate: one read per 5, 10 or 20 ticks */
#define ACCEL_RANGE_G 4u
#define GYRO_RANGE_DPS 500u

/* MPU-6050 registers (register map rev 4.2) and the TCA9548A multiplexer. */
#define MPU_ADDR_AD0_LOW 0x68u
#define MPU_ADDR_AD0_HIGH 0x69u
#define MPU_WHO_AM_I 0x75u     /* reads 0x68 whatever AD0 is */
#define MPU_PWR_MGMT_1 0x6Bu   /* resets to 0x40 = SLEEP */
#define MPU_SMPLRT_DIV 0x19u
#define MPU_CONFIG 0x1Au
#define MPU_GYRO_CONFIG 0x1Bu
#define MPU_ACCEL_CONFIG 0x1Cu
#define MPU_ACCEL_XOUT_H 0x3Bu /* 14 bytes: accel xyz, temp, gyro xyz, big-endian */
#define MPU_BURST 14u
#define MUX_ADDR 0x70u         /* TCA9548A, A0..A2 low */
#define MUX_CH_HIPS 0x01u      /* SD0/SC0: pelvis and thigh */
#define MUX_CH_THORAX 0x02u    /* SD1/SC1: thorax (also at 0x68) */
#define TWI_TWBR_400KHZ 12u    /* SCL = F_CPU / (16 + 2 * TWBR) */

/* One ring entry: a sample frame, an IMU read, or a reply queued in order behind them. */
enum { ENTRY_SAMPLES = 0, ENTRY_ACK = 1, ENTRY_HELLO = 2, ENTRY_IMU = 3, ENTRY_IMU_STATUS = 4 };
struct entry {
    uint8_t kind;
    uint8_t n;                 /* channels (SAMPLES), command (ACK) or segment (IMU*) */
    uint8_t status;            /* ACK or IMU status */
    uint32_t seq;              /* sample index; the stamp of an IMU read */
    uint16_t counts[EMG_MAX_CHANNELS];   /* ADC counts, or an IMU's 6 values */
};

#define RING_SIZE 32           /* 16 ms of frames at 2 kHz; power of two */
#define RX_SIZE 32

static struct entry ring[RING_SIZE];
static volatile uint8_t ring_head;   /* written by producers (ADC ISR; loop with interrupts off) */
static volatile uint8_t ring_tail;   /* written by loop() only */

static volatile uint8_t rx_buf[RX_SIZE];
static volatile uint8_t rx_head;
static volatile uint8_t rx_tail;

/* Exported (not static) so the simavr harness can read them from RAM by symbol. */
volatile uint16_t emg_overruns;      /* frames dropped because the ring was full */
volatile uint16_t emg_late_ticks;    /* ticks that found the previous sequence unfinished */
volatile uint16_t emg_rx_overruns;   /* command bytes dropped because rx_buf was full */
volatile uint16_t emg_imu_reads;     /* IMU frames queued */
volatile uint16_t emg_imu_overruns;  /* IMU frames or cycles dropped (ring full, bus still busy) */

/* Configuration, changed only with sampling paused. */
static uint16_t rate_hz = 1000;
static uint8_t n_emg = 4;
static uint8_t n_motion = 2;
static uint8_t n_channels = 6;
static uint8_t imu_requested;        /* mask of protocol IMU_SEGMENTS */
static volatile uint8_t imu_present; /* answered at the last probe and not lost since */
static uint8_t imu_div;              /* EMG ticks per IMU read */
static uint8_t prescaler = 128;
static uint8_t streaming;
static uint8_t pins[EMG_MAX_CHANNELS];

/* Sampling state, owned by the ISRs while streaming. */
static volatile uint8_t adc_busy;
static volatile uint8_t adc_index;
static volatile uint32_t seq;        /* index of the next tick */
static volatile uint32_t tick_seq;   /* index of the sample being converted */
static uint16_t current[EMG_MAX_CHANNELS];
static volatile uint8_t imu_countdown;

/* The I2C read plan: multiplexer selections and IMU reads, in bus order. */
enum { STEP_MUX = 0, STEP_READ = 1 };
struct step { uint8_t kind, addr, arg; };   /* arg: channel mask (MUX) or segment (READ) */
static struct step plan[5];
static uint8_t plan_len;
static volatile uint8_t twi_busy;
static uint8_t twi_step;             /* index into plan of the transfer in flight */
static uint8_t twi_overdue;          /* IMU ticks that found the previous cycle unfinished */
static uint32_t imu_stamp;

static emg_parser_t parser;
static uint8_t tx_buf[EMG_MAX_FRAME];
static uint8_t tx_len, tx_pos;

static inline uint8_t ring_used(void) { return (uint8_t)(ring_head - ring_tail) & (RING_SIZE - 1); }
static inline uint8_t ring_free(void) { return (uint8_t)(RING_SIZE - 1 - ring_used()); }

static inline uint8_t admux_for(uint8_t pin) { return (uint8_t)(_BV(REFS0) | (pin & 0x07)); }

static uint8_t adps_bits(uint8_t p)
{
    switch (p) {
    case 128: return _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
    case 64: return _BV(ADPS2) | _BV(ADPS1);
    default: return _BV(ADPS2) | _BV(ADPS0);   /* 32 */
    }
}

/* Queue slot for a producer running with interrupts off (an ISR); NULL when full. */
static inline struct entry *ring_claim(void)
{
    uint8_t next = (uint8_t)(ring_head + 1) & (RING_SIZE - 1);
    return next == ring_tail ? 0 : &ring[ring_head];
}

static inline void ring_commit(void) { ring_head = (uint8_t)(ring_head + 1) & (RING_SIZE - 1); }

static void imu_tick(uint32_t s);

ISR(TIMER1_COMPA_vect)
{
    /* Every tick consumes its index, whether or not its sample is taken, and the
     * index is bound to the tick here: a sample still converting when the next tick
     * comes keeps its own index (the next tick is the one skipped and counted). */
    uint32_t s = seq++;
    if (adc_busy) {
        emg_late_ticks++;
    } else {
        adc_busy = 1;
        adc_index = 0;
        tick_seq = s;
        ADCSRA |= _BV(ADSC);   /* ADMUX already points at the first channel */
    }
    if (imu_present && --imu_countdown == 0) {
        imu_countdown = imu_div;
        imu_tick(s);
    }
}

ISR(ADC_vect)
{
    uint8_t i = adc_index;
    current[i] = ADC;          /* ADCL then ADCH, before the mux moves */
    i++;
    if (i < n_channels) {
        adc_index = i;
        ADMUX = admux_for(pins[i]);
        ADCSRA |= _BV(ADSC);
        return;
    }
    ADMUX = admux_for(pins[0]);  /* ready for the next tick */
    struct entry *e = ring_claim();
    if (!e) {
        emg_overruns++;
    } else {
        e->kind = ENTRY_SAMPLES;
        e->n = n_channels;
        e->seq = tick_seq;
        for (uint8_t c = 0; c < n_channels; c++) e->counts[c] = current[c];
        ring_commit();
    }
    adc_busy = 0;
}

/* --- IMUs: one interrupt-driven TWI master for the cyclic reads and the probe ---- */
/*
 * A transfer is START, SLA+W, 1-2 bytes, and for a read a repeated START, SLA+R and
 * rlen bytes (ACK all but the last). The ISR follows its own phase rather than the
 * exact status code for the address, because simavr 1.6 answers an acknowledged
 * SLA+W with 0x28 instead of 0x18; it also never clears TWINT on a write, so the
 * probe waits on the ISR too instead of polling TWINT.
 */
enum { PH_START = 0, PH_SLA_W, PH_WRITE, PH_RESTART, PH_SLA_R, PH_DATA };
static struct { uint8_t addr, wlen, w[2], rlen; } xfer;
static uint8_t twi_phase, twi_n;
static uint8_t twi_buf[MPU_BURST];
static uint8_t probing;              /* 1: a blocking probe transfer, no read plan */
static volatile uint8_t xfer_ok;

static inline void twi_go(uint8_t bits) { TWCR = (uint8_t)(_BV(TWINT) | _BV(TWEN) | _BV(TWIE) | bits); }
static inline uint8_t twi_w_acked(uint8_t st) { return st == 0x18u || st == 0x28u; }

static void xfer_begin(uint8_t addr, uint8_t wlen, uint8_t w0, uint8_t w1, uint8_t rlen, uint8_t stop_first)
{
    xfer.addr = addr;
    xfer.wlen = wlen;
    xfer.w[0] = w0;
    xfer.w[1] = w1;
    xfer.rlen = rlen;
    twi_phase = PH_START;
    twi_go((uint8_t)(_BV(TWSTA) | (stop_first ? _BV(TWSTO) : 0)));
}

static void twi_idle(void)
{
    twi_busy = 0;
    TWCR = (uint8_t)(_BV(TWINT) | _BV(TWEN) | _BV(TWSTO));
}

static uint8_t step_segments(uint8_t i)
{
    if (plan[i].kind == STEP_READ) return (uint8_t)(1u << plan[i].arg);
    uint8_t m = 0;                           /* a selection serves the reads up to the next one */
    for (uint8_t j = (uint8_t)(i + 1); j < plan_len && plan[j].kind == STEP_READ; j++)
        m |= (uint8_t)(1u << plan[j].arg);
    return m;
}

/* Begin the next step of this cycle that still has a sensor to serve; else go idle. */
static void plan_advance(uint8_t from)
{
    for (uint8_t i = from; i < plan_len; i++) {
        if (step_segments(i) & imu_present) {
            twi_step = i;
            if (plan[i].kind == STEP_MUX) xfer_begin(MUX_ADDR, 1, plan[i].arg, 0, 0, 1);
            else xfer_begin(plan[i].addr, 1, MPU_ACCEL_XOUT_H, 0, MPU_BURST, 1);
            return;
        }
    }
    twi_idle();
}

static void imu_report(uint8_t segments, uint8_t status)
{
    for (uint8_t seg = 0; seg < EMG_N_IMUS; seg++) {
        if (!(segments & imu_present & (1u << seg))) continue;
        imu_present &= (uint8_t)~(1u << seg);
        struct entry *e = ring_claim();
        if (!e) { emg_imu_overruns++; continue; }
        e->kind = ENTRY_IMU_STATUS;
        e->n = seg;
        e->status = status;
        e->seq = seq - 1u;                   /* the tick in progress */
        ring_commit();
    }
}

static void xfer_done(uint8_t ok)
{
    if (probing) {
        xfer_ok = ok;
        twi_idle();
        return;
    }
    const struct step *st = &plan[twi_step];
    if (!ok) {
        imu_report(step_segments(twi_step), EMG_IMU_LOST);
    } else if (st->kind == STEP_READ) {
        struct entry *e = ring_claim();
        if (e) {
            e->kind = ENTRY_IMU;
            e->n = st->arg;
            e->seq = imu_stamp;
            emg_mpu_unpack(twi_buf, (int16_t *)e->counts);
            ring_commit();
            emg_imu_reads++;
        } else {
            emg_imu_overruns++;
        }
    }
    plan_advance((uint8_t)(twi_step + 1));
}

static void imu_tick(uint32_t s)
{
    if (twi_busy) {
        /* A cycle takes ~1 ms of a 10 ms period; still busy twice means the bus is
         * held (a sensor unplugged mid-byte): reset the TWI and drop that sensor. */
        emg_imu_overruns++;
        if (++twi_overdue < 2) return;
        TWCR = 0;
        TWCR = _BV(TWEN);
        imu_report(step_segments(twi_step), EMG_IMU_TIMEOUT);
        twi_busy = 0;
    }
    twi_overdue = 0;
    imu_stamp = s;
    twi_busy = 1;
    plan_advance(0);
}

ISR(TWI_vect)
{
    uint8_t st = TWSR & 0xF8u;
    switch (twi_phase) {
    case PH_START:                           /* START (0x08) sent: address for writing */
        if (st != 0x08u && st != 0x10u) break;
        TWDR = (uint8_t)(xfer.addr << 1);
        twi_phase = PH_SLA_W;
        twi_n = 0;
        twi_go(0);
        return;
    case PH_SLA_W:
        if (!twi_w_acked(st)) break;
        TWDR = xfer.w[twi_n++];
        twi_phase = PH_WRITE;
        twi_go(0);
        return;
    case PH_WRITE:
        if (st != 0x28u) break;
        if (twi_n < xfer.wlen) {
            TWDR = xfer.w[twi_n++];
            twi_go(0);
        } else if (xfer.rlen) {
            twi_phase = PH_RESTART;
            twi_go(_BV(TWSTA));
        } else {
            xfer_done(1);
        }
        return;
    case PH_RESTART:                         /* repeated START (0x10): address for reading */
        if (st != 0x10u && st != 0x08u) break;
        TWDR = (uint8_t)((xfer.addr << 1) | 1u);
        twi_phase = PH_SLA_R;
        twi_go(0);
        return;
    case PH_SLA_R:
        if (st != 0x40u) break;
        twi_n = 0;
        twi_phase = PH_DATA;
        twi_go(xfer.rlen > 1 ? _BV(TWEA) : 0);
        return;
    case PH_DATA:
        if (st != 0x50u && st != 0x58u) break;
        twi_buf[twi_n++] = TWDR;
        if (twi_n >= xfer.rlen) {
            xfer_done(st == 0x58u);
        } else {
            twi_go(twi_n + 1u < xfer.rlen ? _BV(TWEA) : 0);   /* NACK the last byte */
        }
        return;
    }
    xfer_done(0);                            /* NACK (0x20, 0x30, 0x48), lost arbitration, bus error */
}

ISR(USART_RX_vect)
{
    uint8_t b = UDR0;
    uint8_t next = (uint8_t)(rx_head + 1) & (RX_SIZE - 1);
    if (next == rx_tail) {
        emg_rx_overruns++;
        return;
    }
    rx_buf[rx_head] = b;
    rx_head = next;
}

/* Stop the tick and let a running conversion sequence and IMU cycle finish (< 2 ms). */
static void sampling_pause(void)
{
    TIMSK1 &= (uint8_t)~_BV(OCIE1A);
    while (adc_busy || twi_busy) {
    }
}

/* --- IMUs: blocking transfers for the probe, only while sampling is paused ------ */

static uint8_t xfer_wait(uint8_t addr, uint8_t wlen, uint8_t w0, uint8_t w1, uint8_t rlen)
{
    probing = 1;
    xfer_ok = 0;
    twi_busy = 1;
    xfer_begin(addr, wlen, w0, w1, rlen, 0);
    for (uint32_t n = 0; twi_busy; n++) {
        if (n > 200000ul) {                  /* ~50 ms: the bus is held, give up */
            TWCR = 0;
            TWCR = _BV(TWEN);
            twi_busy = 0;
            xfer_ok = 0;
        }
    }
    probing = 0;
    return xfer_ok;
}

static uint8_t mpu_write(uint8_t addr, uint8_t reg, uint8_t v) { return xfer_wait(addr, 2, reg, v, 0); }

/* One register; -1 when the device does not answer. */
static int16_t mpu_read(uint8_t addr, uint8_t reg)
{
    return xfer_wait(addr, 1, reg, 0, 1) ? twi_buf[0] : -1;
}

/* WHO_AM_I, wake on the gyro's PLL, 1 kHz internal rate behind the 44 Hz low-pass
 * (anti-alias for our 100 Hz reads), +-4 g and +-500 deg/s, read back. */
static uint8_t mpu_probe(uint8_t addr)
{
    if (mpu_read(addr, MPU_WHO_AM_I) != 0x68) return 0;
    return mpu_write(addr, MPU_PWR_MGMT_1, 0x01) && mpu_write(addr, MPU_SMPLRT_DIV, 0) &&
           mpu_write(addr, MPU_CONFIG, 3) && mpu_write(addr, MPU_GYRO_CONFIG, 1u << 3) &&
           mpu_write(addr, MPU_ACCEL_CONFIG, 1u << 3) &&
           mpu_read(addr, MPU_GYRO_CONFIG) == (1 << 3) &&
           mpu_read(addr, MPU_ACCEL_CONFIG) == (1 << 3);
}

static uint8_t mux_select(uint8_t channels) { return xfer_wait(MUX_ADDR, 1, channels, 0, 0); }

static void plan_add(uint8_t kind, uint8_t addr, uint8_t arg)
{
    plan[plan_len].kind = kind;
    plan[plan_len].addr = addr;
    plan[plan_len].arg = arg;
    plan_len++;
}

/* Find the requested IMUs and build the read plan. Without a thorax the two hip IMUs
 * sit on the bus itself; with one, all three go through the TCA9548A (docs/hardware.md). */
static void imu_setup(void)
{
    imu_present = 0;
    plan_len = 0;
    if (!imu_requested) {
        TWCR = 0;                            /* A4/A5 back to the ADC */
        DIDR0 = 0x3F;
        return;
    }
    DIDR0 = 0x0F;                            /* A4/A5 digital: SDA/SCL (GY-521 pull-ups) */
    TWSR = 0;
    TWBR = TWI_TWBR_400KHZ;
    TWCR = _BV(TWEN);
    uint8_t found = 0;
    uint8_t mux = (imu_requested & 4u) && mux_select(MUX_CH_HIPS);
    if (mux) plan_add(STEP_MUX, MUX_ADDR, MUX_CH_HIPS);
    if ((imu_requested & 1u) && mpu_probe(MPU_ADDR_AD0_LOW)) {
        found |= 1u;
        plan_add(STEP_READ, MPU_ADDR_AD0_LOW, 0);
    }
    if ((imu_requested & 2u) && mpu_probe(MPU_ADDR_AD0_HIGH)) {
        found |= 2u;
        plan_add(STEP_READ, MPU_ADDR_AD0_HIGH, 1);
    }
    if (mux && mux_select(MUX_CH_THORAX) && mpu_probe(MPU_ADDR_AD0_LOW)) {
        found |= 4u;
        plan_add(STEP_MUX, MUX_ADDR, MUX_CH_THORAX);
        plan_add(STEP_READ, MPU_ADDR_AD0_LOW, 2);
    }
    imu_present = found;
}

static void apply_config(void)
{
    n_channels = (uint8_t)(n_emg + n_motion);
    for (uint8_t i = 0; i < n_channels; i++) pins[i] = emg_channel_pin(n_emg, i);
    prescaler = emg_choose_prescaler(F_CPU, rate_hz, n_channels);
    ADCSRA = (uint8_t)(_BV(ADEN) | _BV(ADIE) | adps_bits(prescaler));
    ADMUX = admux_for(pins[0]);
    OCR1A = (uint16_t)(F_CPU / rate_hz - 1u);
    imu_div = (uint8_t)(rate_hz / IMU_RATE_HZ);
    imu_countdown = 1;                       /* the next tick reads the IMUs */
}

/* Restart the tick: the first sample of the new configuration is one full period away. */
static void sampling_resume(void)
{
    TCNT1 = 0;
    TIFR1 = _BV(OCF1A);
    TIMSK1 |= _BV(OCIE1A);
}

/* Queue a reply behind the samples already in the ring (interrupts off: two producers). */
static void queue_reply(uint8_t kind, uint8_t command, uint8_t status)
{
    uint8_t sreg = SREG;
    cli();
    struct entry *e = ring_claim();
    if (e) {
        e->kind = kind;
        e->n = command;
        e->status = status;
        ring_commit();
    }
    SREG = sreg;
}

static void handle_command(uint8_t type, uint8_t len, const uint8_t *payload)
{
    uint8_t status = EMG_ACK_OK;
    switch (type) {
    case EMG_CMD_START:
        if (len != 0) { status = EMG_ACK_BAD_ARGUMENT; break; }
        sampling_pause();
        seq = 0;
        imu_countdown = 1;
        streaming = 1;
        sampling_resume();
        break;
    case EMG_CMD_STOP:
        if (len != 0) { status = EMG_ACK_BAD_ARGUMENT; break; }
        sampling_pause();
        streaming = 0;
        ring_head = ring_tail;   /* nothing sampled before STOP follows its ACK */
        break;
    case EMG_CMD_SET_RATE: {
        uint16_t r = len == 2 ? (uint16_t)(payload[0] | ((uint16_t)payload[1] << 8)) : 0;
        if (!emg_rate_valid(r)) { status = EMG_ACK_BAD_ARGUMENT; break; }
        sampling_pause();
        rate_hz = r;
        apply_config();
        if (streaming) sampling_resume();
        break;
    }
    case EMG_CMD_SET_CHANNELS: {
        uint8_t mask = len == 3 ? payload[2] : 0;
        if ((len != 2 && len != 3) || !emg_channels_valid(payload[0], payload[1], mask)) {
            status = EMG_ACK_BAD_ARGUMENT;
            break;
        }
        sampling_pause();
        n_emg = payload[0];
        n_motion = payload[1];
        imu_requested = mask;
        imu_setup();
        apply_config();
        if (streaming) sampling_resume();
        break;
    }
    case EMG_CMD_INFO:
        if (len != 0) status = EMG_ACK_BAD_ARGUMENT;
        break;
    default:
        status = EMG_ACK_UNKNOWN_COMMAND;
    }
    queue_reply(ENTRY_ACK, type, status);
    if (type == EMG_CMD_INFO && status == EMG_ACK_OK) queue_reply(ENTRY_HELLO, 0, 0);
}

static uint8_t encode_entry(const struct entry *e)
{
    if (e->kind == ENTRY_SAMPLES) return emg_encode_samples(tx_buf, e->seq, e->counts, e->n);
    if (e->kind == ENTRY_ACK) return emg_encode_ack(tx_buf, e->n, e->status);
    if (e->kind == ENTRY_IMU) return emg_encode_imu(tx_buf, e->seq, e->n, (const int16_t *)e->counts);
    if (e->kind == ENTRY_IMU_STATUS) return emg_encode_imu_status(tx_buf, e->seq, e->n, e->status);
    emg_hello_t h;
    h.fw_major = FW_MAJOR;
    h.fw_minor = FW_MINOR;
    h.fw_patch = FW_PATCH;
    h.sample_rate_hz = rate_hz;
    h.n_emg = n_emg;
    h.n_motion = n_motion;
    h.adc_bits = 10;
    h.adc_prescaler = prescaler;
    h.streaming = streaming;
    h.vref_mv = VREF_MV;
    h.imu_requested = imu_requested;
    h.imu_present = imu_present;
    h.imu_rate_hz = imu_requested ? IMU_RATE_HZ : 0;
    h.accel_range_g = ACCEL_RANGE_G;
    h.gyro_range_dps = GYRO_RANGE_DPS;
    return emg_encode_hello(tx_buf, &h);
}

static void service_tx(void)
{
    if (tx_pos >= tx_len && ring_tail != ring_head) {
        tx_len = encode_entry(&ring[ring_tail]);
        tx_pos = 0;
        ring_tail = (uint8_t)(ring_tail + 1) & (RING_SIZE - 1);
    }
    while (tx_pos < tx_len && (UCSR0A & _BV(UDRE0))) UDR0 = tx_buf[tx_pos++];
}

void setup(void)
{
    cli();
    TIMSK0 = 0;                              /* no millis(): keep the sampling tick on time */
    UCSR0A |= _BV(U2X0);                     /* 16 MHz / (8 * (1 + 1)) = 1,000,000 baud exactly */
    UBRR0 = 1;
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);      /* 8N1 */
    UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
    DIDR0 = 0x3F;                            /* A0..A5 analog only: less digital noise */
    TCCR1A = 0;
    TCCR1B = _BV(WGM12) | _BV(CS10);         /* CTC on OCR1A, clock / 1 */
    TIMSK1 = 0;
    emg_parser_init(&parser);
    /* The first conversion after enabling the ADC takes 25 ADC clocks instead of 13
     * (datasheet 24.4): do it here, so every sample frame has the same timing. */
    ADMUX = admux_for(0);
    ADCSRA = (uint8_t)(_BV(ADEN) | _BV(ADSC) | adps_bits(128));
    while (ADCSRA & _BV(ADSC)) {
    }
    ADCSRA = (uint8_t)(_BV(ADEN) | _BV(ADIF) | adps_bits(128));   /* writing 1 clears ADIF */
    apply_config();
    sei();
    queue_reply(ENTRY_HELLO, 0, 0);          /* power-up announcement; not streaming */
}

void loop(void)
{
    service_tx();
    /* One command at a time, and only with room for its replies (ACK + HELLO). */
    if (rx_tail != rx_head && ring_free() >= 3) {
        uint8_t b = rx_buf[rx_tail];
        rx_tail = (uint8_t)(rx_tail + 1) & (RX_SIZE - 1);
        if (emg_parser_feed(&parser, b)) handle_command(parser.type, parser.len, parser.payload);
    }
}

int main(void)
{
    setup();
    for (;;) loop();
}
