/**
 * @file fake_ocpp_ops.c
 * @brief Test fake of the OCPP charge point's station: see fake_ocpp_ops.h.
 */
#include "fake_ocpp_ops.h"

#include <stdio.h>
#include <string.h>

int fake_ocpp_accept_connector(void *ctx, unsigned connector)
{
    (void)ctx, (void)connector;
    return HAL_OK;
}

int fake_ocpp_accept_remote_start(void *ctx, unsigned connector, const char *idtag)
{
    (void)ctx, (void)connector, (void)idtag;
    return HAL_OK;
}

int fake_ocpp_accept_reset(void *ctx, bool hard)
{
    (void)ctx, (void)hard;
    return HAL_OK;
}

int fake_ocpp_accept_availability(void *ctx, unsigned connector, bool operative)
{
    (void)ctx, (void)connector, (void)operative;
    return HAL_OK;
}

void fake_ocpp_ignore_authorized(void *ctx, unsigned connector, const char *idtag, enum ocpp_auth status)
{
    (void)ctx, (void)connector, (void)idtag, (void)status;
}

static void ignore_delivered(void *ctx, uint32_t local_tx)
{
    (void)ctx, (void)local_tx;
}

static size_t no_signed_data(void *ctx, uint32_t local_tx, const char **ocmf)
{
    (void)ctx, (void)local_tx, (void)ocmf;
    return 0;
}

const struct ocpp_cp_ops fake_ocpp_station_ops = {
    .remote_start = fake_ocpp_accept_remote_start,
    .remote_stop = fake_ocpp_accept_connector,
    .reset = fake_ocpp_accept_reset,
    .unlock = fake_ocpp_accept_connector,
    .availability = fake_ocpp_accept_availability,
    .authorized = fake_ocpp_ignore_authorized,
    .tx_delivered = ignore_delivered,
    .signed_data = no_signed_data,
};

int fake_ocpp_call(struct ocpp_cp *cp, struct ocpp_json *j, uint32_t now_ms, const char *action,
                   const char *payload, char code[48], char why[128])
{
    static char frame[16384]; /* the largest CALL the tests send: a certificate chain */
    int n = snprintf(frame, sizeof frame, "[2,\"c1\",\"%s\",%s]", action, payload);
    if (n < 0 || (size_t)n >= sizeof frame) {
        return FAKE_OCPP_NO_ANSWER;
    }
    ocpp_cp_rx(cp, frame, (size_t)n, now_ms);
    size_t len;
    const char *t = ocpp_cp_take(cp, &len);
    if (t == NULL || ocpp_json_parse(j, t, len) != HAL_OK) {
        return FAKE_OCPP_NO_ANSWER;
    }
    ocpp_cp_sent(cp, now_ms);
    int64_t type = 0;
    if (ocpp_json_int(j, ocpp_json_at(j, 0, 0), &type) != HAL_OK) {
        return FAKE_OCPP_NO_ANSWER;
    }
    if (type == 4) {
        if (code != NULL && ocpp_json_str(j, ocpp_json_at(j, 0, 2), code, 48) <= 0) {
            return FAKE_OCPP_NO_ANSWER;
        }
        if (why != NULL) {
            (void)ocpp_json_str(j, ocpp_json_at(j, 0, 3), why, 128);
        }
        return -1;
    }
    return type == 3 ? ocpp_json_at(j, 0, 2) : FAKE_OCPP_NO_ANSWER;
}

void fake_ocpp_store_put(void *ctx, const char *text, size_t len)
{
    struct fake_ocpp_store *s = ctx;
    if (s->len + len >= sizeof s->text) {
        s->overflow = true;
        return;
    }
    memcpy(s->text + s->len, text, len);
    s->len += len;
    s->text[s->len] = '\0';
}

bool fake_ocpp_store_export(const struct ocpp_cp *cp, struct fake_ocpp_store *s)
{
    s->len = 0;
    s->text[0] = '\0';
    s->overflow = false;
    ocpp_cp_store_export(cp, fake_ocpp_store_put, s);
    return !s->overflow;
}

unsigned fake_ocpp_store_read(struct ocpp_cp *cp, const char *text, char *refused, const char **why, unsigned *taken)
{
    unsigned n_refused = 0, n_taken = 0;
    char line[OCPP_STORE_LINE_MAX];
    for (const char *at = text; *at != '\0';) {
        const char *nl = strchr(at, '\n');
        size_t len = nl != NULL ? (size_t)(nl - at) : strlen(at);
        const char *w = "longer than a board's store line (OCPP_STORE_LINE_MAX)";
        bool fits = len < sizeof line;
        len = fits ? len : sizeof line - 1u;
        memcpy(line, at, len);
        line[len] = '\0';
        if (fits && ocpp_cp_store_line(cp, line, &w) == HAL_OK) {
            n_taken++;
        } else if (n_refused++ == 0u) {
            if (refused != NULL) {
                memcpy(refused, line, len + 1u);
            }
            if (why != NULL) {
                *why = w;
            }
        }
        at = nl != NULL ? nl + 1 : at + strlen(at);
    }
    if (taken != NULL) {
        *taken = n_taken;
    }
    return n_refused;
}
