/**
 * @file fuzz_cbsom_wire.c
 * @brief libFuzzer harness for the datagrams the plant outside the charger takes
 *        (sim/sim_cbsom_plant.c): the car's pilot-wire messages (from evsim) and the
 *        stage's reports (from infysim), read by tools/cbsomsim from Unix sockets.
 *
 * The input is split at '\n'; each line goes to the car parser and to the stage parser as
 * a NUL-terminated string, then the plant steps once. Checked: no sanitizer report; a
 * refused message changes nothing it parsed; the reply to the car and the status fit their
 * buffers; the CP is A, B or C.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim_cbsom_plant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sim_cbsom_plant p;
    struct cbsom_device d;
    memset(&d, 0, sizeof d);
    d.phase = CBSOM_DEV_RUNNING;
    d.cc.pwm_active = true;
    d.cc.duty = 50;
    d.cc.contactor[0] = d.cc.contactor[1] = true;
    sim_cbsom_plant_init(&p, 5000, 0);
    char line[256];
    uint32_t now = 1;
    size_t i = 0;
    while (i < size) {
        size_t n = 0;
        while (i < size && data[i] != '\n' && n + 1 < sizeof line) {
            line[n++] = (char)data[i++];
        }
        i++;
        line[n] = '\0';
        struct sim_cbsom_car car_before = p.car;
        struct sim_cbsom_stage stage_before = p.stage;
        if (sim_cbsom_plant_car_msg(&p, line, now) != 0 && memcmp(&car_before, &p.car, sizeof car_before) != 0) {
            abort();
        }
        if (sim_cbsom_plant_stage_msg(&p, line, now) != 0 &&
            memcmp(&stage_before, &p.stage, sizeof stage_before) != 0) {
            abort();
        }
        enum cbsom_cp cp = sim_cbsom_plant_cp(&p, now);
        if (cp != CBSOM_CP_A && cp != CBSOM_CP_B && cp != CBSOM_CP_C) {
            abort();
        }
        d.car = cp;
        d.closed[0] = d.closed[1] = cp == CBSOM_CP_C && (now & 1u);
        char buf[512];
        int r = sim_cbsom_plant_car_reply(&p, &d, buf, 96, now);
        if (r < 0 || r >= 96) {
            abort();
        }
        (void)sim_cbsom_plant_load_cmd(&p, &d, buf, 64, now);
        struct sim_cbsom_sample x;
        sim_cbsom_plant_sample(&p, &d, now, &x);
        r = sim_cbsom_plant_status(&p, buf, sizeof buf);
        if (r < 0 || (size_t)r >= sizeof buf) {
            abort();
        }
        now += 7;
    }
    return 0;
}
