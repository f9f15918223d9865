/* Unit tests of the InfyPower driver core: start-up, pacing, polling, sharing,
 * aggregation, liveness timeouts, errors from status bits, ignored frames and the
 * power-down proof, with modules answered by a small in-test model on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "infypower/infy_driver.h"

#define NMAX 60
#define LOGMAX 4096

struct tmod {
    bool alive;       /* answers at all */
    bool no_status;   /* answers everything except 0x04 */
    uint32_t bits;    /* status bits it reports */
    uint16_t vmax, vmin, imax_da, p_10w;
    bool on;
    uint32_t set_mv, set_ma;
    bool current_stuck; /* keeps its current after "off" */
    int32_t out_ma;
};

struct rig {
    struct infy_drv d;
    struct infy_config cfg;
    uint32_t now;
    struct tmod m[NMAX];
    int n;
    uint8_t group_count;
    struct hal_can_frame tx[LOGMAX];
    uint32_t tx_ms[LOGMAX];
    int ntx;
    uint32_t last_status_req[NMAX];
    uint32_t worst_status_gap[NMAX];
    bool delay_vi;       /* hold 0x03 answers until release_vi() */
    struct hal_can_frame held[NMAX];
    int nheld;
};

static struct rig s_rig;

static void put_f32(uint8_t *p, float x)
{
    uint32_t b;
    memcpy(&b, &x, 4);
    p[0] = (uint8_t)(b >> 24);
    p[1] = (uint8_t)(b >> 16);
    p[2] = (uint8_t)(b >> 8);
    p[3] = (uint8_t)b;
}

static void reply(struct rig *r, uint8_t cmd, uint8_t src, const uint8_t data[8])
{
    struct hal_can_frame f;
    memset(&f, 0, sizeof f);
    struct infy_id id = {.err = 0, .dev = INFY_DEV_SINGLE, .cmd = cmd, .dst = 0xF0, .src = src};
    f.id = infy_id_encode(&id);
    f.flags = HAL_CAN_FLAG_EXT;
    f.dlc = 8;
    memcpy(f.data, data, 8);
    if (cmd == INFY_CMD_READ_VI && r->delay_vi && r->nheld < NMAX) {
        r->held[r->nheld++] = f;
        return;
    }
    (void)infy_drv_rx(&r->d, &f, r->now);
}

static void release_vi(struct rig *r)
{
    for (int i = 0; i < r->nheld; i++) {
        (void)infy_drv_rx(&r->d, &r->held[i], r->now);
    }
    r->nheld = 0;
}

/* The module model: answers a request the moment it is sent. */
static void module_answer(struct rig *r, const struct hal_can_frame *f)
{
    struct infy_id id;
    infy_id_decode(f->id, &id);
    uint8_t d[8] = {0};
    if (id.dev == INFY_DEV_GROUP) {
        if (id.cmd == INFY_CMD_GROUP_COUNT && r->group_count > 0 && r->m[0].alive) {
            d[2] = r->group_count;
            reply(r, INFY_CMD_GROUP_COUNT, 0, d);
        }
        return;
    }
    if (id.dst >= r->n) {
        return;
    }
    struct tmod *m = &r->m[id.dst];
    if (id.cmd == INFY_CMD_STATUS) {
        uint32_t gap = r->now - r->last_status_req[id.dst];
        if (r->last_status_req[id.dst] != 0 && gap > r->worst_status_gap[id.dst]) {
            r->worst_status_gap[id.dst] = gap;
        }
        r->last_status_req[id.dst] = r->now;
    }
    if (!m->alive) {
        return;
    }
    switch (id.cmd) {
    case INFY_CMD_ONOFF:
        m->on = f->data[0] == 0;
        if (m->on) {
            m->out_ma = (int32_t)m->set_ma;
        } else if (!m->current_stuck) {
            m->out_ma = 0;
        }
        reply(r, id.cmd, id.dst, d);
        break;
    case INFY_CMD_SET_VI:
        m->set_mv = (uint32_t)f->data[0] << 24 | (uint32_t)f->data[1] << 16 | (uint32_t)f->data[2] << 8 | f->data[3];
        m->set_ma = (uint32_t)f->data[4] << 24 | (uint32_t)f->data[5] << 16 | (uint32_t)f->data[6] << 8 | f->data[7];
        if (m->on) {
            m->out_ma = (int32_t)m->set_ma;
        }
        reply(r, id.cmd, id.dst, d);
        break;
    case INFY_CMD_STATUS:
        if (m->no_status) {
            break;
        }
        d[2] = 1;
        d[4] = 30;
        d[5] = (uint8_t)(m->bits >> 16);
        d[6] = (uint8_t)((m->bits >> 8) | (m->on ? 0u : 1u));
        d[7] = (uint8_t)m->bits;
        reply(r, id.cmd, id.dst, d);
        break;
    case INFY_CMD_READ_VI:
        put_f32(&d[0], m->on ? (float)m->set_mv / 1000.0f : 0.0f);
        put_f32(&d[4], (float)m->out_ma / 1000.0f);
        reply(r, id.cmd, id.dst, d);
        break;
    case INFY_CMD_CAPS:
        d[0] = (uint8_t)(m->vmax >> 8);
        d[1] = (uint8_t)m->vmax;
        d[2] = (uint8_t)(m->vmin >> 8);
        d[3] = (uint8_t)m->vmin;
        d[4] = (uint8_t)(m->imax_da >> 8);
        d[5] = (uint8_t)m->imax_da;
        d[6] = (uint8_t)(m->p_10w >> 8);
        d[7] = (uint8_t)m->p_10w;
        reply(r, id.cmd, id.dst, d);
        break;
    case INFY_CMD_BARCODE:
        d[0] = 'V';
        d[7] = id.dst;
        reply(r, id.cmd, id.dst, d);
        break;
    case INFY_CMD_AFTER_DIODE: {
        uint32_t dv = m->on ? m->set_mv / 100u : 0u;
        d[0] = (uint8_t)(dv >> 8);
        d[1] = (uint8_t)dv;
        reply(r, id.cmd, id.dst, d);
        break;
    }
    default:
        break;
    }
}

static void run_ms(struct rig *r, uint32_t ms)
{
    for (uint32_t t = 0; t < ms; t++) {
        r->now++;
        (void)infy_drv_step(&r->d, r->now);
        struct hal_can_frame f;
        if (infy_drv_next_tx(&r->d, r->now, &f) == HAL_OK) {
            infy_drv_tx_done(&r->d, r->now);
            if (r->ntx < LOGMAX) {
                r->tx[r->ntx] = f;
                r->tx_ms[r->ntx] = r->now;
                r->ntx++;
            }
            module_answer(r, &f);
        }
    }
}

static void rig_start(struct rig *r, int n, uint32_t t0)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    infy_default_config(&r->cfg);
    r->cfg.count = (uint8_t)n;
    for (int i = 0; i < n; i++) {
        r->cfg.addresses[i] = (uint8_t)i;
        r->m[i] = (struct tmod){.alive = true, .vmax = 1000, .vmin = 50, .imax_da = 1000, .p_10w = 3000};
    }
    r->now = t0;
    assert_int_equal(infy_drv_init(&r->d, &r->cfg, NULL, r->now), HAL_OK);
}

static int count_tx(const struct rig *r, int from, uint8_t cmd, int dst)
{
    int c = 0;
    for (int i = from; i < r->ntx; i++) {
        struct infy_id id;
        infy_id_decode(r->tx[i].id, &id);
        if (id.cmd == cmd && (dst < 0 || id.dst == dst)) {
            c++;
        }
    }
    return c;
}

static uint8_t n_active(const struct rig *r)
{
    uint8_t o, a;
    infy_drv_counts(&r->d, &o, &a);
    return a;
}

/* ---------------------------------------------------------------- tests */

static void test_config_check(void **state)
{
    (void)state;
    struct infy_config c;
    const char *why = NULL;
    infy_default_config(&c);
    c.count = 1;
    assert_int_equal(infy_config_check(&c, &why), HAL_OK);
    assert_int_equal(c.offline_timeout_ms, 15000u);
    c.offline_timeout_ms = 10000;
    assert_int_equal(infy_config_check(&c, &why), HAL_EINVAL);
    assert_non_null(strstr(why, "10 s watchdog"));
    c.offline_timeout_ms = 10001;
    assert_int_equal(infy_config_check(&c, &why), HAL_OK);
    c.offline_timeout_ms = 15000;
    c.controller = 0xF8;
    assert_int_equal(infy_config_check(&c, &why), HAL_EINVAL);
    c.controller = 0xF0;
    c.count = 2;
    c.addresses[1] = 0;
    assert_int_equal(infy_config_check(&c, &why), HAL_EINVAL);
    assert_non_null(strstr(why, "twice"));
    c.addresses[1] = 0x3C;
    assert_int_equal(infy_config_check(&c, &why), HAL_EINVAL);
    c.addresses[1] = 1;
    c.poll_period_ms = 1001;
    assert_int_equal(infy_config_check(&c, &why), HAL_EINVAL);
    c.poll_period_ms = 950;
    c.frame_spacing_ms = 49;
    assert_int_equal(infy_config_check(&c, &why), HAL_EINVAL);
    c.frame_spacing_ms = 50;
    c.count = 0;
    assert_int_equal(infy_config_check(&c, &why), HAL_EINVAL);
    struct infy_drv d;
    c.count = 1;
    c.offline_timeout_ms = 9000;
    assert_int_equal(infy_drv_init(&d, &c, NULL, 0), HAL_EINVAL);
}

static void test_start_switches_all_off_first(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 4, 1000);
    run_ms(r, 400);
    assert_true(r->ntx >= 4);
    for (int i = 0; i < 4; i++) {
        struct infy_id id;
        infy_id_decode(r->tx[i].id, &id);
        assert_int_equal(id.cmd, INFY_CMD_ONOFF);
        assert_int_equal(id.dst, i);
        assert_int_equal(r->tx[i].data[0], 0x01);
        assert_int_equal(r->tx[i].flags, HAL_CAN_FLAG_EXT);
        assert_int_equal(r->tx[i].dlc, 8);
    }
}

static void test_pacing_and_poll_period_small(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    for (int n = 1; n <= 4; n++) {
        rig_start(r, n, 5000);
        run_ms(r, 12000);
        /* control frames included: never two frames less than 50 ms apart */
        for (int i = 1; i < r->ntx; i++) {
            assert_true(r->tx_ms[i] - r->tx_ms[i - 1] >= 50u);
        }
        for (int k = 0; k < n; k++) {
            assert_true(r->worst_status_gap[k] > 0);
            assert_true(r->worst_status_gap[k] <= 1000u);
        }
        assert_int_equal(n_active(r), n);
        assert_int_equal(infy_drv_stats(&r->d)->slot_ms, 50u);
    }
}

static void test_poll_period_60_modules(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 60, 0);
    run_ms(r, 5000);
    assert_int_equal(n_active(r), 60);
    uint32_t slot = infy_drv_stats(&r->d)->slot_ms;
    assert_in_range(slot, CFG_INFY_MIN_SLOT_MS, 10);
    /* a setpoint and "on" to all 60 while polling: the polls keep their period */
    assert_int_equal(infy_drv_set_export(&r->d, 500000, 3000000), HAL_OK);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    memset(r->worst_status_gap, 0, sizeof r->worst_status_gap);
    int from = r->ntx;
    run_ms(r, 10000);
    for (int k = 0; k < 60; k++) {
        assert_true(r->worst_status_gap[k] <= 1000u);
        assert_true(r->m[k].on);
        assert_int_equal(r->m[k].set_ma, 50000u);
    }
    for (int i = 1; i < r->ntx; i++) {
        assert_true(r->tx_ms[i] - r->tx_ms[i - 1] >= slot);
    }
    /* two polls of the same module are far apart (command-major order); while on there
     * are no power-down proof reads in between */
    for (int i = from; i < r->ntx; i++) {
        uint32_t ci = (r->tx[i].id >> 16) & 0x3Fu;
        for (int j = i + 1; j < r->ntx && r->tx_ms[j] - r->tx_ms[i] < 50u; j++) {
            uint32_t cj = (r->tx[j].id >> 16) & 0x3Fu;
            if (ci < INFY_CMD_ONOFF && cj < INFY_CMD_ONOFF) {
                assert_int_not_equal((r->tx[i].id >> 8) & 0xFFu, (r->tx[j].id >> 8) & 0xFFu);
            }
        }
    }
}

static void test_sharing_and_aggregation(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 3, 0);
    r->m[1].vmax = 750;  /* lowest maximum */
    r->m[2].vmin = 150;  /* highest minimum */
    r->m[2].imax_da = 200; /* 20 A only */
    r->m[2].p_10w = 1000;  /* 10 kW */
    run_ms(r, 3000);
    const struct infy_caps_total *c = infy_drv_caps(&r->d);
    assert_true(c->valid);
    assert_int_equal(c->max_voltage_mv, 750000u);
    assert_int_equal(c->min_voltage_mv, 150000u);
    assert_int_equal(c->max_current_ma, 220000u);
    assert_int_equal(c->max_power_w, 70000u);
    assert_int_equal(c->min_current_ma, 1000u);

    /* 150 A at 400 V: the 20 A module is at its limit, the others share the rest */
    assert_int_equal(infy_drv_set_export(&r->d, 400000, 150000), HAL_OK);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    run_ms(r, 1000);
    assert_int_equal(r->m[0].set_ma, 65000u);
    assert_int_equal(r->m[1].set_ma, 65000u);
    assert_int_equal(r->m[2].set_ma, 20000u);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(r->m[k].set_mv, 400000u);
        assert_true(r->m[k].on);
    }
    /* 60 A: equal thirds */
    assert_int_equal(infy_drv_set_export(&r->d, 400000, 60000), HAL_OK);
    run_ms(r, 1000);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(r->m[k].set_ma, 20000u);
    }
    /* at 700 V module 2's 10 kW allow 14.285 A */
    assert_int_equal(infy_drv_set_export(&r->d, 700000, 100000), HAL_OK);
    run_ms(r, 1000);
    assert_int_equal(r->m[2].set_ma, 14285u);
    assert_int_equal(r->m[0].set_ma + r->m[1].set_ma + r->m[2].set_ma, 100000u);
    /* out of range: clamped and reported */
    assert_int_equal(infy_drv_set_export(&r->d, 900000, 500000), HAL_EINVAL);
    run_ms(r, 1000);
    assert_int_equal(r->m[0].set_mv, 750000u);
    /* 70 kW at 750 V = 93.333 A */
    assert_int_equal(r->m[0].set_ma + r->m[1].set_ma + r->m[2].set_ma, 93333u);
    assert_int_equal(infy_drv_set_export(&r->d, 10000, 0), HAL_EINVAL);
    run_ms(r, 1000);
    assert_int_equal(r->m[0].set_mv, 150000u);
    assert_int_equal(r->m[0].set_ma + r->m[1].set_ma + r->m[2].set_ma, 1000u); /* 1 A minimum */
    /* every 0x1C payload was mV and mA, u32 big-endian */
    for (int i = 0; i < r->ntx; i++) {
        if (((r->tx[i].id >> 16) & 0x3Fu) == INFY_CMD_SET_VI) {
            assert_true(r->tx[i].data[0] == 0x00);
        }
    }
}

static void test_on_refused_until_ready(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 1, 0);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_ESTATE); /* no capabilities */
    run_ms(r, 2000);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_ESTATE); /* no setpoint */
    assert_int_equal(infy_drv_set_export(&r->d, 400000, 10000), HAL_OK);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    int from = r->ntx;
    run_ms(r, 500);
    /* the setpoint goes out before the "on" */
    int i_set = -1, i_on = -1;
    for (int i = from; i < r->ntx; i++) {
        uint8_t cmd = (uint8_t)((r->tx[i].id >> 16) & 0x3Fu);
        if (cmd == INFY_CMD_SET_VI && i_set < 0) {
            i_set = i;
        }
        if (cmd == INFY_CMD_ONOFF && r->tx[i].data[0] == 0 && i_on < 0) {
            i_on = i;
        }
    }
    assert_true(i_set >= 0 && i_on > i_set);
    assert_true(r->m[0].on);
}

static void test_offline_timeout_and_rejoin(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 4, 0xFFFFF000u); /* across the 32-bit wrap */
    run_ms(r, 3000);
    assert_int_equal(infy_drv_set_export(&r->d, 400000, 200000), HAL_OK);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    run_ms(r, 1000);
    assert_int_equal(r->m[3].set_ma, 50000u);
    assert_int_equal(infy_drv_caps(&r->d)->max_current_ma, 400000u);

    r->m[3].alive = false;
    uint32_t lost = r->now;
    run_ms(r, 14000);
    /* still in the sum: it may still deliver current until its own watchdog */
    assert_int_equal(n_active(r), 4);
    assert_int_equal(infy_drv_caps(&r->d)->max_current_ma, 400000u);
    assert_int_equal(r->m[0].set_ma, 50000u);
    run_ms(r, 2000);
    assert_true(r->now - lost >= 15000u);
    assert_int_equal(n_active(r), 3);
    assert_int_equal(infy_drv_caps(&r->d)->max_current_ma, 300000u);
    /* the setpoint and "on" went out again with the new share */
    for (int k = 0; k < 3; k++) {
        assert_in_range(r->m[k].set_ma, 66666u, 66667u);
        assert_true(r->m[k].on);
    }
    /* it is still polled, and rejoins when it answers */
    int from = r->ntx;
    run_ms(r, 1000);
    assert_true(count_tx(r, from, INFY_CMD_STATUS, 3) >= 1);
    r->m[3].alive = true;
    r->m[3].on = false; /* its watchdog switched it off meanwhile */
    run_ms(r, 2000);
    assert_int_equal(n_active(r), 4);
    assert_true(r->m[3].on);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(r->m[k].set_ma, 50000u);
    }
}

static void test_all_lost_comm_fault(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 2, 0);
    run_ms(r, 2000);
    assert_int_equal(infy_drv_set_export(&r->d, 400000, 20000), HAL_OK);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    run_ms(r, 1000);
    uint32_t gen = infy_drv_errors_generation(&r->d);
    r->m[0].alive = r->m[1].alive = false;
    run_ms(r, 14000);
    assert_false(infy_drv_comm_fault(&r->d));
    int from = r->ntx;
    run_ms(r, 2000);
    assert_true(infy_drv_comm_fault(&r->d));
    assert_true(infy_drv_errors_generation(&r->d) != gen);
    assert_false(infy_drv_is_on(&r->d));
    assert_true(count_tx(r, from, INFY_CMD_ONOFF, -1) >= 2); /* "off" to both */
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_ESTATE);
    assert_false(infy_drv_caps(&r->d)->valid);
    /* one comes back: the fault clears, the stage stays off until asked again */
    r->m[1].alive = true;
    run_ms(r, 2000);
    assert_false(infy_drv_comm_fault(&r->d));
    assert_false(infy_drv_is_on(&r->d));
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    run_ms(r, 1000);
    assert_true(r->m[1].on);
    assert_int_equal(r->m[1].set_ma, 20000u); /* the cached setpoint, all on the survivor */
}

static void test_nothing_answers_at_start(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 2, 0);
    r->m[0].alive = r->m[1].alive = false;
    run_ms(r, 14000);
    assert_false(infy_drv_comm_fault(&r->d));
    run_ms(r, 2000);
    assert_true(infy_drv_comm_fault(&r->d));
}

static void test_status_bits_to_errors(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    size_t n = 0;
    const struct infy_status_map *map = infy_status_table(&n);
    assert_int_equal(n, 14);
    rig_start(r, 2, 0);
    run_ms(r, 2000);
    assert_int_equal(n_active(r), 2);
    for (size_t i = 0; i < n; i++) {
        struct infy_module_info mi;
        uint32_t gen = infy_drv_errors_generation(&r->d);
        r->m[1].bits = map[i].bit;
        run_ms(r, 1000);
        assert_int_equal(infy_drv_module_info(&r->d, 1, &mi), HAL_OK);
        assert_int_equal(mi.err_mask, 1u << map[i].error);
        assert_true(infy_drv_errors_generation(&r->d) != gen);
        /* a failed module leaves the sharing; a fan warning does not */
        assert_int_equal(n_active(r), map[i].error == INFY_E_VENDOR_WARNING ? 2 : 1);
        assert_int_equal(infy_error_high(map[i].error), map[i].error != INFY_E_VENDOR_WARNING);
        gen = infy_drv_errors_generation(&r->d);
        run_ms(r, 1000); /* unchanged: not raised again */
        assert_int_equal(infy_drv_errors_generation(&r->d), gen);
        r->m[1].bits = 0;
        run_ms(r, 1000);
        assert_int_equal(infy_drv_module_info(&r->d, 1, &mi), HAL_OK);
        assert_int_equal(mi.err_mask, 0u);
        assert_int_equal(n_active(r), 2);
    }
    /* the mapping of the sheet */
    static const struct {
        uint32_t bit;
        enum infy_error e;
    } want[] = {
        {INFY_ST_SHORT_CIRCUIT, INFY_E_OVER_CURRENT_DC}, {INFY_ST_DISCHARGE_ABNORMAL, INFY_E_HARDWARE},
        {INFY_ST_FAULT_ALARM, INFY_E_HARDWARE},          {INFY_ST_PROTECTION, INFY_E_HARDWARE},
        {INFY_ST_FAN_FAULT, INFY_E_VENDOR_WARNING},      {INFY_ST_OVER_TEMP, INFY_E_OVER_TEMPERATURE},
        {INFY_ST_OUTPUT_OVER_VOLTAGE, INFY_E_OVER_VOLTAGE_DC},
        {INFY_ST_COMM_INTERRUPT, INFY_E_COMMUNICATION},  {INFY_ST_LOAD_SHARING, INFY_E_HARDWARE},
        {INFY_ST_PHASE_LOST, INFY_E_VENDOR_ERROR},       {INFY_ST_INPUT_UNBALANCED, INFY_E_UNDER_VOLTAGE_AC},
        {INFY_ST_INPUT_UNDER_VOLTAGE, INFY_E_UNDER_VOLTAGE_DC},
        {INFY_ST_INPUT_OVER_VOLTAGE, INFY_E_UNDER_VOLTAGE_AC}, {INFY_ST_ID_REPEATED, INFY_E_VENDOR_ERROR},
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        bool found = false;
        for (size_t i = 0; i < n; i++) {
            if (map[i].bit == want[w].bit) {
                assert_int_equal(map[i].error, want[w].e);
                found = true;
            }
        }
        assert_true(found);
    }
    /* status-only bits raise nothing */
    r->m[0].bits = INFY_ST_SLEEPING | INFY_ST_WALK_IN | INFY_ST_POWER_LIMITING | INFY_ST_PFC_OFF;
    run_ms(r, 1000);
    struct infy_module_info mi;
    assert_int_equal(infy_drv_module_info(&r->d, 0, &mi), HAL_OK);
    assert_int_equal(mi.err_mask, 0u);
    assert_int_equal(n_active(r), 2);
    assert_string_equal(infy_error_name(INFY_E_OVER_VOLTAGE_DC), "OverVoltageDC");
}

static void test_ignored_frames(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 2, 0);
    run_ms(r, 2000);
    struct infy_module_info before, after;
    assert_int_equal(infy_drv_module_info(&r->d, 0, &before), HAL_OK);
    const struct infy_stats *st = infy_drv_stats(&r->d);
    uint32_t rx = st->rx;

    struct hal_can_frame f;
    memset(&f, 0, sizeof f);
    f.flags = HAL_CAN_FLAG_EXT;
    f.dlc = 8;
    put_f32(&f.data[0], 999.0f);
    put_f32(&f.data[4], 999.0f);
    f.id = 0x0283F000u; /* 0x03 from module 0 */
    f.dlc = 7;
    assert_int_equal(infy_drv_rx(&r->d, &f, r->now), HAL_EPROTO);
    f.dlc = 8;
    f.id = 0x0283F000u | (3u << 26); /* error field: data invalid */
    assert_int_equal(infy_drv_rx(&r->d, &f, r->now), HAL_EAGAIN);
    f.id = 0x0283F100u; /* to controller 0xF1 */
    assert_int_equal(infy_drv_rx(&r->d, &f, r->now), HAL_EAGAIN);
    f.id = 0x0283F005u; /* from unlisted module 5 */
    assert_int_equal(infy_drv_rx(&r->d, &f, r->now), HAL_EAGAIN);
    f.id = 0x0757F800u; /* internal traffic */
    assert_int_equal(infy_drv_rx(&r->d, &f, r->now), HAL_EAGAIN);
    f.id = 0x283u; /* standard frame */
    f.flags = 0;
    assert_int_equal(infy_drv_rx(&r->d, &f, r->now), HAL_EPROTO);
    f.id = 0x0283F000u;
    f.flags = HAL_CAN_FLAG_EXT | HAL_CAN_FLAG_RTR;
    assert_int_equal(infy_drv_rx(&r->d, &f, r->now), HAL_EPROTO);
    f.flags = HAL_CAN_FLAG_EXT;
    f.id = 0x02BFF000u; /* unknown command 0x3F */
    assert_int_equal(infy_drv_rx(&r->d, &f, r->now), HAL_EAGAIN);
    f.id = 0x0283F000u;
    memset(f.data, 0xFF, 8); /* NaN readings */
    assert_int_equal(infy_drv_rx(&r->d, &f, r->now), HAL_EPROTO);
    f.id = 0x028AF000u; /* caps with min > max */
    memset(f.data, 0, 8);
    f.data[1] = 10;
    f.data[3] = 20;
    f.data[5] = 1;
    assert_int_equal(infy_drv_rx(&r->d, &f, r->now), HAL_EPROTO);

    assert_int_equal(st->rx, rx);
    assert_int_equal(st->rx_malformed, 5u);
    assert_int_equal(st->rx_error_field, 1u);
    assert_int_equal(st->rx_foreign, 2u);
    assert_int_equal(st->rx_internal, 1u);
    assert_int_equal(st->rx_unknown_cmd, 1u);
    assert_int_equal(infy_drv_module_info(&r->d, 0, &after), HAL_OK);
    assert_int_equal(after.voltage_mv, before.voltage_mv);
    assert_int_equal(after.current_ma, before.current_ma);
    assert_int_equal(after.caps.max_voltage_mv, before.caps.max_voltage_mv);
}

static void test_power_down_proof(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    struct infy_output o;
    rig_start(r, 2, 0);
    run_ms(r, 2000);
    infy_drv_output(&r->d, r->now, &o);
    assert_true(o.valid); /* off since start, both proven */
    assert_int_equal(infy_drv_off_done(&r->d, r->now), HAL_OK);
    assert_int_equal(infy_drv_set_export(&r->d, 400000, 100000), HAL_OK);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    assert_int_equal(infy_drv_off_done(&r->d, r->now), HAL_ESTATE);
    run_ms(r, 2000);
    infy_drv_output(&r->d, r->now, &o);
    assert_true(o.valid);
    assert_int_equal(o.current_ma, 100000);
    assert_int_equal(o.voltage_mv, 400000);

    /* off: the stale 100 A must not count, nor a reading requested before the "off" */
    r->delay_vi = true;
    run_ms(r, 400); /* some 0x03 requests are now unanswered */
    r->delay_vi = false;
    assert_int_equal(infy_drv_set_on(&r->d, false, r->now), HAL_OK);
    release_vi(r); /* pre-"off" answers arrive late */
    infy_drv_output(&r->d, r->now, &o);
    assert_false(o.valid);
    assert_int_equal(infy_drv_off_done(&r->d, r->now), HAL_EAGAIN);
    uint32_t t_off = r->now;
    while (infy_drv_off_done(&r->d, r->now) == HAL_EAGAIN && r->now - t_off < 2000u) {
        run_ms(r, 1);
    }
    assert_int_equal(infy_drv_off_done(&r->d, r->now), HAL_OK);
    assert_true(r->now - t_off <= 250u); /* 2 x "off" + 2 x proof read, 50 ms apart */
    assert_false(r->m[0].on);
    assert_false(r->m[1].on);
    infy_drv_output(&r->d, r->now, &o);
    assert_true(o.valid);
    assert_int_equal(o.current_ma, 0);

    /* a module that keeps its current: no proof, then the bounded timeout */
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    run_ms(r, 2000);
    r->m[0].current_stuck = true;
    assert_int_equal(infy_drv_set_on(&r->d, false, r->now), HAL_OK);
    run_ms(r, 1000);
    assert_int_equal(infy_drv_off_done(&r->d, r->now), HAL_EAGAIN);
    infy_drv_output(&r->d, r->now, &o);
    assert_true(o.valid);
    assert_int_equal(o.current_ma, 50000);
    run_ms(r, 500);
    assert_int_equal(infy_drv_off_done(&r->d, r->now), HAL_ETIMEDOUT);
}

static void test_silent_module_blocks_proof(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 2, 0);
    run_ms(r, 2000);
    assert_int_equal(infy_drv_set_export(&r->d, 400000, 100000), HAL_OK);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    run_ms(r, 2000);
    r->m[1].alive = false; /* silent but within the timeout: may still deliver */
    assert_int_equal(infy_drv_set_on(&r->d, false, r->now), HAL_OK);
    run_ms(r, 1400);
    assert_int_equal(infy_drv_off_done(&r->d, r->now), HAL_EAGAIN);
    struct infy_output o;
    infy_drv_output(&r->d, r->now, &o);
    assert_false(o.valid);
}

/* Issue 12: the output's voltage is a polled value; its age says how old. While every
 * module answers, it is at most one poll slot old; when they fall silent the old value is
 * kept (and still "valid" within the offline timeout), but its age grows, so that the
 * charger's over-voltage monitor can pass it over. */
static void test_output_age(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 2, 0);
    run_ms(r, 2000);
    assert_int_equal(infy_drv_set_export(&r->d, 400000, 100000), HAL_OK);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    uint32_t worst = 0;
    struct infy_output o;
    for (int i = 0; i < 3000; i++) {
        run_ms(r, 1);
        infy_drv_output(&r->d, r->now, &o);
        assert_true(o.valid);
        worst = o.age_ms > worst ? o.age_ms : worst;
    }
    /* Two modules polled once per 900 ms period each: a fresh answer every ~450 ms. */
    assert_true(worst <= r->cfg.poll_period_ms);
    /* Commanded off: until every module proves it, the output is not "valid" (the current
     * is unproven), but the voltage is still a measurement the monitor may use. */
    assert_int_equal(infy_drv_set_on(&r->d, false, r->now), HAL_OK);
    infy_drv_output(&r->d, r->now, &o);
    assert_false(o.valid);
    assert_true(o.voltage_known);
    assert_true(o.age_ms <= r->cfg.poll_period_ms);
    assert_int_equal(infy_drv_set_on(&r->d, true, r->now), HAL_OK);
    run_ms(r, 1000);
    r->m[0].alive = false;
    r->m[1].alive = false;
    run_ms(r, 3000);
    infy_drv_output(&r->d, r->now, &o);
    assert_true(o.valid); /* within the offline timeout: the old reading stands */
    assert_true(o.age_ms >= 3000);
}

static void test_group_mode(void **state)
{
    (void)state;
    struct rig *r = &s_rig;
    rig_start(r, 3, 0);
    r->cfg.addressing = INFY_ADDRESSING_GROUP;
    r->cfg.group = 1;
    r->cfg.count = 0;
    r->group_count = 3;
    assert_int_equal(infy_drv_init(&r->d, &r->cfg, NULL, r->now), HAL_OK);
    run_ms(r, 10);
    assert_int_equal(r->tx[0].id, 0x02C201F0u); /* group count request first */
    run_ms(r, 3000);
    assert_int_equal(infy_drv_module_count(&r->d), 3u);
    assert_int_equal(n_active(r), 3);
    /* after the first count answer: "off" to each module */
    for (int k = 0; k < 3; k++) {
        bool off = false;
        for (int i = 0; i < r->ntx; i++) {
            if (r->tx[i].id == (0x029A00F0u | (uint32_t)k << 8) && r->tx[i].data[0] == 1) {
                off = true;
            }
        }
        assert_true(off);
    }
    /* a count request starts every cycle */
    int from = r->ntx;
    run_ms(r, 3000);
    assert_in_range(count_tx(r, from, INFY_CMD_GROUP_COUNT, -1), 3, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_start_switches_all_off_first),
        cmocka_unit_test(test_pacing_and_poll_period_small),
        cmocka_unit_test(test_poll_period_60_modules),
        cmocka_unit_test(test_sharing_and_aggregation),
        cmocka_unit_test(test_on_refused_until_ready),
        cmocka_unit_test(test_offline_timeout_and_rejoin),
        cmocka_unit_test(test_all_lost_comm_fault),
        cmocka_unit_test(test_nothing_answers_at_start),
        cmocka_unit_test(test_status_bits_to_errors),
        cmocka_unit_test(test_ignored_frames),
        cmocka_unit_test(test_power_down_proof),
        cmocka_unit_test(test_silent_module_blocks_proof),
        cmocka_unit_test(test_output_age),
        cmocka_unit_test(test_group_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
