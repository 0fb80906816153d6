/*
 * emg_monitor.ino - ATmega328P (Uno / Nano, 16 MHz) firmware of emg-monitor.
 *
 * Samples up to 4 EMG channels (A0..A3) and 2 motion channels (A4..A5) at
 * 500/1000/2000 Hz per channel and streams them as SAMPLES frames at 1 Mbaud
 * (docs/protocol.md). Commands from the host: START, STOP, SET_RATE,
 * SET_CHANNELS, INFO; every command is ACKed.
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

#define FW_MAJOR 1
#define FW_MINOR 0
#define FW_PATCH 0
#define VREF_MV 5000u          /* AVcc reference on Uno/Nano */

/* One ring entry: a sample frame, or a reply queued in order behind the samples. */
enum { ENTRY_SAMPLES = 0, ENTRY_ACK = 1, ENTRY_HELLO = 2 };
struct entry {
    uint8_t kind;
    uint8_t n;                 /* channels (SAMPLES) or command (ACK) */
    uint8_t status;            /* ACK status */
    uint16_t seq;
    uint16_t counts[EMG_MAX_CHANNELS];
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

/* Configuration, changed only with sampling paused. */
static uint16_t rate_hz = 1000;
static uint8_t n_emg = 4;
static uint8_t n_motion = 2;
static uint8_t n_channels = 6;
static uint8_t prescaler = 128;
static uint8_t streaming;
static uint8_t pins[EMG_MAX_CHANNELS];

/* Sampling state, owned by the ISRs while streaming. */
static volatile uint8_t adc_busy;
static volatile uint8_t adc_index;
static volatile uint16_t seq;
static uint16_t current[EMG_MAX_CHANNELS];

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

ISR(TIMER1_COMPA_vect)
{
    if (adc_busy) {            /* previous sequence still converting: skip this sample */
        emg_late_ticks++;
        seq++;
        return;
    }
    adc_busy = 1;
    adc_index = 0;
    ADCSRA |= _BV(ADSC);       /* ADMUX already points at the first channel */
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
    uint8_t head = ring_head;
    uint8_t next = (uint8_t)(head + 1) & (RING_SIZE - 1);
    if (next == ring_tail) {
        emg_overruns++;
    } else {
        struct entry *e = &ring[head];
        e->kind = ENTRY_SAMPLES;
        e->n = n_channels;
        e->seq = seq;
        for (uint8_t c = 0; c < n_channels; c++) e->counts[c] = current[c];
        ring_head = next;
    }
    seq++;
    adc_busy = 0;
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

/* Stop the tick and let a running conversion sequence finish (at most ~0.7 ms). */
static void sampling_pause(void)
{
    TIMSK1 &= (uint8_t)~_BV(OCIE1A);
    while (adc_busy) {
    }
}

static void apply_config(void)
{
    n_channels = (uint8_t)(n_emg + n_motion);
    for (uint8_t i = 0; i < n_channels; i++) pins[i] = emg_channel_pin(n_emg, i);
    prescaler = emg_choose_prescaler(F_CPU, rate_hz, n_channels);
    ADCSRA = (uint8_t)(_BV(ADEN) | _BV(ADIE) | adps_bits(prescaler));
    ADMUX = admux_for(pins[0]);
    OCR1A = (uint16_t)(F_CPU / rate_hz - 1u);
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
    uint8_t head = ring_head;
    uint8_t next = (uint8_t)(head + 1) & (RING_SIZE - 1);
    if (next != ring_tail) {
        ring[head].kind = kind;
        ring[head].n = command;
        ring[head].status = status;
        ring_head = next;
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
    case EMG_CMD_SET_CHANNELS:
        if (len != 2 || !emg_channels_valid(payload[0], payload[1])) {
            status = EMG_ACK_BAD_ARGUMENT;
            break;
        }
        sampling_pause();
        n_emg = payload[0];
        n_motion = payload[1];
        apply_config();
        if (streaming) sampling_resume();
        break;
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
