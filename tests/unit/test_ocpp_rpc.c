/* Unit tests of the OCPP-J RPC framing: the three frame types, what a refused CALL must be
 * answered with, what is dropped, both errata spellings, one outstanding CALL with fresh IDs,
 * stale answers and the timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ocpp/ocpp_rpc.h"

static struct ocpp_json s_j;
static struct ocpp_msg s_m;

static int parse(const char *t)
{
    return ocpp_rpc_parse(&s_j, t, strlen(t), &s_m);
}

static void test_call(void **state)
{
    (void)state;
    assert_int_equal(parse("[2,\"19223201\",\"RemoteStartTransaction\",{\"idTag\":\"ABC\"}]"), HAL_OK);
    assert_int_equal(s_m.type, OCPP_CALL);
    assert_string_equal(s_m.id, "19223201");
    assert_string_equal(s_m.action, "RemoteStartTransaction");
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, s_m.payload, "idTag"), "ABC"));
    assert_int_equal(parse("[3,\"x\",{\"status\":\"Accepted\"}]"), HAL_OK);
    assert_int_equal(s_m.type, OCPP_CALLRESULT);
    assert_int_equal(ocpp_json_type(&s_j, s_m.payload), OCPP_J_OBJ);
    assert_int_equal(parse("[4,\"x\",\"OccurrenceConstraintViolation\",\"idTag missing\",{}]"), HAL_OK);
    assert_int_equal(s_m.type, OCPP_CALLERROR);
    assert_int_equal(s_m.error, OCPP_ERR_OCCURENCE);
    assert_string_equal(s_m.error_text, "OccurrenceConstraintViolation");
    assert_true(ocpp_json_streq(&s_j, s_m.description, "idTag missing"));
}

/* A CALL we can identify but not accept must be answered; anything else is dropped. */
static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        enum ocpp_error reply;
        const char *why;
    } cases[] = {
        {"[2,\"a\",\"Reset\"]", HAL_EPROTO, OCPP_ERR_FORMATION, "4 elements"},
        {"[2,\"a\",\"Reset\",{},1]", HAL_EPROTO, OCPP_ERR_FORMATION, "4 elements"},
        {"[2,\"a\",\"Reset\",[]]", HAL_EPROTO, OCPP_ERR_FORMATION, "not an object"},
        {"[2,\"a\",\"Reset\",null]", HAL_EPROTO, OCPP_ERR_FORMATION, "not an object"},
        {"[2,\"a\",7,{}]", HAL_EPROTO, OCPP_ERR_FORMATION, "action"},
        {"[2,\"a\",\"\",{}]", HAL_EPROTO, OCPP_ERR_FORMATION, "action"},
        {"[2,\"a\",\"ThisActionNameIsFarLongerThanAnyOcppActionX\",{}]", HAL_EPROTO,
         OCPP_ERR_FORMATION, "action"},
        /* no answer possible: no usable ID, or the JSON itself is broken */
        {"[2,\"0123456789012345678901234567890123456\",\"Reset\",{}]", HAL_EPROTO, OCPP_ERR_NONE, "36"},
        {"[2,\"\",\"Reset\",{}]", HAL_EPROTO, OCPP_ERR_NONE, "ID"},
        {"[2,5,\"Reset\",{}]", HAL_EPROTO, OCPP_ERR_NONE, "ID"},
        {"[2,\"a\",\"Reset\",{]", HAL_EPROTO, OCPP_ERR_NONE, "string key"},
        {"{\"a\":1}", HAL_EPROTO, OCPP_ERR_NONE, "not a JSON array"},
        {"[\"2\",\"a\",\"Reset\",{}]", HAL_EPROTO, OCPP_ERR_NONE, "type number"},
        {"[2.5,\"a\",\"Reset\",{}]", HAL_EPROTO, OCPP_ERR_NONE, "type number"},
        {"[2]", HAL_EPROTO, OCPP_ERR_NONE, "type number"},
        {"[3,\"a\",{},{}]", HAL_EPROTO, OCPP_ERR_NONE, "CALLRESULT"},
        {"[3,\"a\",\"x\"]", HAL_EPROTO, OCPP_ERR_NONE, "CALLRESULT"},
        {"[4,\"a\",\"GenericError\",\"\"]", HAL_EPROTO, OCPP_ERR_NONE, "CALLERROR"},
        {"[4,\"a\",1,\"\",{}]", HAL_EPROTO, OCPP_ERR_NONE, "CALLERROR"},
        /* unknown type numbers are ignored (OCPP-J 1.6 §4.1.3) */
        {"[5,\"a\",\"x\",{}]", HAL_ENOTSUP, OCPP_ERR_NONE, "unknown message type"},
        {"[6,\"a\",{}]", HAL_ENOTSUP, OCPP_ERR_NONE, "unknown message type"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = parse(cases[i].text);
        if (rc != cases[i].rc || s_m.reply_error != cases[i].reply || s_m.why == NULL ||
            strstr(s_m.why, cases[i].why) == NULL) {
            fail_msg("%s: rc %d reply %d why '%s'", cases[i].text, rc, (int)s_m.reply_error,
                     s_m.why != NULL ? s_m.why : "(null)");
        }
    }
    /* the refused CALL keeps its ID, so the answer can name it */
    assert_int_equal(parse("[2,\"abc\",\"Reset\",[]]"), HAL_EPROTO);
    assert_string_equal(s_m.id, "abc");
}

static void test_error_names(void **state)
{
    (void)state;
    /* we send the 1.6 spellings */
    assert_string_equal(ocpp_error_name(OCPP_ERR_OCCURENCE), "OccurenceConstraintViolation");
    assert_string_equal(ocpp_error_name(OCPP_ERR_FORMATION), "FormationViolation");
    assert_string_equal(ocpp_error_name(OCPP_ERR_NOT_IMPLEMENTED), "NotImplemented");
    assert_string_equal(ocpp_error_name(OCPP_ERR_RPC_FRAMEWORK), "GenericError");
    /* and read every spelling */
    assert_int_equal(ocpp_error_parse("OccurenceConstraintViolation"), OCPP_ERR_OCCURENCE);
    assert_int_equal(ocpp_error_parse("OccurrenceConstraintViolation"), OCPP_ERR_OCCURENCE);
    assert_int_equal(ocpp_error_parse("FormationViolation"), OCPP_ERR_FORMATION);
    assert_int_equal(ocpp_error_parse("FormatViolation"), OCPP_ERR_FORMATION);
    assert_int_equal(ocpp_error_parse("RpcFrameworkError"), OCPP_ERR_RPC_FRAMEWORK);
    assert_int_equal(ocpp_error_parse("MessageTypeNotSupported"), OCPP_ERR_MSGTYPE_NOT_SUPPORTED);
    assert_int_equal(ocpp_error_parse("TypeConstraintViolation"), OCPP_ERR_TYPE);
    assert_int_equal(ocpp_error_parse("SomethingElse"), OCPP_ERR_GENERIC);
    for (int e = OCPP_ERR_NOT_IMPLEMENTED; e <= OCPP_ERR_GENERIC; e++) {
        assert_int_equal(ocpp_error_parse(ocpp_error_name((enum ocpp_error)e)), e);
    }
}

static void test_outstanding(void **state)
{
    (void)state;
    struct ocpp_rpc r;
    char buf[128];
    struct ocpp_jw w;
    ocpp_rpc_init(&r, 0x1000u);
    ocpp_jw_init(&w, buf, sizeof buf);
    assert_int_equal(ocpp_rpc_call(&r, &w, "Heartbeat", 100), HAL_OK);
    ocpp_jw_obj(&w);
    ocpp_jw_obj_end(&w);
    ocpp_rpc_end(&w);
    assert_true(ocpp_jw_end(&w) > 0);
    assert_string_equal(buf, "[2,\"00001000\",\"Heartbeat\",{}]");
    /* a second CALL waits */
    struct ocpp_jw w2;
    char b2[64];
    ocpp_jw_init(&w2, b2, sizeof b2);
    assert_int_equal(ocpp_rpc_call(&r, &w2, "Heartbeat", 101), HAL_EBUSY);
    assert_int_equal(w2.len, 0);
    /* a stale answer and a crossing CALL do not clear it */
    assert_int_equal(parse("[3,\"00000fff\",{}]"), HAL_OK);
    assert_int_equal(ocpp_rpc_match(&r, &s_m), HAL_ENOENT);
    assert_int_equal(parse("[2,\"00001000\",\"Reset\",{\"type\":\"Soft\"}]"), HAL_OK);
    assert_int_equal(ocpp_rpc_match(&r, &s_m), HAL_ENOENT);
    assert_true(r.busy);
    /* the right answer does, once */
    assert_int_equal(parse("[3,\"00001000\",{\"currentTime\":\"2026-01-01T00:00:00Z\"}]"), HAL_OK);
    assert_int_equal(ocpp_rpc_match(&r, &s_m), HAL_OK);
    assert_false(r.busy);
    assert_int_equal(ocpp_rpc_match(&r, &s_m), HAL_ENOENT);
    /* the next CALL has a fresh ID; a CALLERROR answers it too */
    ocpp_jw_init(&w, buf, sizeof buf);
    assert_int_equal(ocpp_rpc_call(&r, &w, "Authorize", 200), HAL_OK);
    assert_string_equal(r.out_id, "00001001");
    assert_int_equal(parse("[4,\"00001001\",\"InternalError\",\"\",{}]"), HAL_OK);
    assert_int_equal(ocpp_rpc_match(&r, &s_m), HAL_OK);
    /* timeout, wrap-safe */
    ocpp_jw_init(&w, buf, sizeof buf);
    assert_int_equal(ocpp_rpc_call(&r, &w, "Heartbeat", 0xFFFFFF00u), HAL_OK);
    assert_false(ocpp_rpc_timed_out(&r, 0xFFFFFF00u + CFG_OCPP_CALL_TIMEOUT_MS - 1u));
    assert_true(ocpp_rpc_timed_out(&r, 0xFFFFFF00u + CFG_OCPP_CALL_TIMEOUT_MS));
    assert_false(r.busy);
    assert_false(ocpp_rpc_timed_out(&r, 0xFFFFFF00u + CFG_OCPP_CALL_TIMEOUT_MS + 5u));
    /* a closed connection forgets the CALL */
    ocpp_jw_init(&w, buf, sizeof buf);
    assert_int_equal(ocpp_rpc_call(&r, &w, "Heartbeat", 5), HAL_OK);
    ocpp_rpc_reset(&r);
    assert_false(r.busy);
}

static void test_writers(void **state)
{
    (void)state;
    char buf[160];
    struct ocpp_jw w;
    ocpp_jw_init(&w, buf, sizeof buf);
    ocpp_rpc_error(&w, "a\"b", OCPP_ERR_OCCURENCE, "idTag missing");
    assert_true(ocpp_jw_end(&w) > 0);
    assert_string_equal(buf, "[4,\"a\\\"b\",\"OccurenceConstraintViolation\",\"idTag missing\",{}]");
    ocpp_jw_init(&w, buf, sizeof buf);
    ocpp_rpc_error(&w, "x", OCPP_ERR_NOT_IMPLEMENTED, NULL);
    assert_true(ocpp_jw_end(&w) > 0);
    assert_string_equal(buf, "[4,\"x\",\"NotImplemented\",\"\",{}]");
    ocpp_jw_init(&w, buf, sizeof buf);
    ocpp_rpc_result(&w, "id7");
    ocpp_jw_obj(&w);
    ocpp_jw_kstr(&w, "status", "Accepted");
    ocpp_jw_obj_end(&w);
    ocpp_rpc_end(&w);
    assert_true(ocpp_jw_end(&w) > 0);
    assert_string_equal(buf, "[3,\"id7\",{\"status\":\"Accepted\"}]");
    /* our own frames parse back as what they are */
    assert_int_equal(parse(buf), HAL_OK);
    assert_int_equal(s_m.type, OCPP_CALLRESULT);
    assert_string_equal(s_m.id, "id7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call),        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_error_names), cmocka_unit_test(test_outstanding),
        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
