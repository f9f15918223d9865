/* Unit tests of the power-path interlock: the safety order (power off, contactors
 * open, unlock) in the normal path and in every fault and timeout it handles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_power.h"
#include "interlock.h"
#include "psu_none.h"

struct rig {
    struct fake_power fp;
    struct interlock il;
    uint32_t now;
};

static struct rig s_rig;

/* Advance in 5 ms supervision steps, letting the fake's physics follow each step. */
static void run_ms(struct rig *r, uint32_t ms)
{
    for (uint32_t t = 0; t < ms; t += 5) {
        r->now += 5;
        fake_power_tick(&r->fp, r->now);
        interlock_step(&r->il, r->now);
    }
}

static int setup(void **state)
{
    struct rig *r = &s_rig;
    struct interlock_config cfg;
    fake_power_init(&r->fp);
    interlock_default_config(&cfg);
    r->now = 1000;
    assert_int_equal(interlock_init(&r->il, &cfg, &r->fp.gpio, &r->fp.psu, r->now), HAL_OK);
    run_ms(r, 50);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    *state = r;
    return 0;
}

static void close_path(struct rig *r)
{
    interlock_request(&r->il, INTERLOCK_TARGET_CLOSED);
    run_ms(r, 50);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_CLOSED);
    assert_true(interlock_power_allowed(&r->il));
    /* the charger would now switch the stage on */
    assert_int_equal(psu_set_mode(&r->fp.psu, PSU_MODE_EXPORT, r->now), HAL_OK);
    run_ms(r, 10);
    assert_true(r->fp.current_ma > 2000);
}

static void assert_no_breach(const struct rig *r)
{
    assert_int_equal(r->fp.breach_open_under_load, 0);
    assert_int_equal(r->fp.breach_unlock_while_closed, 0);
    assert_int_equal(r->fp.breach_close_unlocked, 0);
    assert_int_equal(r->fp.breach_export_open, 0);
}

/* The first opening after `from` comes after an "off" with no "export" in between,
 * and any unlock after `from` comes after that opening. */
static void assert_safe_order(const struct rig *r, int from)
{
    int open = fake_power_find(&r->fp, FAKE_CONTACTORS_OPEN, from);
    int unlock = fake_power_find(&r->fp, FAKE_UNLOCK, from);
    int off = -1;
    assert_true(open >= 0);
    for (int i = 0; i < open; i++) {
        if (r->fp.journal[i] == FAKE_PSU_OFF) {
            off = i;
        } else if (r->fp.journal[i] == FAKE_PSU_EXPORT) {
            off = -1;
        }
    }
    assert_true(off >= 0);
    if (unlock >= 0) {
        assert_true(unlock > open);
    }
}

static void test_normal_close_and_release(void **state)
{
    struct rig *r = *state;
    int lock = fake_power_find(&r->fp, FAKE_LOCK, 0);
    assert_int_equal(lock, -1);
    close_path(r);
    lock = fake_power_find(&r->fp, FAKE_LOCK, 0);
    int close = fake_power_find(&r->fp, FAKE_CONTACTORS_CLOSE, 0);
    assert_true(lock >= 0 && close > lock);
    int mark = r->fp.njournal;
    interlock_request(&r->il, INTERLOCK_TARGET_UNLOCKED);
    run_ms(r, 100);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_NONE);
    assert_safe_order(r, mark);
    assert_int_not_equal(fake_power_find(&r->fp, FAKE_UNLOCK, mark), -1);
    assert_no_breach(r);
}

static void test_stop_keeping_lock(void **state)
{
    struct rig *r = *state;
    close_path(r);
    interlock_request(&r->il, INTERLOCK_TARGET_LOCKED);
    run_ms(r, 100);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_LOCKED);
    assert_int_equal(fake_power_find(&r->fp, FAKE_UNLOCK, 0), -1);
    assert_no_breach(r);
}

static void test_waits_for_current_then_opens(void **state)
{
    struct rig *r = *state;
    close_path(r);
    r->fp.current_stuck = true;
    int mark = r->fp.njournal;
    interlock_request(&r->il, INTERLOCK_TARGET_UNLOCKED);
    run_ms(r, 400);
    /* still waiting: the current has not fallen and the timeout (500 ms) has not passed */
    assert_int_equal(interlock_state(&r->il), INTERLOCK_POWER_DOWN);
    assert_int_equal(fake_power_find(&r->fp, FAKE_CONTACTORS_OPEN, mark), -1);
    run_ms(r, 200);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_POWER_DOWN_TIMEOUT);
    assert_true(r->il.opened_under_load);
    run_ms(r, 100);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    assert_safe_order(r, mark);
    /* the opening came only after the full timeout */
    int open = fake_power_find(&r->fp, FAKE_CONTACTORS_OPEN, mark);
    int off = fake_power_find(&r->fp, FAKE_PSU_OFF, mark);
    assert_true(r->fp.journal_ms[open] - r->fp.journal_ms[off] >= 500);
}

static void test_current_falls_slowly(void **state)
{
    struct rig *r = *state;
    close_path(r);
    r->fp.current_stuck = true;
    interlock_request(&r->il, INTERLOCK_TARGET_UNLOCKED);
    run_ms(r, 100);
    r->fp.current_stuck = false;
    run_ms(r, 100);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_NONE);
    assert_no_breach(r);
}

static void test_unreadable_stage_counts_as_live(void **state)
{
    struct rig *r = *state;
    close_path(r);
    r->fp.psu_unreadable = true;
    int mark = r->fp.njournal;
    interlock_request(&r->il, INTERLOCK_TARGET_UNLOCKED);
    run_ms(r, 300);
    assert_int_equal(fake_power_find(&r->fp, FAKE_CONTACTORS_OPEN, mark), -1);
    run_ms(r, 400);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_POWER_DOWN_TIMEOUT);
    assert_safe_order(r, mark);
}

static void test_welded_keeps_lock(void **state)
{
    struct rig *r = *state;
    close_path(r);
    r->fp.weld_pos = true;
    interlock_request(&r->il, INTERLOCK_TARGET_UNLOCKED);
    run_ms(r, 1000);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_WELDED);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_HELD);
    assert_int_equal(fake_power_find(&r->fp, FAKE_UNLOCK, 0), -1);
    assert_true(r->fp.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(r->fp.mode, PSU_MODE_OFF);
    /* a reset is refused while the contact is still closed */
    assert_int_equal(interlock_reset(&r->il, r->now, NULL), HAL_ESTATE);
    /* once repaired, a reset releases the connector */
    r->fp.weld_pos = false;
    run_ms(r, 10);
    assert_int_equal(interlock_reset(&r->il, r->now, NULL), HAL_OK);
    run_ms(r, 50);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    assert_no_breach(r);
}

static void test_contactor_fails_to_close(void **state)
{
    struct rig *r = *state;
    r->fp.pos_never_closes = true;
    interlock_request(&r->il, INTERLOCK_TARGET_CLOSED);
    run_ms(r, 400);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_CLOSE_TIMEOUT);
    assert_false(interlock_power_allowed(&r->il));
    run_ms(r, 100);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    int close = fake_power_find(&r->fp, FAKE_CONTACTORS_CLOSE, 0);
    assert_safe_order(r, close);
    assert_no_breach(r);
}

static void test_contactor_drops_out(void **state)
{
    struct rig *r = *state;
    close_path(r);
    int mark = r->fp.njournal;
    r->fp.coil[HAL_GPIO_OUT_CONTACTOR_NEG] = false; /* coil supply lost */
    run_ms(r, 5);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_CONTACTOR_DROPPED);
    run_ms(r, 100);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    assert_safe_order(r, mark);
}

/* The outside controller's gate (Charge SOM: contactors only in C/D), as the test sets it. */
static bool s_gate_open;
static int s_gate_asked;

static bool gate_fn(void *ctx)
{
    (void)ctx;
    s_gate_asked++;
    return s_gate_open;
}

/* The safety controller opens the contactors because the pilot left C/D: no fault, the
 * stage is switched off, the path rests at LOCKED and does not close again by itself. */
static void test_gate_drop_is_no_fault(void **state)
{
    struct rig *r = *state;
    s_gate_open = false;
    s_gate_asked = 0;
    interlock_set_gate(&r->il, gate_fn, NULL);
    close_path(r);
    assert_int_equal(s_gate_asked, 0); /* asked only when a contactor drops */
    int mark = r->fp.njournal;
    s_gate_open = true;
    r->fp.coil[HAL_GPIO_OUT_CONTACTOR_POS] = false;
    r->fp.coil[HAL_GPIO_OUT_CONTACTOR_NEG] = false;
    run_ms(r, 5);
    assert_true(s_gate_asked > 0);
    assert_true(interlock_gate_dropped(&r->il));
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_NONE);
    assert_false(interlock_power_allowed(&r->il));
    assert_int_equal(r->fp.mode, PSU_MODE_OFF);
    run_ms(r, 600);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_LOCKED);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_NONE);
    assert_true(r->fp.fb_lock);
    assert_int_equal(fake_power_find(&r->fp, FAKE_CONTACTORS_CLOSE, mark), -1);
    /* The coils were already out (the controller cut them): our "off" is what remains. */
    assert_true(fake_power_find(&r->fp, FAKE_PSU_OFF, mark) >= 0);
    assert_no_breach(r);
    /* The next session asks for a closed path again: the note is gone. */
    s_gate_open = false;
    close_path(r);
    assert_false(interlock_gate_dropped(&r->il));
}

/* The session asks for the release (a link loss) and the controller opens in the same
 * pass (the car left C): the release stands, the path does not rest locked. */
static void test_gate_drop_keeps_release(void **state)
{
    struct rig *r = *state;
    s_gate_open = false;
    interlock_set_gate(&r->il, gate_fn, NULL);
    close_path(r);
    int mark = r->fp.njournal;
    interlock_request(&r->il, INTERLOCK_TARGET_UNLOCKED);
    s_gate_open = true;
    r->fp.coil[HAL_GPIO_OUT_CONTACTOR_POS] = false;
    r->fp.coil[HAL_GPIO_OUT_CONTACTOR_NEG] = false;
    run_ms(r, 5);
    assert_true(interlock_gate_dropped(&r->il));
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_NONE);
    run_ms(r, 3000);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    assert_int_equal(fake_power_find(&r->fp, FAKE_CONTACTORS_CLOSE, mark), -1);
    assert_no_breach(r);
}

/* The session that saw the controller's opening ends (unlocked): the note goes with it,
 * so the next car's session does not read it while its path is only locking. */
static void test_gate_note_cleared_at_rest(void **state)
{
    struct rig *r = *state;
    s_gate_open = false;
    interlock_set_gate(&r->il, gate_fn, NULL);
    close_path(r);
    s_gate_open = true;
    r->fp.coil[HAL_GPIO_OUT_CONTACTOR_POS] = false;
    r->fp.coil[HAL_GPIO_OUT_CONTACTOR_NEG] = false;
    run_ms(r, 600);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_LOCKED);
    assert_true(interlock_gate_dropped(&r->il)); /* still there for the session to read */
    interlock_request(&r->il, INTERLOCK_TARGET_UNLOCKED);
    run_ms(r, 3000);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    assert_false(interlock_gate_dropped(&r->il));
    interlock_request(&r->il, INTERLOCK_TARGET_LOCKED); /* the next car */
    run_ms(r, 5);
    assert_false(interlock_gate_dropped(&r->il));
}

/* With the gate closed (pilot still in C) a drop is what it always was: a held fault. */
static void test_gate_closed_drop_is_fault(void **state)
{
    struct rig *r = *state;
    s_gate_open = false;
    interlock_set_gate(&r->il, gate_fn, NULL);
    close_path(r);
    int mark = r->fp.njournal;
    r->fp.coil[HAL_GPIO_OUT_CONTACTOR_NEG] = false;
    run_ms(r, 5);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_CONTACTOR_DROPPED);
    assert_false(interlock_gate_dropped(&r->il));
    assert_true(interlock_fault_held(interlock_fault(&r->il)));
    run_ms(r, 100);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    assert_safe_order(r, mark);
}

/* No stage fitted (psu_none): the power-down completes at once instead of timing out on a
 * read-back it can never give, and the unlock still refuses to trust a voltage nobody
 * measured. */
static void test_no_stage_powers_down_at_once(void **state)
{
    (void)state;
    struct fake_power fp;
    struct psu none;
    struct interlock il;
    struct interlock_config cfg;
    uint32_t now = 1000;
    fake_power_init(&fp);
    psu_none_init(&none);
    assert_true(psu_never_exports(&none));
    assert_false(psu_never_exports(&fp.psu)); /* optional: a stage without it exports */
    interlock_default_config(&cfg);
    assert_int_equal(interlock_init(&il, &cfg, &fp.gpio, &none, now), HAL_OK);
    interlock_request(&il, INTERLOCK_TARGET_CLOSED);
    for (int i = 0; i < 20; i++) {
        now += 5;
        fake_power_tick(&fp, now);
        interlock_step(&il, now);
    }
    assert_int_equal(interlock_state(&il), INTERLOCK_CLOSED);
    interlock_request(&il, INTERLOCK_TARGET_LOCKED);
    for (int i = 0; i < 4; i++) {
        now += 5;
        fake_power_tick(&fp, now);
        interlock_step(&il, now);
    }
    assert_int_equal(interlock_state(&il), INTERLOCK_LOCKED);
    assert_int_equal(interlock_fault(&il), INTERLOCK_FAULT_NONE);
    assert_false(il.opened_under_load);
    /* Unlock: no voltage was ever measured, so the connector stays locked (held). */
    interlock_request(&il, INTERLOCK_TARGET_UNLOCKED);
    for (int i = 0; i < 1400; i++) {
        now += 5;
        fake_power_tick(&fp, now);
        interlock_step(&il, now);
    }
    assert_int_equal(interlock_fault(&il), INTERLOCK_FAULT_VOLTAGE_UNKNOWN);
    assert_true(fp.fb_lock);
}

static void test_lock_lost_while_closed(void **state)
{
    struct rig *r = *state;
    close_path(r);
    int mark = r->fp.njournal;
    r->fp.lock_fb_lost = true;
    run_ms(r, 5);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_LOCK_LOST);
    assert_false(interlock_power_allowed(&r->il));
    run_ms(r, 100);
    assert_safe_order(r, mark);
    assert_no_breach(r);
}

static void test_lock_does_not_engage(void **state)
{
    struct rig *r = *state;
    r->fp.lock_stuck = true;
    interlock_request(&r->il, INTERLOCK_TARGET_CLOSED);
    run_ms(r, 1600);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_LOCK_TIMEOUT);
    assert_int_equal(fake_power_find(&r->fp, FAKE_CONTACTORS_CLOSE, 0), -1);
    /* a fault refuses new targets until reset */
    interlock_request(&r->il, INTERLOCK_TARGET_CLOSED);
    run_ms(r, 100);
    assert_int_equal(fake_power_find(&r->fp, FAKE_CONTACTORS_CLOSE, 0), -1);
    assert_no_breach(r);
}

static void test_estop_in_every_state(void **state)
{
    struct rig *r = *state;
    static const enum interlock_state when[] = {INTERLOCK_UNLOCKED, INTERLOCK_LOCKING,
                                                INTERLOCK_LOCKED,   INTERLOCK_CLOSING,
                                                INTERLOCK_CLOSED,   INTERLOCK_POWER_DOWN,
                                                INTERLOCK_OPENING};
    for (size_t i = 0; i < sizeof when / sizeof when[0]; i++) {
        setup(state);
        r->fp.current_stuck = when[i] == INTERLOCK_POWER_DOWN;
        if (when[i] != INTERLOCK_UNLOCKED) {
            interlock_request(&r->il, when[i] >= INTERLOCK_CLOSING ? INTERLOCK_TARGET_CLOSED
                                                                   : INTERLOCK_TARGET_LOCKED);
        }
        /* walk until the wanted state is reached (within 2 s) */
        for (int n = 0; n < 400 && interlock_state(&r->il) != when[i]; n++) {
            if (interlock_state(&r->il) == INTERLOCK_CLOSED && when[i] > INTERLOCK_CLOSED) {
                (void)psu_set_mode(&r->fp.psu, PSU_MODE_EXPORT, r->now);
                run_ms(r, 5);
                interlock_request(&r->il, INTERLOCK_TARGET_LOCKED);
            }
            r->now += 1;
            fake_power_tick(&r->fp, r->now);
            interlock_step(&r->il, r->now);
        }
        assert_int_equal(interlock_state(&r->il), when[i]);
        int mark = r->fp.njournal;
        r->fp.estop = true;
        r->fp.current_stuck = false;
        run_ms(r, 1000);
        assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_ESTOP);
        assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
        assert_int_equal(r->fp.mode, PSU_MODE_OFF);
        assert_false(r->fp.coil[HAL_GPIO_OUT_CONTACTOR_POS]);
        if (fake_power_find(&r->fp, FAKE_CONTACTORS_OPEN, mark) >= 0) {
            assert_safe_order(r, mark);
        }
        /* reset refused while pressed, accepted once released */
        assert_int_equal(interlock_reset(&r->il, r->now, NULL), HAL_ESTATE);
        r->fp.estop = false;
        assert_int_equal(interlock_reset(&r->il, r->now, NULL), HAL_OK);
        assert_no_breach(r);
    }
}

static void test_feedback_unreadable(void **state)
{
    struct rig *r = *state;
    close_path(r);
    int mark = r->fp.njournal;
    r->fp.io_error = true;
    run_ms(r, 1000);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_FEEDBACK_IO);
    /* contactors told to open after power-down, but unconfirmed: the lock stays */
    assert_int_equal(interlock_state(&r->il), INTERLOCK_HELD);
    assert_int_equal(fake_power_find(&r->fp, FAKE_UNLOCK, mark), -1);
    int off = fake_power_find(&r->fp, FAKE_PSU_OFF, mark);
    int open = fake_power_find(&r->fp, FAKE_CONTACTORS_OPEN, mark);
    assert_true(off >= 0 && open > off);
}

static void test_init_with_welded_contactor(void **state)
{
    (void)state;
    struct fake_power fp;
    struct interlock il;
    struct interlock_config cfg;
    fake_power_init(&fp);
    fp.fb_pos = true; /* welded from a previous life */
    fp.weld_pos = true;
    interlock_default_config(&cfg);
    assert_int_equal(interlock_init(&il, &cfg, &fp.gpio, &fp.psu, 0), HAL_OK);
    assert_int_equal(interlock_state(&il), INTERLOCK_HELD);
    assert_int_equal(interlock_fault(&il), INTERLOCK_FAULT_WELDED);
    assert_true(fp.coil[HAL_GPIO_OUT_LOCK]);
    interlock_request(&il, INTERLOCK_TARGET_CLOSED);
    interlock_step(&il, 5);
    assert_false(fp.coil[HAL_GPIO_OUT_CONTACTOR_POS]);
}

static void test_never_closes_unlocked_even_if_lock_lies_late(void **state)
{
    struct rig *r = *state;
    /* the lock reports locked then drops while the contactors are closing */
    interlock_request(&r->il, INTERLOCK_TARGET_CLOSED);
    for (int n = 0; n < 100 && interlock_state(&r->il) != INTERLOCK_CLOSING; n++) {
        run_ms(r, 5);
    }
    assert_int_equal(interlock_state(&r->il), INTERLOCK_CLOSING);
    r->fp.lock_fb_lost = true;
    run_ms(r, 200);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_LOCK_LOST);
    assert_false(r->fp.coil[HAL_GPIO_OUT_CONTACTOR_POS]);
}

static void test_no_estop_input_is_fine(void **state)
{
    struct rig *r = *state;
    r->fp.no_estop_input = true;
    close_path(r);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_NONE);
}

static void test_bad_config_rejected(void **state)
{
    (void)state;
    struct fake_power fp;
    struct interlock il;
    struct interlock_config cfg;
    fake_power_init(&fp);
    interlock_default_config(&cfg);
    cfg.power_down_timeout_ms = 0;
    assert_int_equal(interlock_init(&il, &cfg, &fp.gpio, &fp.psu, 0), HAL_EINVAL);
    assert_string_equal(interlock_fault_name(INTERLOCK_FAULT_WELDED), "contactor welded");
    assert_string_equal(interlock_state_name(INTERLOCK_HELD), "held");
    assert_string_equal(interlock_state_name((enum interlock_state)99), "?");
}

/* IEC 61851-23: the connector unlocks only below 60 V measured, with the contactors open. */
static void test_unlock_waits_for_safe_voltage(void **state)
{
    struct rig *r = *state;
    close_path(r);
    r->fp.off_mv = 100000; /* 100 V left at the output after the stage went off */
    int mark = r->fp.njournal;
    interlock_request(&r->il, INTERLOCK_TARGET_UNLOCKED);
    run_ms(r, 1000);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_DISCHARGING);
    assert_false(r->fp.coil[HAL_GPIO_OUT_CONTACTOR_POS]);
    assert_int_equal(fake_power_find(&r->fp, FAKE_UNLOCK, mark), -1);
    assert_true(r->fp.fb_lock);
    r->fp.off_mv = 59000;
    run_ms(r, 50);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_NONE);
    assert_safe_order(r, mark);
    assert_no_breach(r);
}

/* No voltage measurement: the connector stays locked and the fault needs a person. */
static void test_unknown_voltage_holds_until_reset(void **state)
{
    struct rig *r = *state;
    const char *why = NULL;
    close_path(r);
    interlock_request(&r->il, INTERLOCK_TARGET_LOCKED);
    run_ms(r, 100);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_LOCKED);
    int mark = r->fp.njournal;
    r->fp.psu_unreadable = true;
    interlock_request(&r->il, INTERLOCK_TARGET_UNLOCKED);
    run_ms(r, 4900);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_DISCHARGING);
    run_ms(r, 200);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_HELD);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_VOLTAGE_UNKNOWN);
    assert_true(interlock_fault_held(INTERLOCK_FAULT_VOLTAGE_UNKNOWN));
    assert_true(r->fp.coil[HAL_GPIO_OUT_LOCK]);
    assert_int_equal(fake_power_find(&r->fp, FAKE_UNLOCK, mark), -1);
    assert_int_equal(interlock_reset(&r->il, r->now, &why), HAL_ESTATE);
    assert_string_equal(why, "connector voltage unknown");
    run_ms(r, 1000);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_HELD); /* nothing clears it alone */
    r->fp.psu_unreadable = false;
    r->fp.off_mv = 200000;
    assert_int_equal(interlock_reset(&r->il, r->now, &why), HAL_ESTATE);
    assert_string_equal(why, "connector voltage 60 V or more");
    r->fp.off_mv = 0;
    assert_int_equal(interlock_reset(&r->il, r->now, &why), HAL_OK);
    run_ms(r, 100);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_UNLOCKED);
    assert_no_breach(r);
}

/* A voltage that stays hazardous: held (VOLTAGE_HIGH) after the discharge timeout. */
static void test_high_voltage_holds(void **state)
{
    struct rig *r = *state;
    close_path(r);
    r->fp.off_mv = 400000;
    interlock_request(&r->il, INTERLOCK_TARGET_UNLOCKED);
    run_ms(r, 6000);
    assert_int_equal(interlock_state(&r->il), INTERLOCK_HELD);
    assert_int_equal(interlock_fault(&r->il), INTERLOCK_FAULT_VOLTAGE_HIGH);
    assert_true(r->fp.coil[HAL_GPIO_OUT_LOCK]);
    assert_false(interlock_fault_held(INTERLOCK_FAULT_LOCK_TIMEOUT));
    assert_false(interlock_fault_held(INTERLOCK_FAULT_UNLOCK_TIMEOUT));
    assert_true(interlock_fault_held(INTERLOCK_FAULT_ESTOP));
    assert_no_breach(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_normal_close_and_release, setup, NULL),
        cmocka_unit_test_setup_teardown(test_stop_keeping_lock, setup, NULL),
        cmocka_unit_test_setup_teardown(test_waits_for_current_then_opens, setup, NULL),
        cmocka_unit_test_setup_teardown(test_current_falls_slowly, setup, NULL),
        cmocka_unit_test_setup_teardown(test_unreadable_stage_counts_as_live, setup, NULL),
        cmocka_unit_test_setup_teardown(test_welded_keeps_lock, setup, NULL),
        cmocka_unit_test_setup_teardown(test_contactor_fails_to_close, setup, NULL),
        cmocka_unit_test_setup_teardown(test_contactor_drops_out, setup, NULL),
        cmocka_unit_test_setup_teardown(test_gate_note_cleared_at_rest, setup, NULL),
        cmocka_unit_test_setup_teardown(test_gate_drop_keeps_release, setup, NULL),
        cmocka_unit_test_setup_teardown(test_gate_drop_is_no_fault, setup, NULL),
        cmocka_unit_test_setup_teardown(test_gate_closed_drop_is_fault, setup, NULL),
        cmocka_unit_test(test_no_stage_powers_down_at_once),
        cmocka_unit_test_setup_teardown(test_lock_lost_while_closed, setup, NULL),
        cmocka_unit_test_setup_teardown(test_lock_does_not_engage, setup, NULL),
        cmocka_unit_test_setup_teardown(test_estop_in_every_state, setup, NULL),
        cmocka_unit_test_setup_teardown(test_feedback_unreadable, setup, NULL),
        cmocka_unit_test(test_init_with_welded_contactor),
        cmocka_unit_test_setup_teardown(test_never_closes_unlocked_even_if_lock_lies_late, setup, NULL),
        cmocka_unit_test_setup_teardown(test_no_estop_input_is_fine, setup, NULL),
        cmocka_unit_test(test_bad_config_rejected),
        cmocka_unit_test_setup_teardown(test_unlock_waits_for_safe_voltage, setup, NULL),
        cmocka_unit_test_setup_teardown(test_unknown_voltage_holds_until_reset, setup, NULL),
        cmocka_unit_test_setup_teardown(test_high_voltage_holds, setup, NULL),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
