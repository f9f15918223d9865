/**
 * @file bench_iso2.c
 * @brief Time from a received ISO 15118-2 CurrentDemandReq (EXI bytes, the DS5366 lab
 *        capture's, 49 bytes) to the encoded CurrentDemandRes through the entry point the
 *        charger uses (hlc_handle: the ISO-2 backend's decode + iso2_evse_handle + encode).
 *        Prints p50/p99/max of single messages and the median per message of long runs;
 *        asserts nothing about speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_hlc.h"
#include "hlc_iso2.h"

static struct exi_iso2_document s_req, s_res;
static struct hlc s_h;
static uint8_t s_in[64], s_out[1024];
static const uint8_t s_sid[8] = {0x9D, 0x77, 0x99, 0x36, 0x0D, 0x2D, 0x74, 0x7C};

static int fixed_id(void *ctx, uint8_t *bytes, size_t len)
{
    (void)ctx;
    memcpy(bytes, s_sid, len < sizeof s_sid ? len : sizeof s_sid);
    return HAL_OK;
}

/* The ISO-2 preamble to the charging loop, on documents (not timed). */
static void to_current_demand(const struct iso2_evse_status *st)
{
    static const enum iso2_msg seq[] = {
        ISO2_MSG_SESSION_SETUP, ISO2_MSG_SERVICE_DISCOVERY, ISO2_MSG_PAYMENT_SELECTION, ISO2_MSG_AUTHORIZATION,
        ISO2_MSG_CHARGE_PARAMETER, ISO2_MSG_CABLE_CHECK, ISO2_MSG_PRECHARGE, ISO2_MSG_POWER_DELIVERY,
    };
    struct iso2_evse_request out;
    for (size_t k = 0; k < sizeof seq / sizeof seq[0]; k++) {
        memset(&s_req, 0, sizeof s_req);
        s_req.V2G_Message_isUsed = true;
        memcpy(s_req.V2G_Message.Header.SessionID.bytes, s_sid, 8);
        s_req.V2G_Message.Header.SessionID.bytesLen = 8;
        struct exi_iso2_BodyType *b = &s_req.V2G_Message.Body;
        switch (seq[k]) {
        case ISO2_MSG_SESSION_SETUP: b->SessionSetupReq_isUsed = true; break;
        case ISO2_MSG_SERVICE_DISCOVERY: b->ServiceDiscoveryReq_isUsed = true; break;
        case ISO2_MSG_PAYMENT_SELECTION:
            b->PaymentServiceSelectionReq_isUsed = true;
            b->PaymentServiceSelectionReq.SelectedPaymentOption = exi_iso2_paymentOptionType_ExternalPayment;
            b->PaymentServiceSelectionReq.SelectedServiceList.SelectedService.arrayLen = 1;
            b->PaymentServiceSelectionReq.SelectedServiceList.SelectedService.array[0].ServiceID = 1;
            break;
        case ISO2_MSG_AUTHORIZATION: b->AuthorizationReq_isUsed = true; break;
        case ISO2_MSG_CHARGE_PARAMETER:
            b->ChargeParameterDiscoveryReq_isUsed = true;
            b->ChargeParameterDiscoveryReq.RequestedEnergyTransferMode = exi_iso2_EnergyTransferModeType_DC_extended;
            b->ChargeParameterDiscoveryReq.DC_EVChargeParameter_isUsed = true;
            break;
        case ISO2_MSG_CABLE_CHECK: b->CableCheckReq_isUsed = true; break;
        case ISO2_MSG_PRECHARGE: b->PreChargeReq_isUsed = true; break;
        default:
            b->PowerDeliveryReq_isUsed = true;
            b->PowerDeliveryReq.ChargeProgress = exi_iso2_chargeProgressType_Start;
            b->PowerDeliveryReq.SAScheduleTupleID = 1;
            break;
        }
        if (iso2_evse_handle(hlc_iso2_machine(&s_h), &s_req, st, &s_res, &out, 0) != HAL_OK ||
            !iso2_response_code_ok(out.response_code)) {
            fprintf(stderr, "bench_iso2: preamble refused at %s\n", iso2_msg_name(seq[k]));
            exit(1);
        }
    }
}

int main(void)
{
    static const char *hex =
        "809802275de64d834b5d1f10d1000a800600001081f046008614138020414282700400040837ce00810640d01081f04600";
    size_t n = bench_hlc_unhex(hex, s_in, sizeof s_in);
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    struct hlc_evse evse;
    bench_hlc_evse(&evse);
    struct iso2_evse_status st;
    hlc_iso2_status(&evse, &st);
    if (hlc_init(&s_h, &cfg, fixed_id, NULL) != HAL_OK || hlc_start(&s_h, &hlc_iso2_ops, 0) != HAL_OK) {
        fprintf(stderr, "bench_iso2: ISO-2 backend did not start\n");
        return 1;
    }
    to_current_demand(&st);
    enum { SINGLE = 100000, RUNS = 11, ITERS = 100000 };
    static double one[SINGLE];
    struct hlc_result res;
    size_t out_len = 0;
    for (int i = 0; i < SINGLE; i++) {
        double t0 = bench_hlc_now_ns();
        int rc = hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out_len, &res, (uint32_t)i);
        one[i] = bench_hlc_now_ns() - t0;
        if (rc != HAL_OK || res.error != HLC_ERR_NONE || !res.positive) {
            fprintf(stderr, "bench_iso2: request not answered positively (%s)\n", res.reason);
            return 1;
        }
    }
    double per[RUNS];
    for (int k = 0; k < RUNS; k++) {
        double t0 = bench_hlc_now_ns();
        for (int i = 0; i < ITERS; i++) {
            (void)hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out_len, &res, (uint32_t)i);
        }
        per[k] = (bench_hlc_now_ns() - t0) / ITERS;
    }
    qsort(one, SINGLE, sizeof one[0], bench_hlc_cmp);
    qsort(per, RUNS, sizeof per[0], bench_hlc_cmp);
    printf("bench_iso2: CurrentDemandReq (DS5366, %zu bytes) -> CurrentDemandRes (%zu bytes)\n", n, out_len);
    printf("bench_iso2: hlc_handle single messages: p50 %.0f ns, p99 %.0f ns, max %.0f ns (n=%d)\n",
           one[SINGLE / 2], one[SINGLE * 99 / 100], one[SINGLE - 1], SINGLE);
    printf("bench_iso2: hlc_handle %.0f ns/message (median of %d x %d)\n", per[RUNS / 2], RUNS, ITERS);
    printf("bench_iso2: the 25 ms CurrentDemandRes budget is %.0fx the p99\n", 25e6 / one[SINGLE * 99 / 100]);
    return 0;
}
