/* Benchmark of the meter hot paths (release build): OCMF parse, SHA-256 of a payload in
 * both forms, EM580 live decode, journal record encode/decode through a RAM store.
 * Prints figures; asserts nothing about speed. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "em580/em580.h"
#include "ocmf/ocmf.h"
#include "sha256/sha256.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static const char s_rec[] =
    "OCMF|{\"FV\":\"1.2\",\"GI\":\"\",\"GS\":\"\",\"GV\":\"\",\"PG\":\"T12\",\"MV\":\"Carlo Gavazzi "
    "Controls\",\"MM\":\"EM580\",\"MS\":\"KX1234567890AB\",\"MF\":\"1.2.3\",\"IS\":true,\"IL\":\"NONE\","
    "\"IF\":[],\"IT\":\"ISO14443\",\"ID\":\"04A1B2C3\",\"TT\":\"0.39 EUR/kWh<=>6b00efdb-5182-4000-8000-"
    "00000cf28402\",\"CT\":\"EVSEID\",\"CI\":\"DE*DCF*E0001*1\",\"LC\":{\"LN\":\"\",\"LI\": 0,\"LR\":0,"
    "\"LU\":\"mOhm\"},\"RD\":[{\"TM\":\"2026-11-21T01:00:00,000+0000 S\",\"TX\":\"B\",\"RV\":1234.567,"
    "\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\",\"RT\":\"AC\",\"ST\":\"G\"},{\"TM\":\"2026-11-21T01:30:00,000"
    "+0000 S\",\"TX\":\"E\",\"RV\":1240.001,\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\",\"RT\":\"AC\",\"ST\":"
    "\"G\"}]}|{\"SD\":\"304402201111111111111111111111111111111111111111111111111111111111111111022022"
    "22222222222222222222222222222222222222222222222222222222222222\",\"SA\":\"ECDSA-brainpoolP256r1-"
    "SHA256\"}";

int main(void)
{
    static struct ocmf_record r;
    const int n = 20000;
    double t0 = now_us();
    int ok = 0;
    for (int i = 0; i < n; i++) {
        ok += ocmf_parse(&r, s_rec, sizeof s_rec - 1) == HAL_OK;
    }
    double t1 = now_us();
    printf("bench_meter: ocmf_parse of a %zu-byte EM580 record: %.2f us (%d ok)\n",
           sizeof s_rec - 1, (t1 - t0) / n, ok);
    uint8_t d[32];
    t0 = now_us();
    for (int i = 0; i < n; i++) {
        struct sha256 h;
        sha256_init(&h);
        sha256_update(&h, (const uint8_t *)s_rec + r.payload.off, r.payload.len);
        sha256_final(&h, d);
    }
    t1 = now_us();
    printf("bench_meter: SHA-256 of the %u-byte payload: %.2f us\n", r.payload.len, (t1 - t0) / n);
    uint16_t block[52] = {2300, 0, 2301, 0, 2302, 0};
    struct em580_live lv;
    t0 = now_us();
    for (int i = 0; i < n * 10; i++) {
        block[0] = (uint16_t)i;
        em580_decode_live(block, &lv);
    }
    t1 = now_us();
    printf("bench_meter: EM580 live block decode: %.3f us (v=%d)\n", (t1 - t0) / (n * 10), (int)lv.v_dv[0]);
    return 0;
}
