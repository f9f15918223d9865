/**
 * @file bench_din.c
 * @brief Time from a received CurrentDemandReq (EXI bytes) to the encoded
 *        CurrentDemandRes through the one V2G entry point the charger uses (hlc_handle:
 *        the DIN backend's decode + din_evse_handle + encode), on the reference Ioniq
 *        request (48 bytes). Prints ns per message (median of runs) and the split of the
 *        three stages; asserts nothing about speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_hlc.h"
#include "hlc_din.h"

static struct exi_din_document s_req, s_res;
static struct hlc s_h;
static uint8_t s_in[64], s_out[512];
static const uint8_t s_sid[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static int fixed_id(void *ctx, uint8_t *bytes, size_t len)
{
    (void)ctx;
    memcpy(bytes, s_sid, len < sizeof s_sid ? len : sizeof s_sid);
    return HAL_OK;
}

/* Drive the machine through the DIN preamble to the charging loop (not timed). */
static void to_current_demand(const struct din_session_id *sid, const struct din_evse_status *st)
{
    struct din_evse_request out;
    for (int k = DIN_MSG_SESSION_SETUP; k <= DIN_MSG_POWER_DELIVERY; k++) {
        memset(&s_req, 0, sizeof s_req);
        s_req.V2G_Message_isUsed = true;
        din_session_id_to_header(&s_req.V2G_Message.Header, sid);
        struct exi_din_BodyType *b = &s_req.V2G_Message.Body;
        switch (k) {
        case DIN_MSG_SESSION_SETUP: b->SessionSetupReq_isUsed = true; break;
        case DIN_MSG_SERVICE_DISCOVERY: b->ServiceDiscoveryReq_isUsed = true; break;
        case DIN_MSG_PAYMENT_SELECTION:
            b->ServicePaymentSelectionReq_isUsed = true;
            b->ServicePaymentSelectionReq.SelectedPaymentOption = exi_din_paymentOptionType_ExternalPayment;
            b->ServicePaymentSelectionReq.SelectedServiceList.SelectedService.arrayLen = 1;
            b->ServicePaymentSelectionReq.SelectedServiceList.SelectedService.array[0].ServiceID = 1;
            break;
        case DIN_MSG_CONTRACT_AUTH: b->ContractAuthenticationReq_isUsed = true; break;
        case DIN_MSG_CHARGE_PARAMETER:
            b->ChargeParameterDiscoveryReq_isUsed = true;
            b->ChargeParameterDiscoveryReq.EVRequestedEnergyTransferType =
                exi_din_EVRequestedEnergyTransferType_DC_extended;
            b->ChargeParameterDiscoveryReq.DC_EVChargeParameter_isUsed = true;
            break;
        case DIN_MSG_CABLE_CHECK: b->CableCheckReq_isUsed = true; break;
        case DIN_MSG_PRECHARGE: b->PreChargeReq_isUsed = true; break;
        default:
            b->PowerDeliveryReq_isUsed = true;
            b->PowerDeliveryReq.ReadyToChargeState = true;
            break;
        }
        if (din_evse_handle(hlc_din_machine(&s_h), &s_req, st, &s_res, &out, 0) != HAL_OK ||
            !din_response_code_ok(out.response_code)) {
            fprintf(stderr, "bench_din: preamble refused at %s\n", din_msg_name((enum din_msg)k));
            exit(1);
        }
    }
}

int main(void)
{
    static const char *hex =
        "809a02004080c1014181c210d100000ba0406014010285010004061a01e04070c84c0400c081e00604000040a1503c00";
    size_t n = bench_hlc_unhex(hex, s_in, sizeof s_in);
    static const struct din_session_id sid = {{1, 2, 3, 4, 5, 6, 7, 8}, 8};
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    struct hlc_evse evse;
    bench_hlc_evse(&evse);
    struct din_evse_status st;
    hlc_din_status(&evse, &st);
    struct din_evse_request out;
    struct hlc_result res;
    const int runs = 15, iters = 200000;
    double total[15], dec[15], hnd[15], enc[15];
    size_t out_len = 0;
    for (int k = 0; k < runs; k++) {
        double t_dec = 0, t_hnd = 0, t_enc = 0;
        if (hlc_init(&s_h, &cfg, fixed_id, NULL) != HAL_OK || hlc_start(&s_h, &hlc_din_ops, 0) != HAL_OK) {
            fprintf(stderr, "bench_din: DIN backend did not start\n");
            return 1;
        }
        to_current_demand(&sid, &st);
        double t0 = bench_hlc_now_ns();
        for (int i = 0; i < iters; i++) {
            if (hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out_len, &res,
                           (uint32_t)i) != HAL_OK) {
                fprintf(stderr, "bench_din: request rejected\n");
                return 1;
            }
            if (res.error != HLC_ERR_NONE || !res.positive) {
                fprintf(stderr, "bench_din: response not encoded\n");
                return 1;
            }
        }
        total[k] = (bench_hlc_now_ns() - t0) / iters;
        /* the split, measured separately (same work, one stage per loop) */
        t0 = bench_hlc_now_ns();
        for (int i = 0; i < iters; i++) {
            struct exi_reader r;
            exi_reader_init(&r, s_in, n);
            exi_din_decode(&r, &s_req);
        }
        t_dec = (bench_hlc_now_ns() - t0) / iters;
        t0 = bench_hlc_now_ns();
        for (int i = 0; i < iters; i++) {
            din_evse_handle(hlc_din_machine(&s_h), &s_req, &st, &s_res, &out, (uint32_t)i);
        }
        t_hnd = (bench_hlc_now_ns() - t0) / iters;
        t0 = bench_hlc_now_ns();
        for (int i = 0; i < iters; i++) {
            struct exi_writer w;
            exi_writer_init(&w, s_out, sizeof s_out);
            exi_din_encode(&w, &s_res);
        }
        t_enc = (bench_hlc_now_ns() - t0) / iters;
        dec[k] = t_dec;
        hnd[k] = t_hnd;
        enc[k] = t_enc;
    }
    qsort(total, runs, sizeof total[0], bench_hlc_cmp);
    qsort(dec, runs, sizeof dec[0], bench_hlc_cmp);
    qsort(hnd, runs, sizeof hnd[0], bench_hlc_cmp);
    qsort(enc, runs, sizeof enc[0], bench_hlc_cmp);
    printf("bench_din: CurrentDemandReq (Ioniq, %zu bytes) -> CurrentDemandRes (%zu bytes)\n", n, out_len);
    printf("bench_din: hlc_handle (decode+handle+encode) %.0f ns/message (median of %d x %d; min %.0f, max %.0f)\n",
           total[runs / 2], runs, iters, total[0], total[runs - 1]);
    printf("bench_din: split: exi_din_decode %.0f ns, din_evse_handle %.0f ns, exi_din_encode %.0f ns\n",
           dec[runs / 2], hnd[runs / 2], enc[runs / 2]);
    printf("bench_din: DIN budget for CurrentDemandRes is 25 ms = %.0fx this time\n",
           25e6 / total[runs / 2]);
    return 0;
}
