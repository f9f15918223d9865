/* libFuzzer harness over the OCPP incoming-message path: a charge point registered with a
 * transaction in flight receives the input as one WebSocket text frame (CALLs, answers to
 * its outstanding CALL, garbage); whatever it answers must be valid JSON we can parse back.
 * The tokenizer's readers run over every token of the input too, and every line of it goes
 * to the store reader (ocpp_cp_store_line: the board's ocpp.store file); what the charge
 * point then exports must read back whole. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocpp/ocpp_cert.h"
#include "ocpp/ocpp_cp.h"
#include "ocpp/ocpp_fw.h"
#include "ocpp/ocpp_smart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ok_start(void *c, unsigned n, const char *t)
{
    (void)c, (void)n, (void)t;
    return HAL_OK;
}
static int ok_conn(void *c, unsigned n)
{
    (void)c, (void)n;
    return HAL_OK;
}
static int ok_reset(void *c, bool h)
{
    (void)c, (void)h;
    return HAL_OK;
}
static int ok_avail(void *c, unsigned n, bool o)
{
    (void)c, (void)n, (void)o;
    return HAL_EBUSY;
}
static void on_auth(void *c, unsigned n, const char *t, enum ocpp_auth a)
{
    (void)c, (void)n, (void)t, (void)a;
}
static const struct ocpp_cp_ops k_ops = {ok_start, ok_conn, ok_reset, ok_conn, ok_avail, on_auth,
                                         NULL,     NULL,    NULL,     NULL,     NULL,     NULL, NULL};

/* Certificate management attached with a board that keeps everything and a crypto port
 * that accepts every signature, so a CertificateSigned chain is checked to its end; a CSR
 * is outstanding for the key below (the P-256 point of tests/unit/test_ocpp_cert.c). */
static int c_save(void *c, unsigned s, enum ocpp_cert_use u, const uint8_t *d, size_t n)
{
    (void)c, (void)s, (void)u, (void)d, (void)n;
    return HAL_OK;
}
static int c_install(void *c, const char *p, size_t n)
{
    (void)c, (void)p, (void)n;
    return HAL_OK;
}
static int c_verify(struct hal_crypto *c, enum hal_crypto_curve cv, const uint8_t *p, size_t pl, const uint8_t *d,
                    size_t dl, const uint8_t *sig, size_t sl)
{
    (void)c, (void)cv, (void)p, (void)pl, (void)d, (void)dl, (void)sig, (void)sl;
    return HAL_OK;
}
static const struct ocpp_cert_ops k_cert_ops = {c_save, NULL, c_install, NULL, NULL};
static const struct hal_crypto_ops k_crypto_ops = {c_verify, NULL, NULL, NULL};
static struct hal_crypto s_crypto = {&k_crypto_ops};
/* Firmware Management attached (ocpp_fw.c): every job succeeds at once, so the input's
 * requests run through all their steps; a location that reaches the board must have passed
 * the checks. The input's length picks signed or legacy firmware. */
static bool s_signed;
static int fw_start(void *c, enum ocpp_fw_job job, const char *loc, const char *file, enum ocpp_fw_log log,
                    int64_t from, int64_t to)
{
    (void)c, (void)file, (void)log, (void)from, (void)to;
    if (job != OCPP_FW_JOB_INSTALL && (loc == NULL || ocpp_fw_location_check(loc) != NULL)) {
        abort(); /* a hostile location reached the board */
    }
    return HAL_OK;
}
static enum ocpp_fw_result fw_poll(void *c, enum ocpp_fw_job job)
{
    (void)c, (void)job;
    return OCPP_FW_DONE;
}
static bool fw_signed(void *c)
{
    (void)c;
    return s_signed;
}
static int fw_cert(void *c, const char *pem, const char **why)
{
    (void)c;
    *why = "fuzz";
    return pem[0] == '-' ? 0 : -1;
}
static int fw_file(void *c, const char *sig, const char **why)
{
    (void)c;
    *why = "fuzz";
    return sig[0] == 'M' ? 0 : -1;
}
static const struct ocpp_fw_ops k_fw_ops = {fw_start, fw_poll, NULL, fw_signed, fw_cert, fw_file};

/* The export of one charge point read back by another: every line must be taken. */
static struct ocpp_cp s_back;
static char s_line[512];
static size_t s_len;
static void put_back(void *ctx, const char *t, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\n') {
            s_line[s_len] = '\0';
            const char *why;
            if (ocpp_cp_store_line(&s_back, s_line, &why) != HAL_OK) {
                abort(); /* we wrote a line we do not read back */
            }
            s_len = 0;
        } else if (s_len + 1u < sizeof s_line) {
            s_line[s_len++] = t[i];
        } else {
            abort(); /* longer than any line the board reads */
        }
    }
}

/* The modules behind the core, fresh, as a board attaches them. */
static void attach_modules(struct ocpp_cp *cp, struct ocpp_smart *smart, struct ocpp_cert *cert, struct ocpp_fw *fw)
{
    ocpp_smart_init(smart, 2, 400000u);
    ocpp_smart_rating(smart, 1, 150000u, 250000u);
    cp->smart = smart;
    ocpp_cert_init(cert, &k_cert_ops, NULL, &s_crypto, "CP1");
    cp->cert = cert;
    ocpp_fw_init(fw, &k_fw_ops, NULL);
    cp->fw = fw;
}

/* What a board's journals give its charge point before the store is read (ocpp_journal at
 * start-up): the undelivered Starts and Stops, without what only the store keeps (a Start's
 * reservation and idTag), and the transactions they belong to. The store's "start" and "mv"
 * lines refer to these, so the read-back charge point must have them as a rebooted one has. */
static void journal_view(const struct ocpp_cp *from, struct ocpp_cp *to)
{
    to->qhead = 0;
    to->qcount = 0;
    for (unsigned i = 0; i < from->qcount; i++) {
        const struct ocpp_qentry *e = &from->q[(from->qhead + i) % CFG_OCPP_QUEUE];
        if (e->kind == OCPP_Q_START || e->kind == OCPP_Q_STOP) {
            struct ocpp_qentry *d = &to->q[to->qcount++];
            *d = *e;
            if (d->kind == OCPP_Q_START) {
                d->reservation_id = -1;
                d->idtag[0] = '\0';
            }
        }
    }
    memcpy(to->tx, from->tx, sizeof to->tx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ocpp_cp cp;
    static struct ocpp_json j;
    static char text[CFG_OCPP_TX_MAX];
    if (size > sizeof text) {
        size = sizeof text;
    }
    memcpy(text, data, size);

    struct ocpp_cp_info info = {"V", "M", NULL, NULL, NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    ocpp_cp_init(&cp, &info, &cfg, &k_ops, NULL, NULL, 1);
    /* Smart Charging, certificates and firmware attached, as the boards do: their CALLs are
     * parsed too */
    static struct ocpp_smart smart;
    static struct ocpp_cert cert;
    static struct ocpp_fw fw;
    attach_modules(&cp, &smart, &cert, &fw);
    cert.sign = OCPP_SIGN_WAIT;
    cert.pend_pub_len = 65;
    memset(cert.pend_pub, 0x04, 65);
    s_signed = (size & 1u) != 0;
    ocpp_cp_connected(&cp, 0);
    size_t n;
    /* register: boot accepted, then one StartTransaction outstanding, so an answer in the
     * input can match it (its ID is "00000005" for the Start: seeds use it) */
    (void)ocpp_cp_poll(&cp, 0);
    ocpp_cp_sent(&cp, 0);
    static const char boot[] = "[3,\"00000001\",{\"status\":\"Accepted\",\"currentTime\":\"2026-01-01T00:00:00Z\",\"interval\":60}]";
    ocpp_cp_rx(&cp, boot, sizeof boot - 1u, 0);
    ocpp_cp_tx_start(&cp, 1, 1, "T", 0, 1767225600);
    ocpp_smart_poll(&smart, &cp, 1767225600, 0); /* the transaction runs: TxProfiles can be set */
    for (int k = 0; k < 8 && ocpp_cp_poll(&cp, 1); k++) {
        ocpp_cp_take(&cp, &n);
        ocpp_cp_sent(&cp, 1);
        if (strcmp(cp.rpc.out_action, "StartTransaction") == 0) {
            break;
        }
        char ans[32];
        memcpy(ans, "[3,\"", 4);
        memcpy(ans + 4, cp.rpc.out_id, 8);
        memcpy(ans + 12, "\",{}]", 6);
        ocpp_cp_rx(&cp, ans, 17, 1);
    }

    ocpp_cp_rx(&cp, text, size, 2);
    const char *out = ocpp_cp_take(&cp, &n);
    if (out != NULL && ocpp_json_parse(&j, out, n) != HAL_OK) {
        abort(); /* we must never send what we cannot parse ourselves */
    }
    ocpp_cp_sent(&cp, 2);
    (void)ocpp_cp_poll(&cp, 3);
    /* the firmware's notifications it then sends must parse back too */
    for (int k = 0; k < 8 && ocpp_cp_poll(&cp, 4); k++) {
        out = ocpp_cp_take(&cp, &n);
        if (out == NULL || ocpp_json_parse(&j, out, n) != HAL_OK) {
            abort();
        }
        ocpp_cp_sent(&cp, 4);
        char ans[32];
        memcpy(ans, "[3,\"", 4);
        memcpy(ans + 4, cp.rpc.out_id, 8);
        memcpy(ans + 12, "\",{}]", 6);
        ocpp_cp_rx(&cp, ans, 17, 4);
    }

    /* every reader over every token of the input */
    if (ocpp_json_parse(&j, text, size) == HAL_OK) {
        char s[64];
        int64_t v;
        for (int t = 0; t < (int)j.ntok; t++) {
            (void)ocpp_json_str(&j, t, s, sizeof s);
            (void)ocpp_json_strlen(&j, t);
            (void)ocpp_json_streq(&j, t, "idTag");
            (void)ocpp_json_int(&j, t, &v);
            (void)ocpp_json_fixed(&j, t, 3, &v);
            (void)ocpp_json_get(&j, t, "key");
            (void)ocpp_json_at(&j, t, 1);
        }
    }
    /* the input as store lines, then the round trip */
    static char line[512];
    size_t l = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || text[i] == '\n' || l + 1u == sizeof line) {
            line[l] = '\0';
            const char *why;
            (void)ocpp_cp_store_line(&cp, line, &why);
            l = 0;
        } else {
            line[l++] = text[i] == '\0' ? ' ' : text[i];
        }
    }
    /* read back as a rebooted board does: the same modules attached, fresh */
    ocpp_cp_init(&s_back, &info, &cfg, &k_ops, NULL, NULL, 1);
    static struct ocpp_smart back_smart;
    static struct ocpp_cert back_cert;
    static struct ocpp_fw back_fw;
    attach_modules(&s_back, &back_smart, &back_cert, &back_fw);
    journal_view(&cp, &s_back);
    s_len = 0;
    ocpp_cp_store_export(&cp, put_back, NULL);

    if (size < 64) {
        int64_t u;
        char ts[64];
        memcpy(ts, text, size);
        ts[size] = '\0';
        (void)ocpp_time_parse(ts, &u);
    }
    return 0;
}
