/**
 * @file fake_ocpp_ops.h
 * @brief Test fake of the OCPP charge point's station (struct ocpp_cp_ops) for the tests of the
 *        modules behind the core (test_ocpp_smart, test_ocpp_cert, test_ocpp_fw): a station that
 *        accepts every request and has nothing to report, and one CSMS CALL driven through
 *        the core with its answer parsed.
 */
#ifndef FAKE_OCPP_OPS_H
#define FAKE_OCPP_OPS_H

#include <stdint.h>

#include "ocpp/ocpp_cp.h"

/** A station that accepts every request (remote start/stop, reset, unlock, availability). */
extern const struct ocpp_cp_ops fake_ocpp_station_ops;

/* Its parts, for a test whose station records some of the ops: HAL_OK to everything. */
int fake_ocpp_accept_remote_start(void *ctx, unsigned connector, const char *idtag);
int fake_ocpp_accept_connector(void *ctx, unsigned connector); /**< remote_stop, unlock */
int fake_ocpp_accept_reset(void *ctx, bool hard);
int fake_ocpp_accept_availability(void *ctx, unsigned connector, bool operative);
void fake_ocpp_ignore_authorized(void *ctx, unsigned connector, const char *idtag, enum ocpp_auth status);

/** fake_ocpp_call()'s answer when the core sent nothing or nothing parsable. */
#define FAKE_OCPP_NO_ANSWER (-2)

/**
 * The CSMS's CALL @p action with @p payload (JSON text) into @p cp at @p now_ms; the answer is
 * taken, marked sent and parsed into @p j.
 * @param code   NULL or 48 bytes: a CALLERROR's code
 * @param why    NULL or 128 bytes: a CALLERROR's description
 * @return the answer's payload token (a CALLRESULT), -1 for a CALLERROR, FAKE_OCPP_NO_ANSWER
 */
int fake_ocpp_call(struct ocpp_cp *cp, struct ocpp_json *j, uint32_t now_ms, const char *action,
                   const char *payload, char code[48], char why[128]);

#endif /* FAKE_OCPP_OPS_H */
