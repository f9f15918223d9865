/* iso20_evse_priv.h - what the files of the -20 charger machine share and nobody else uses:
 * the per-message handlers iso20_evse.c dispatches to (iso20_evse_setup.c for the common
 * messages up to ServiceSelection, iso20_evse_dc.c for the rest) and the helpers they apply.
 * Not part of the API: include iso20/iso20_evse.h from outside the machine.
 *
 * Every handler fills its response's mandatory fields whatever the outcome, applies its
 * rules only while @p code is still OK, and returns the ResponseCode. */
#ifndef ISO20_EVSE_PRIV_H
#define ISO20_EVSE_PRIV_H

#include "iso20/iso20_evse.h"

/* A ResponseCode as the uint8_t the generated documents hold. */
#define CODE(x) ((uint8_t)exi_iso20_responseCodeType_##x)

/* The offered-service bits of struct iso20_evse.offered/.detailed. */
#define ISO20_BIT_DC 1u
#define ISO20_BIT_BPT 2u

/* Helpers (iso20_evse.c). */
uint8_t iso20_evse_refuse(struct iso20_evse *m, uint8_t code, const char *why);
uint32_t iso20_evse_loop_elapsed(struct iso20_evse *m, enum iso20_msg k, uint32_t now_ms);
uint8_t iso20_evse_service_bit(uint16_t service_id);

/* Common messages up to ServiceSelection (iso20_evse_setup.c). */
uint8_t iso20_evse_on_session_setup(struct iso20_evse *m, const struct exi_iso20_document *req,
                                    struct exi_iso20_document *res, struct iso20_evse_request *out, uint8_t code);
uint8_t iso20_evse_on_auth_setup(struct iso20_evse *m, struct exi_iso20_document *res, uint8_t code);
uint8_t iso20_evse_on_authorization(struct iso20_evse *m, const struct exi_iso20_document *req,
                                    const struct iso20_evse_status *st, struct exi_iso20_document *res,
                                    struct iso20_evse_request *out, uint8_t code, uint32_t now_ms);
uint8_t iso20_evse_on_service_discovery(struct iso20_evse *m, const struct exi_iso20_document *req,
                                        const struct iso20_evse_status *st, struct exi_iso20_document *res,
                                        uint8_t code);
uint8_t iso20_evse_on_service_detail(struct iso20_evse *m, const struct exi_iso20_document *req,
                                     struct exi_iso20_document *res, uint8_t code);
uint8_t iso20_evse_on_service_selection(struct iso20_evse *m, const struct exi_iso20_document *req,
                                        struct exi_iso20_document *res, uint8_t code);
uint8_t iso20_evse_on_unsupported(struct iso20_evse *m, enum iso20_msg k, struct exi_iso20_document *res,
                                  uint8_t code);

/* The schedule, the DC messages, PowerDelivery and SessionStop (iso20_evse_dc.c). */
uint8_t iso20_evse_on_charge_parameter(struct iso20_evse *m, const struct exi_iso20_dc_document *req,
                                       const struct iso20_evse_status *st, struct exi_iso20_dc_document *res,
                                       struct iso20_evse_request *out, uint8_t code);
uint8_t iso20_evse_on_schedule(struct iso20_evse *m, const struct exi_iso20_document *req,
                               const struct iso20_evse_status *st, struct exi_iso20_document *res, uint8_t code,
                               uint32_t now_ms);
uint8_t iso20_evse_on_cable_check(struct iso20_evse *m, const struct iso20_evse_status *st,
                                  struct exi_iso20_dc_document *res, struct iso20_evse_request *out, uint8_t code,
                                  uint32_t now_ms);
uint8_t iso20_evse_on_precharge(struct iso20_evse *m, const struct exi_iso20_dc_document *req,
                                const struct iso20_evse_status *st, struct exi_iso20_dc_document *res,
                                struct iso20_evse_request *out, uint8_t code, uint32_t now_ms);
uint8_t iso20_evse_on_power_delivery(struct iso20_evse *m, const struct exi_iso20_document *req,
                                     const struct iso20_evse_status *st, struct exi_iso20_document *res,
                                     struct iso20_evse_request *out, uint8_t code);
uint8_t iso20_evse_on_charge_loop(struct iso20_evse *m, const struct exi_iso20_dc_document *req,
                                  const struct iso20_evse_status *st, struct exi_iso20_dc_document *res,
                                  struct iso20_evse_request *out, uint8_t code);
uint8_t iso20_evse_on_welding(struct iso20_evse *m, const struct iso20_evse_status *st,
                              struct exi_iso20_dc_document *res, struct iso20_evse_request *out, uint8_t code);
uint8_t iso20_evse_on_session_stop(struct iso20_evse *m, const struct exi_iso20_document *req,
                                   struct exi_iso20_document *res, struct iso20_evse_request *out, uint8_t code);

#endif /* ISO20_EVSE_PRIV_H */
