/* iso2_evse_priv.h - what the files of the ISO-2 charger machine share and nobody else uses:
 * the per-message handlers that iso2_evse.c dispatches to (iso2_evse_setup.c,
 * iso2_evse_schedule.c, iso2_evse_dc.c) and the status/EV/timer helpers they all apply.
 * Not part of the API: include iso2/iso2_evse.h from outside the machine.
 *
 * Every handler fills its response's mandatory fields whatever the outcome, applies its
 * rules only while @p code is still OK, stores the ResponseCode and returns it. */
#ifndef ISO2_EVSE_PRIV_H
#define ISO2_EVSE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iso2/iso2_evse.h"

/* A ResponseCode as the uint8_t the generated documents hold (short: it is on every line). */
#define CODE(x) ((uint8_t)exi_iso2_responseCodeType_##x)

/* strnlen() is POSIX, not C11: the board libraries need not have it. */
static inline size_t iso2_evse_len(const char *s, size_t cap)
{
    size_t n = 0;
    while (n < cap && s[n] != '\0') {
        n++;
    }
    return n;
}

/* DC_EVSEStatusCode to send: the charger's, or Malfunction for a value out of the enum. */
static inline uint8_t iso2_evse_code(const struct iso2_evse_status *st)
{
    return st->status_code <= exi_iso2_DC_EVSEStatusCodeType_Reserved_C
               ? st->status_code
               : (uint8_t)exi_iso2_DC_EVSEStatusCodeType_EVSE_Malfunction;
}

/* Helpers (iso2_evse.c). */
void iso2_evse_put_dc_status(struct exi_iso2_DC_EVSEStatusType *s, const struct iso2_evse_status *st, uint8_t code);
void iso2_evse_take_ev_status(struct iso2_evse *m, const struct exi_iso2_DC_EVStatusType *s,
                              struct iso2_evse_request *out);
uint32_t iso2_evse_loop_elapsed(struct iso2_evse *m, enum iso2_msg k, uint32_t now_ms);
uint8_t iso2_evse_refuse(struct iso2_evse *m, uint8_t code, const char *why);
void iso2_evse_put_evse_id(char *dst, uint16_t *len, const struct iso2_evse *m);

/* Session setup to authorization (iso2_evse_setup.c). */
uint8_t iso2_evse_on_session_setup(struct iso2_evse *m, const struct exi_iso2_document *req,
                                   const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                   struct iso2_evse_request *out, uint8_t code);
uint8_t iso2_evse_on_service_discovery(struct iso2_evse *m, const struct exi_iso2_document *req,
                                       struct exi_iso2_document *res, uint8_t code);
uint8_t iso2_evse_on_service_detail(struct iso2_evse *m, const struct exi_iso2_document *req,
                                    struct exi_iso2_document *res, uint8_t code);
uint8_t iso2_evse_on_payment_selection(struct iso2_evse *m, const struct exi_iso2_document *req,
                                       struct exi_iso2_document *res, uint8_t code);
/* Plug & Charge (iso2_evse_pnc.c). */
bool iso2_evse_contract_offered(const struct iso2_evse *m);
uint8_t iso2_evse_on_payment_details(struct iso2_evse *m, const struct exi_iso2_document *req,
                                     struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code);
uint8_t iso2_evse_check_contract_auth(struct iso2_evse *m, const struct exi_iso2_document *req,
                                      struct iso2_evse_request *out, uint8_t code);
/* The contract key's signature over @p req (AuthorizationReq, MeteringReceiptReq): NULL when it
 * verifies, else the reason (static text). Uses the lent context's scratch and header copy. */
const char *iso2_evse_contract_sig_check(struct iso2_evse *m, const struct exi_iso2_document *req);
/* CertificateInstallation / CertificateUpdate (iso2_evse_cert.c). */
uint8_t iso2_evse_on_certificate(struct iso2_evse *m, const struct exi_iso2_document *req,
                                 struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code);
uint8_t iso2_evse_on_authorization(struct iso2_evse *m, const struct exi_iso2_document *req,
                                   const struct iso2_evse_status *st,
                                   struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code,
                                   uint32_t now_ms);

/* The schedule, ChargeParameterDiscovery and PowerDelivery (iso2_evse_schedule.c). */
uint8_t iso2_evse_on_charge_parameter(struct iso2_evse *m, const struct exi_iso2_document *req,
                                      const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                      struct iso2_evse_request *out, uint8_t code, uint32_t now_ms);
uint8_t iso2_evse_on_power_delivery(struct iso2_evse *m, const struct exi_iso2_document *req,
                                    const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                    struct iso2_evse_request *out, uint8_t code);

/* The DC loops and the end of the session (iso2_evse_dc.c). */
uint8_t iso2_evse_on_cable_check(struct iso2_evse *m, const struct exi_iso2_document *req,
                                 const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                 struct iso2_evse_request *out, uint8_t code, uint32_t now_ms);
uint8_t iso2_evse_on_precharge(struct iso2_evse *m, const struct exi_iso2_document *req,
                               const struct iso2_evse_status *st, struct exi_iso2_document *res,
                               struct iso2_evse_request *out, uint8_t code, uint32_t now_ms);
uint8_t iso2_evse_on_current_demand(struct iso2_evse *m, const struct exi_iso2_document *req,
                                    const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                    struct iso2_evse_request *out, uint8_t code, uint32_t now_ms);
uint8_t iso2_evse_on_metering_receipt(struct iso2_evse *m, const struct exi_iso2_document *req,
                                      const struct iso2_evse_status *st, struct exi_iso2_document *res,
                                      struct iso2_evse_request *out, uint8_t code);
/* Signed metering receipts of a Contract session (iso2_evse_receipt.c). */
void iso2_evse_receipt_ask(struct iso2_evse *m, const struct iso2_evse_status *st,
                           struct exi_iso2_CurrentDemandResType *r, uint32_t now_ms);
uint8_t iso2_evse_receipt_check(struct iso2_evse *m, const struct exi_iso2_document *req,
                                struct iso2_evse_request *out, uint8_t code);
uint8_t iso2_evse_on_charging_status(struct iso2_evse *m, struct exi_iso2_document *res, uint8_t code);
uint8_t iso2_evse_on_welding(struct iso2_evse *m, const struct exi_iso2_document *req,
                             const struct iso2_evse_status *st, struct exi_iso2_document *res,
                             struct iso2_evse_request *out, uint8_t code);
uint8_t iso2_evse_on_session_stop(struct iso2_evse *m, const struct exi_iso2_document *req,
                                  struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code);

#endif /* ISO2_EVSE_PRIV_H */
