/**
 * @file ocpp_test_csms.h
 * @brief The CSMS's side of the OCPP unit tests: the frame the charge point sends, parsed
 *        and checked, our answer to its CALL, and a CALL of ours with the answer expected.
 *        Header-only because it fails the running cmocka test: include it after <cmocka.h>
 *        (fake_ocpp_ops.h's fake_ocpp_call drives the CALL, without cmocka).
 */
#ifndef OCPP_TEST_CSMS_H
#define OCPP_TEST_CSMS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fake_ocpp_ops.h"
#include "ocpp/ocpp_cp.h"
#include "ocpp/ocpp_json.h"

/** The frame @p cp sends at @p now (poll, take, marked sent), parsed into @p j; NULL if none. */
static inline const char *ocpp_test_sent(struct ocpp_cp *cp, struct ocpp_json *j, uint32_t now)
{
    if (!ocpp_cp_poll(cp, now)) {
        return NULL;
    }
    size_t n;
    const char *t = ocpp_cp_take(cp, &n);
    assert_non_null(t);
    assert_int_equal(ocpp_json_parse(j, t, n), HAL_OK);
    ocpp_cp_sent(cp, now);
    return t;
}

/** The frame sent now must be a CALL of @p action: its payload token. */
static inline int ocpp_test_expect_call(struct ocpp_cp *cp, struct ocpp_json *j, uint32_t now, const char *action)
{
    const char *t = ocpp_test_sent(cp, j, now);
    if (t == NULL) {
        fail_msg("nothing sent, expected %s", action);
    }
    if (!ocpp_json_streq(j, ocpp_json_at(j, 0, 2), action)) {
        fail_msg("sent %s, expected %s", t, action);
    }
    return ocpp_json_at(j, 0, 3);
}

/** The CSMS's CALLRESULT with @p payload to the CALL outstanding. */
static inline void ocpp_test_reply(struct ocpp_cp *cp, uint32_t now, const char *payload)
{
    char buf[512];
    snprintf(buf, sizeof buf, "[3,\"%s\",%s]", cp->rpc.out_id, payload);
    ocpp_cp_rx(cp, buf, strlen(buf), now);
}

/** The CSMS's CALL @p action: answered with a CALLRESULT whose status is @p status. */
static inline void ocpp_test_expect_status(struct ocpp_cp *cp, struct ocpp_json *j, uint32_t now, const char *action,
                                           const char *payload, const char *status)
{
    int p = fake_ocpp_call(cp, j, now, action, payload, NULL, NULL);
    assert_int_not_equal(p, FAKE_OCPP_NO_ANSWER);
    if (p < 0 || !ocpp_json_streq(j, ocpp_json_get(j, p, "status"), status)) {
        fail_msg("%s %.80s: expected %s, got %.*s", action, payload, status, (int)j->len, j->text);
    }
}

/** The CSMS's CALL @p action: answered with CALLERROR @p code (and @p why in its description
 *  unless NULL). */
static inline void ocpp_test_expect_error(struct ocpp_cp *cp, struct ocpp_json *j, uint32_t now, const char *action,
                                          const char *payload, const char *code, const char *why)
{
    char got[48] = "", reason[128] = "";
    int p = fake_ocpp_call(cp, j, now, action, payload, got, reason);
    assert_int_not_equal(p, FAKE_OCPP_NO_ANSWER);
    if (p >= 0 || strcmp(got, code) != 0 || (why != NULL && strstr(reason, why) == NULL)) {
        fail_msg("%s %.80s: expected CALLERROR %s (%s), got %.*s", action, payload, code, why != NULL ? why : "",
                 (int)j->len, j->text);
    }
}

#endif /* OCPP_TEST_CSMS_H */
