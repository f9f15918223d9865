/**
 * @file ocpp_chk.h
 * @brief Checks of an incoming CALL's payload against its OCPP 1.6 JSON schema, shared by every
 *        module that answers CALLs (ocpp_cp, ocpp_auth, ocpp_smart, ocpp_cert, ocpp_fw).
 *
 * A handler starts one struct ocpp_chk, reads its fields through the ocpp_chk_* readers and, at
 * the end, answers the CALLERROR in err (with why: the offending field) when err is not
 * OCPP_ERR_NONE. The first violation wins: the later ones are still read (their outputs set to
 * the "absent" value) but do not overwrite the reason, so the CSMS sees the first bad field.
 *
 * The codes are the 1.6 ones the tests assert: a required field missing is
 * OccurenceConstraintViolation, a field of the wrong JSON type TypeConstraintViolation, a value
 * outside the schema (range, maxLength, enum, format, unknown member) PropertyConstraintViolation.
 */
#ifndef OCPP_CHK_H
#define OCPP_CHK_H

#include "ocpp/ocpp_json.h"
#include "ocpp/ocpp_rpc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One payload's check: the parsed JSON and the first violation found. */
struct ocpp_chk {
    const struct ocpp_json *j;
    enum ocpp_error err; /**< OCPP_ERR_NONE while the payload is clean */
    const char *why;     /**< the field (or reason) of the first violation; static text */
};

/** Starts a check of a payload parsed into @p j. */
void ocpp_chk_start(struct ocpp_chk *k, const struct ocpp_json *j);

/** Records violation @p e (reason @p why, static) unless an earlier one was recorded. */
void ocpp_chk_fail(struct ocpp_chk *k, enum ocpp_error e, const char *why);

/**
 * additionalProperties: false (every 1.6 schema): each member of @p obj must be one of @p keys
 * (NULL-terminated). @p obj not an object is a TypeConstraintViolation ("not an object").
 */
void ocpp_chk_keys(struct ocpp_chk *k, int obj, const char *const *keys);

/**
 * An integer member in [@p lo, @p hi] into @p out.
 * @return 1 read, 0 absent (a violation when @p req), -1 refused (violation recorded)
 */
int ocpp_chk_int(struct ocpp_chk *k, int obj, const char *key, bool req, int64_t lo, int64_t hi, int64_t *out);

/**
 * A number with multipleOf 0.1 (the charging rates), in tenths, into @p out.
 * @return 1 read, 0 absent (a violation when @p req), -1 refused (violation recorded)
 */
int ocpp_chk_tenths(struct ocpp_chk *k, int obj, const char *key, bool req, int32_t *out);

/**
 * A string member of at most @p max decoded bytes (the schema's maxLength) into @p out, which
 * holds @p max + 1 bytes; @p out is "" unless read.
 * @return its length, or -1 (absent: a violation when @p req; or refused, violation recorded)
 */
int ocpp_chk_str(struct ocpp_chk *k, int obj, const char *key, bool req, char *out, size_t max);

/**
 * A string member whose schema maxLength @p max may exceed the buffer: @p out (@p cap bytes)
 * may be NULL to check the length only.
 * @return its length; -1 absent (a violation when @p req) or refused (violation recorded);
 *         -2 the schema allows it but it does not fit @p cap (no violation: the caller decides)
 */
int ocpp_chk_text(struct ocpp_chk *k, int obj, const char *key, bool req, size_t max, char *out, size_t cap);

/**
 * A string member that must be one of @p names (NULL-terminated).
 * @return its index in @p names, or -1 (absent: a violation when @p req; or refused)
 */
int ocpp_chk_enum(struct ocpp_chk *k, int obj, const char *key, bool req, const char *const *names);

/**
 * A date-time member (format: date-time, UTC or with an offset) into @p out, in Unix seconds;
 * @p out is 0 unless read. A time at or before 1970-01-01T00:00:00Z is refused: 0 is the
 * modules' "no time given" value, so it must not also be a time the CSMS can send.
 * @return 1 read, 0 absent (a violation when @p req), -1 refused (violation recorded)
 */
int ocpp_chk_time(struct ocpp_chk *k, int obj, const char *key, bool req, int64_t *out);

/**
 * A member of JSON type @p type (an object or an array to walk).
 * @return its token, or -1: absent (a violation when @p req) or of another type (violation
 *         recorded)
 */
int ocpp_chk_member(struct ocpp_chk *k, int obj, const char *key, bool req, enum ocpp_jtype type);

#endif
