/*
 * Host build of arduino/emg_monitor/emg_frame.h, driven by tests/test_firmware_frame.py.
 *
 *   test_frame encode   print "name hex" lines for fixed inputs; Python compares them
 *                       with emg_monitor.protocol.encode_* byte for byte
 *   test_frame parse    read a hex byte stream on stdin, feed it to the command parser
 *                       one byte at a time, print "frame TYPE HEXPAYLOAD" per parsed
 *                       frame and a final "stats frames crc_errors overflows skipped"
 */
#include <stdio.h>
#include <string.h>

#include "emg_frame.h"

static void print_hex(const char *name, const uint8_t *b, unsigned n)
{
    printf("%s ", name);
    for (unsigned i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}

static int encode(void)
{
    uint8_t out[EMG_MAX_FRAME];
    char name[64];
    const uint8_t digits[] = "123456789";
    printf("crc_check %04x\n", emg_crc16(digits, 9));

    static const uint16_t counts[6] = {0, 1, 512, 1023, 0x00A5, 0x5AA5};
    static const uint32_t seqs[5] = {0, 1, 0x5AA5, 65536, 0xFFFFFFFFul};
    for (unsigned s = 0; s < 5; s++) {
        for (uint8_t n = 1; n <= EMG_MAX_CHANNELS; n++) {
            snprintf(name, sizeof name, "samples_%lu_%u", (unsigned long)seqs[s], (unsigned)n);
            print_hex(name, out, emg_encode_samples(out, seqs[s], counts, n));
        }
    }
    static const int16_t imu[6] = {-32768, 32767, 0, 1, -1, 0x5AA5};
    for (uint8_t seg = 0; seg < EMG_N_IMUS; seg++) {
        snprintf(name, sizeof name, "imu_%u", (unsigned)seg);
        print_hex(name, out, emg_encode_imu(out, 0xA55A0000ul + seg, seg, imu));
        snprintf(name, sizeof name, "imu_status_%u", (unsigned)seg);
        print_hex(name, out, emg_encode_imu_status(out, 70000ul + seg, seg, EMG_IMU_LOST));
    }
    /* a burst as the MPU-6050 sends it: big-endian, TEMP_OUT between accel and gyro */
    static const uint8_t burst[14] = {0x80, 0x00, 0x7F, 0xFF, 0x00, 0x01, 0x12, 0x34,
                                      0xFF, 0xFF, 0x40, 0x00, 0xC0, 0x00};
    int16_t unpacked[6];
    emg_mpu_unpack(burst, unpacked);
    printf("mpu_unpack %d %d %d %d %d %d\n", unpacked[0], unpacked[1], unpacked[2], unpacked[3],
           unpacked[4], unpacked[5]);
    for (uint8_t cmd = 0x10; cmd <= 0x15; cmd++) {
        for (uint8_t st = 0; st <= 2; st++) {
            snprintf(name, sizeof name, "ack_%u_%u", (unsigned)cmd, (unsigned)st);
            print_hex(name, out, emg_encode_ack(out, cmd, st));
        }
    }
    static const uint16_t rates[3] = {500, 1000, 2000};
    for (unsigned r = 0; r < 3; r++) {
        for (uint8_t e = 1; e <= EMG_MAX_EMG; e++) {
            for (uint8_t m = 0; m <= EMG_MAX_MOTION; m++) {
                for (uint8_t st = 0; st <= 1; st++) {
                    emg_hello_t h = {1, 2, 3, rates[r], e, m, 10,
                                     emg_choose_prescaler(16000000UL, rates[r], (uint8_t)(e + m)),
                                     st, 5000, (uint8_t)(m ? 0 : 7), (uint8_t)(m ? 0 : 5),
                                     (uint16_t)(m ? 0 : 100), 4, 500};
                    snprintf(name, sizeof name, "hello_%u_%u_%u_%u", (unsigned)rates[r],
                             (unsigned)e, (unsigned)m, (unsigned)st);
                    print_hex(name, out, emg_encode_hello(out, &h));
                }
            }
        }
    }
    uint8_t payload[EMG_MAX_PAYLOAD + 1];
    for (unsigned i = 0; i <= EMG_MAX_PAYLOAD; i++) payload[i] = (uint8_t)(i * 37u);
    print_hex("frame_max", out, emg_encode_frame(out, 0x7F, payload, EMG_MAX_PAYLOAD));
    printf("frame_too_long_len %u\n", emg_encode_frame(out, 0x7F, payload, EMG_MAX_PAYLOAD + 1));
    for (unsigned r = 0; r < 3; r++)
        for (uint8_t n = 1; n <= EMG_MAX_CHANNELS; n++)
            printf("prescaler_%u_%u %u\n", (unsigned)rates[r], (unsigned)n,
                   emg_choose_prescaler(16000000UL, rates[r], n));
    for (unsigned r = 0; r <= 3000; r += 250)
        printf("rate_valid_%u %u\n", r, emg_rate_valid((uint16_t)r));
    for (uint8_t e = 0; e <= 5; e++)
        for (uint8_t m = 0; m <= 3; m++)
            for (uint8_t mask = 0; mask <= 8; mask++)
                printf("channels_valid_%u_%u_%u %u\n", (unsigned)e, (unsigned)m, (unsigned)mask,
                       emg_channels_valid(e, m, mask));
    return 0;
}

static int parse(void)
{
    emg_parser_t p;
    emg_parser_init(&p);
    unsigned v;
    while (scanf("%2x", &v) == 1) {
        if (emg_parser_feed(&p, (uint8_t)v)) {
            char name[16];
            snprintf(name, sizeof name, "frame %02x", p.type);
            print_hex(name, p.payload, p.len);
        }
    }
    printf("stats %u %u %u %u\n", p.frames, p.crc_errors, p.overflows, p.skipped_bytes);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "encode")) return encode();
    if (argc == 2 && !strcmp(argv[1], "parse")) return parse();
    fprintf(stderr, "usage: %s encode|parse\n", argv[0]);
    return 2;
}
