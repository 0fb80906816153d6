/*
 * simavr_harness - run the emg-monitor firmware ELF in simavr (ATmega328P, 16 MHz).
 *
 * Feeds the analog inputs A0..A5 from waveforms or a signal file, captures the
 * UART output (with the simulated time of every byte), sends host commands at
 * given simulated times, and can expose the UART on a pseudo-terminal paced at
 * real time so pyserial talks to the simulated board as to a real one.
 *
 *   simavr_harness FIRMWARE.elf [options]
 *     --duration S        simulated seconds to run (default 1; 0 = until SIGINT/SIGTERM)
 *     --wave CH=SPEC      analog input CH (0..5) as a function of simulated time t:
 *                           const:MV | sine:OFFSET_MV:AMP_MV:FREQ_HZ | ramp:LO_MV:HI_MV:PERIOD_S
 *                           (ramp = sawtooth from LO to HI, restarting every PERIOD_S)
 *     --signal FILE       little-endian uint16 mV, 6 per row (A0..A5); row i holds during
 *     --signal-rate HZ      [i/HZ, (i+1)/HZ) of simulated time, cycling; --wave overrides
 *     --commands FILE     lines "TIME_S HEXBYTES": bytes written to the board's RX at TIME_S
 *     --out FILE          UART output bytes ("-" = stdout, the default without --pty)
 *     --out-times FILE    little-endian uint64 CPU cycle (16 MHz) at which each byte was sent
 *     --peek ADDR         at the end print "peek 0xADDR N" (u16 in RAM, avr-nm address) on stderr
 *     --imu SEG[:silent=T] attach a register-level MPU-6050 (see mpu6050.h) for segment SEG
 *                           (pelvis 0x68, thigh 0x69, thorax 0x68 behind the multiplexer);
 *                           silent=T: it stops acknowledging at simulated time T s
 *     --mux               a TCA9548A at 0x70: pelvis and thigh on its channel 0, thorax on 1
 *     --imu-signal FILE   little-endian float32, 18 per row: for pelvis, thigh, thorax
 *     --imu-signal-rate HZ  accel xyz (g) then gyro xyz (deg/s); row i holds during
 *                           [i/HZ, (i+1)/HZ), cycling
 *     --imu-log FILE      one line per burst read: "SEGMENT CYCLE" (when the data were latched)
 *     --slow-adc-at T     from simulated time T s force the ADC clock to F_CPU/128 (as if
 *                           the firmware had picked it): drives 6 channels at 2 kHz into overload
 *     --pty               UART on a pseudo-terminal, paced at real time; prints "pty: PATH"
 *     --no-reset-on-open  with --pty: do not reset the MCU when a client opens the port
 *                           (a real Uno resets through DTR when the port is opened)
 *
 * Inputs are sampled when the firmware starts a conversion (ADC trigger IRQ),
 * as the real sample-and-hold does; simavr converts with count = mV * 1023 / vref.
 * simavr 1.6 sends 11 bits per UART byte (~10 % slower than real 8N1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sim_avr.h"
#include "sim_elf.h"
#include "sim_irq.h"
#include "sim_io.h"
#include "sim_time.h"
#include "avr_adc.h"
#include "avr_twi.h"
#include "avr_uart.h"

#include "mpu6050.h"

#define F_CPU_HZ 16000000u
#define VREF_MV 5000u
#define N_INPUTS 6
#define SERVICE_CYCLES 1600u    /* 100 us of simulated time */
#define MAX_PEEKS 8

enum wave_kind { W_NONE = 0, W_CONST, W_SINE, W_RAMP };
struct wave { int kind; double a, b, c; };

struct command { double t_s; uint8_t *bytes; size_t n; };

static avr_t *avr;
static struct wave waves[N_INPUTS];
static uint16_t *signal_rows;
static size_t signal_n_rows;
static double signal_rate_hz;
static struct command *commands;
static size_t n_commands, next_command;
static uint8_t inq[4096];
static size_t inq_head, inq_tail;
static int uart_xoff;
static FILE *out_file, *times_file;
static int pty_master = -1;
static int pty_connected;
static volatile int reset_pending;
static int reset_on_open = 1;
static uint8_t pty_out[1 << 16];
static size_t pty_out_len;
static avr_cycle_count_t end_cycle;
static volatile sig_atomic_t stop_requested;
static struct timespec wall_start;
static avr_cycle_count_t sim_start_cycle;
static uint64_t bytes_out, bytes_dropped;
static double slow_adc_at_s = -1.0;
static int slow_adc_done;
static struct i2c_bus bus;

static void die(const char *msg)
{
    fprintf(stderr, "simavr_harness: %s\n", msg);
    exit(2);
}

static double sim_time_s(void) { return (double)avr->cycle / F_CPU_HZ; }

static uint32_t input_mv(int ch, double t)
{
    double mv = 0.0;
    const struct wave *w = &waves[ch];
    if (w->kind == W_CONST) {
        mv = w->a;
    } else if (w->kind == W_SINE) {
        mv = w->a + w->b * sin(2.0 * M_PI * w->c * t);
    } else if (w->kind == W_RAMP) {
        double phase = fmod(t, w->c) / w->c;
        mv = w->a + (w->b - w->a) * phase;
    } else if (signal_rows) {
        size_t row = (size_t)floor(t * signal_rate_hz) % signal_n_rows;
        mv = signal_rows[row * N_INPUTS + ch];
    }
    if (mv < 0.0) mv = 0.0;
    if (mv > VREF_MV) mv = VREF_MV;
    return (uint32_t)lround(mv);
}

static void adc_trigger(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    union { avr_adc_mux_t mux; uint32_t v; } e = { .v = value };
    if (e.mux.kind != ADC_MUX_SINGLE || e.mux.src >= N_INPUTS) return;
    avr_irq_t *in = avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0 + e.mux.src);
    avr_raise_irq(in, input_mv(e.mux.src, sim_time_s()));
}

static void uart_output(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    uint8_t b = (uint8_t)value;
    bytes_out++;
    if (out_file) putc_unlocked(b, out_file);
    if (times_file) {
        uint64_t c = avr->cycle;
        fwrite(&c, sizeof c, 1, times_file);
    }
    if (pty_master >= 0) {
        if (pty_connected && pty_out_len < sizeof pty_out) pty_out[pty_out_len++] = b;
        else bytes_dropped++;
    }
}

static void uart_xon(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq; (void)value; (void)param;
    uart_xoff = 0;
}

static void uart_xoff_cb(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq; (void)value; (void)param;
    uart_xoff = 1;
}

static void inq_push(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t next = (inq_head + 1) % sizeof inq;
        if (next == inq_tail) return;      /* host flooding faster than 1 Mbaud: drop */
        inq[inq_head] = b[i];
        inq_head = next;
    }
}

static void pty_service(void)
{
    uint8_t buf[256];
    ssize_t n = read(pty_master, buf, sizeof buf);
    if (n > 0) {
        if (!pty_connected) {
            pty_connected = 1;
        }
        inq_push(buf, (size_t)n);
    } else if (n < 0 && errno == EIO) {
        pty_connected = 0;             /* no client has the port open */
        pty_out_len = 0;
    } else if (n < 0 && errno == EAGAIN && !pty_connected) {
        pty_connected = 1;             /* a client opened the port: DTR pulse on a real Uno */
        if (reset_on_open) reset_pending = 1;   /* not from inside a cycle timer */
    }
    if (pty_connected && pty_out_len) {
        ssize_t w = write(pty_master, pty_out, pty_out_len);
        if (w > 0) {
            memmove(pty_out, pty_out + w, pty_out_len - (size_t)w);
            pty_out_len -= (size_t)w;
        }
    }
    /* pace: never run ahead of the wall clock by more than 2 ms */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double wall = (double)(now.tv_sec - wall_start.tv_sec) + 1e-9 * (double)(now.tv_nsec - wall_start.tv_nsec);
    double sim = (double)(avr->cycle - sim_start_cycle) / F_CPU_HZ;
    if (sim - wall > 0.002) {
        double d = sim - wall;
        struct timespec ts = { (time_t)d, (long)((d - floor(d)) * 1e9) };
        nanosleep(&ts, NULL);
    }
}

static avr_cycle_count_t service(struct avr_t *a, avr_cycle_count_t when, void *param)
{
    (void)param;
    while (next_command < n_commands && commands[next_command].t_s <= sim_time_s()) {
        inq_push(commands[next_command].bytes, commands[next_command].n);
        next_command++;
    }
    if (pty_master >= 0) pty_service();
    avr_irq_t *rx = avr_io_getirq(a, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    int budget = 16;                   /* at most ~16 bytes per 100 us, near 1 Mbaud */
    while (inq_tail != inq_head && !uart_xoff && budget-- > 0) {
        avr_raise_irq(rx, inq[inq_tail]);
        inq_tail = (inq_tail + 1) % sizeof inq;
    }
    if (slow_adc_at_s >= 0 && !slow_adc_done && sim_time_s() >= slow_adc_at_s) {
        /* ADPS2..0 = 111 in ADCSRA (0x7A); the firmware's "ADCSRA |= ADSC" keeps them */
        a->data[0x7A] |= 0x07;
        slow_adc_done = 1;
    }
    if (end_cycle && a->cycle >= end_cycle) stop_requested = 1;
    return when + SERVICE_CYCLES;
}

static void parse_wave(const char *arg)
{
    char kind[16];
    int ch;
    double a = 0, b = 0, c = 0;
    if (sscanf(arg, "%d=%15[a-z]", &ch, kind) != 2 || ch < 0 || ch >= N_INPUTS)
        die("--wave wants CH=SPEC with CH in 0..5");
    const char *spec = strchr(arg, ':');
    struct wave w = { 0, 0, 0, 0 };
    if (!strcmp(kind, "const") && spec && sscanf(spec, ":%lf", &a) == 1) {
        w = (struct wave){ W_CONST, a, 0, 0 };
    } else if (!strcmp(kind, "sine") && spec && sscanf(spec, ":%lf:%lf:%lf", &a, &b, &c) == 3) {
        w = (struct wave){ W_SINE, a, b, c };
    } else if (!strcmp(kind, "ramp") && spec && sscanf(spec, ":%lf:%lf:%lf", &a, &b, &c) == 3 && c > 0) {
        w = (struct wave){ W_RAMP, a, b, c };
    } else {
        die("bad --wave SPEC (const:MV | sine:OFFSET_MV:AMP_MV:FREQ_HZ | ramp:LO_MV:HI_MV:PERIOD_S)");
    }
    waves[ch] = w;
}

static void load_signal(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open --signal file");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    size_t row_bytes = N_INPUTS * sizeof(uint16_t);
    if (size <= 0 || (size_t)size % row_bytes) die("--signal file size is not a multiple of 12 bytes");
    signal_n_rows = (size_t)size / row_bytes;
    signal_rows = malloc((size_t)size);
    if (!signal_rows || fread(signal_rows, 1, (size_t)size, f) != (size_t)size) die("cannot read --signal file");
    fclose(f);
    /* file is little-endian; so is every host we build on (x86, arm) */
}

static void load_commands(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open --commands file");
    char line[4096];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        char hex[4000];
        double t;
        if (line[0] == '#' || sscanf(line, "%lf %3999s", &t, hex) != 2) continue;
        size_t n = strlen(hex) / 2;
        if (n_commands == cap) {
            cap = cap ? 2 * cap : 16;
            commands = realloc(commands, cap * sizeof *commands);
        }
        uint8_t *bytes = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            unsigned v;
            if (sscanf(hex + 2 * i, "%2x", &v) != 1) die("bad hex in --commands file");
            bytes[i] = (uint8_t)v;
        }
        commands[n_commands++] = (struct command){ t, bytes, n };
    }
    fclose(f);
    for (size_t i = 1; i < n_commands; i++)
        if (commands[i].t_s < commands[i - 1].t_s) die("--commands file must be in time order");
}

static void open_pty(void)
{
    pty_master = posix_openpt(O_RDWR | O_NOCTTY);
    if (pty_master < 0 || grantpt(pty_master) || unlockpt(pty_master)) die("cannot open a pseudo-terminal");
    const char *name = ptsname(pty_master);
    /* raw mode before any byte is written, or the line discipline echoes frames back */
    int slave = open(name, O_RDWR | O_NOCTTY);
    if (slave < 0) die("cannot open the pty slave");
    struct termios tio;
    tcgetattr(slave, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    close(slave);
    fcntl(pty_master, F_SETFL, fcntl(pty_master, F_GETFL) | O_NONBLOCK);
    printf("pty: %s\n", name);
    fflush(stdout);
}

/* simavr logs to stdout by default, which would mix with the UART bytes */
static void log_to_stderr(avr_t *a, const int level, const char *format, va_list ap)
{
    if (level <= (a ? a->log : LOG_WARNING)) vfprintf(stderr, format, ap);
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

int main(int argc, char **argv)
{
    const char *elf = NULL, *out_path = NULL, *times_path = NULL;
    double duration_s = 1.0;
    int use_pty = 0;
    unsigned long peeks[MAX_PEEKS];
    int n_peeks = 0;
    const char *signal_path = NULL;
    const char *imu_signal_path = NULL, *imu_log_path = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE() do { if (!v) die("missing value after an option"); i++; } while (0)
        if (!strcmp(a, "--duration")) { NEED_VALUE(); duration_s = atof(v); }
        else if (!strcmp(a, "--wave")) { NEED_VALUE(); parse_wave(v); }
        else if (!strcmp(a, "--signal")) { NEED_VALUE(); signal_path = v; }
        else if (!strcmp(a, "--signal-rate")) { NEED_VALUE(); signal_rate_hz = atof(v); }
        else if (!strcmp(a, "--commands")) { NEED_VALUE(); load_commands(v); }
        else if (!strcmp(a, "--out")) { NEED_VALUE(); out_path = v; }
        else if (!strcmp(a, "--out-times")) { NEED_VALUE(); times_path = v; }
        else if (!strcmp(a, "--peek")) {
            NEED_VALUE();
            if (n_peeks == MAX_PEEKS) die("too many --peek");
            peeks[n_peeks++] = strtoul(v, NULL, 0) & 0xFFFFul;
        }
        else if (!strcmp(a, "--imu")) { NEED_VALUE(); if (i2c_bus_add_imu(&bus, v)) die("bad --imu (SEG[:silent=T], SEG = pelvis|thigh|thorax)"); }
        else if (!strcmp(a, "--mux")) bus.mux.attached = 1;
        else if (!strcmp(a, "--imu-signal")) { NEED_VALUE(); imu_signal_path = v; }
        else if (!strcmp(a, "--imu-signal-rate")) { NEED_VALUE(); bus.signal_rate_hz = atof(v); }
        else if (!strcmp(a, "--imu-log")) { NEED_VALUE(); imu_log_path = v; }
        else if (!strcmp(a, "--slow-adc-at")) { NEED_VALUE(); slow_adc_at_s = atof(v); }
        else if (!strcmp(a, "--pty")) use_pty = 1;
        else if (!strcmp(a, "--no-reset-on-open")) reset_on_open = 0;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fprintf(stderr, "usage: %s FIRMWARE.elf [--duration S] [--wave CH=SPEC] [--signal FILE "
                            "--signal-rate HZ] [--commands FILE] [--out FILE] [--out-times FILE] "
                            "[--peek ADDR] [--imu SEG[:silent=T]] [--mux] [--imu-signal FILE --imu-signal-rate HZ] "
                            "[--imu-log FILE] [--slow-adc-at T] [--pty [--no-reset-on-open]]\n", argv[0]);
            return 0;
        }
        else if (a[0] == '-') die("unknown option (see --help)");
        else elf = a;
    }
    if (!elf) die("no firmware ELF given (see --help)");
    if (signal_path) {
        if (signal_rate_hz <= 0) die("--signal needs --signal-rate HZ");
        load_signal(signal_path);
    }
    if (imu_signal_path) {
        if (bus.signal_rate_hz <= 0) die("--imu-signal needs --imu-signal-rate HZ");
        if (i2c_bus_load_signal(&bus, imu_signal_path)) die("cannot read --imu-signal (float32, 18 per row)");
    }
    if (bus.imus[2].attached && !bus.mux.attached) die("--imu thorax needs --mux (it shares 0x68 with the pelvis)");
    if (imu_log_path && !(bus.log = fopen(imu_log_path, "w"))) die("cannot open --imu-log file");
    if (!out_path && !use_pty) out_path = "-";
    if (out_path) {
        out_file = strcmp(out_path, "-") ? fopen(out_path, "wb") : stdout;
        if (!out_file) die("cannot open --out file");
        setvbuf(out_file, NULL, _IOFBF, 1 << 16);
    }
    if (times_path && !(times_file = fopen(times_path, "wb"))) die("cannot open --out-times file");

    avr_global_logger_set(log_to_stderr);
    elf_firmware_t fw;
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(elf, &fw)) die("cannot read the firmware ELF");
    avr = avr_make_mcu_by_name("atmega328p");
    if (!avr) die("simavr has no atmega328p");
    avr_init(avr);
    avr->log = LOG_WARNING;
    /* an Arduino ELF carries no clock or voltage section */
    fw.frequency = F_CPU_HZ;
    fw.vcc = fw.avcc = fw.aref = VREF_MV;
    avr_load_firmware(avr, &fw);
    avr->frequency = F_CPU_HZ;
    avr->vcc = avr->avcc = avr->aref = VREF_MV;
    avr->log = LOG_WARNING;

    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);

    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER), adc_trigger, NULL);
    i2c_bus_attach(&bus, avr);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), uart_output, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), uart_xon, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), uart_xoff_cb, NULL);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (use_pty) open_pty();
    clock_gettime(CLOCK_MONOTONIC, &wall_start);
    sim_start_cycle = avr->cycle;
    end_cycle = duration_s > 0 ? (avr_cycle_count_t)(duration_s * F_CPU_HZ) : 0;
    avr_cycle_timer_register(avr, SERVICE_CYCLES, service, NULL);

    int state = cpu_Running;
    while (!stop_requested) {
        state = avr_run(avr);
        if (state == cpu_Done || state == cpu_Crashed) break;
        if (reset_pending) {
            reset_pending = 0;
            avr_reset(avr);            /* also drops every cycle timer: re-arm ours */
            inq_head = inq_tail = 0;
            uart_xoff = 0;
            pty_out_len = 0;
            clock_gettime(CLOCK_MONOTONIC, &wall_start);
            sim_start_cycle = avr->cycle;
            avr_cycle_timer_register(avr, SERVICE_CYCLES, service, NULL);
        }
    }
    if (out_file) fflush(out_file);
    if (times_file) fclose(times_file);
    if (bus.log) fclose(bus.log);
    if (bus.conflicts) fprintf(stderr, "simavr_harness: %u I2C address conflicts\n", bus.conflicts);
    for (int i = 0; i < n_peeks; i++)
        fprintf(stderr, "peek 0x%04lx %u\n", peeks[i],
                (unsigned)(avr->data[peeks[i]] | (avr->data[peeks[i] + 1] << 8)));
    fprintf(stderr, "simavr_harness: %.3f s simulated, %llu bytes out, %llu dropped (no pty client)\n",
            sim_time_s(), (unsigned long long)bytes_out, (unsigned long long)bytes_dropped);
    return state == cpu_Crashed ? 1 : 0;
}
