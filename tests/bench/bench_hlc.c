/* bench_hlc.c - the clock, sort order, hex reader and charger status the V2G backend
 * benchmarks share (bench_hlc.h). */
#define _POSIX_C_SOURCE 200809L
#include "bench_hlc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

double bench_hlc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int bench_hlc_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

size_t bench_hlc_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *h = hex; h[0] && h[1] && n < cap; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

void bench_hlc_evse(struct hlc_evse *evse)
{
    memset(evse, 0, sizeof *evse);
    evse->present_voltage_mv = 345000;
    evse->present_current_ma = 57000;
    evse->max_voltage_mv = 500000;
    evse->max_current_ma = 200000;
    evse->max_power_w = 100000;
    evse->min_voltage_mv = 50000;
    evse->current_regulation_tolerance_ma = -1;
    evse->energy_to_deliver_wh = -1;
    evse->isolation = HLC_ISOLATION_VALID;
    evse->status = HLC_EVSE_READY;
    evse->authorization = evse->charge_parameters = evse->cable_check = HLC_PROCESSING_FINISHED;
}
