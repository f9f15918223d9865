/**
 * @file fake_ocpp_ops.h
 * @brief Test fake of the OCPP charge point's station (struct ocpp_cp_ops) for the tests of the
 *        modules behind the core (test_ocpp_smart, test_ocpp_cert, test_ocpp_fw): a station that
 *        accepts every request and has nothing to report, and one CSMS CALL driven through
 *        the core with its answer parsed.
 */
#ifndef FAKE_OCPP_OPS_H
#define FAKE_OCPP_OPS_H

#include <stdbool.h>
#include <stddef.h>
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

/** A board's store file as text (the tests of what survives a reboot). */
struct fake_ocpp_store {
    char text[8192];
    size_t len;
    bool overflow; /**< a line did not fit: the test must fail */
};

/** ocpp_cp_store_export's put (@p ctx: a struct fake_ocpp_store). */
void fake_ocpp_store_put(void *ctx, const char *text, size_t len);

/** @p cp's store into @p s, emptied first. @return false if it did not fit */
bool fake_ocpp_store_export(const struct ocpp_cp *cp, struct fake_ocpp_store *s);

/**
 * Every line of @p text into @p cp, as a board reads its file at start.
 * @param refused NULL or OCPP_STORE_LINE_MAX bytes: the first line refused
 * @param why     NULL or the first refusal's reason
 * @param taken   NULL or how many lines were taken
 * @return how many lines were refused
 */
unsigned fake_ocpp_store_read(struct ocpp_cp *cp, const char *text, char *refused, const char **why, unsigned *taken);

#endif /* FAKE_OCPP_OPS_H */
