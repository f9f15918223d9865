/**
 * @file bench_iso20.c
 * @brief Time from a received ISO 15118-20 DC_ChargeLoopReq (EXI bytes, the D20 lab
 *        capture's, dynamic mode, 50 bytes, payload 0x8004) to the encoded DC_ChargeLoopRes
 *        through the entry point the charger uses (hlc_handle: the -20 backend's grammar
 *        choice, decode + iso20_evse_handle + encode). Prints p50/p99/max of single messages
 *        and the median per message of long runs; asserts nothing about speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_hlc.h"
#include "hlc_iso20.h"

static struct exi_iso20_document s_req, s_res;
static struct exi_iso20_dc_document s_dreq, s_dres;
static struct hlc s_h;
static uint8_t s_in[64], s_out[1024];
/* The D20 charger's SessionID, which the recorded request carries. */
static const uint8_t s_sid[8] = {0xCC, 0xEC, 0x07, 0xA6, 0x44, 0x40, 0xC5, 0x46};

static int fixed_id(void *ctx, uint8_t *bytes, size_t len)
{
    (void)ctx;
    memcpy(bytes, s_sid, len < sizeof s_sid ? len : sizeof s_sid);
    return HAL_OK;
}

static void step(const struct iso20_evse_status *st, bool dc, const char *what)
{
    struct iso20_evse_request out;
    struct iso20_evse_in in = {dc ? NULL : &s_req, dc ? &s_dreq : NULL};
    struct iso20_evse_out res = {&s_res, &s_dres};
    if (iso20_evse_handle(hlc_iso20_machine(&s_h), &in, st, &res, &out, 0) != HAL_OK ||
        !iso20_response_code_positive(out.response_code)) {
        fprintf(stderr, "bench_iso20: preamble refused at %s (%s)\n", what, out.reason);
        exit(1);
    }
}

static void common(void)
{
    memset(&s_req, 0, sizeof s_req);
    memcpy(s_req.SessionSetupReq.Header.SessionID.bytes, s_sid, 8);
    s_req.SessionSetupReq.Header.SessionID.bytesLen = 8;
}

static void dc(void)
{
    memset(&s_dreq, 0, sizeof s_dreq);
    memcpy(s_dreq.DC_CableCheckReq.Header.SessionID.bytes, s_sid, 8);
    s_dreq.DC_CableCheckReq.Header.SessionID.bytesLen = 8;
}

/* The -20 preamble to the charge loop in dynamic mode, on documents (not timed). */
static void to_charge_loop(const struct iso20_evse_status *st)
{
    common();
    s_req.SessionSetupReq_isUsed = true;
    step(st, false, "SessionSetup");
    common();
    s_req.AuthorizationSetupReq_isUsed = true;
    step(st, false, "AuthorizationSetup");
    common();
    s_req.AuthorizationReq_isUsed = true;
    s_req.AuthorizationReq.EIM_AReqAuthorizationMode_isUsed = true;
    step(st, false, "Authorization");
    common();
    s_req.ServiceDiscoveryReq_isUsed = true;
    step(st, false, "ServiceDiscovery");
    common();
    s_req.ServiceDetailReq_isUsed = true;
    s_req.ServiceDetailReq.ServiceID = ISO20_SERVICE_DC;
    step(st, false, "ServiceDetail");
    common();
    s_req.ServiceSelectionReq_isUsed = true;
    s_req.ServiceSelectionReq.SelectedEnergyTransferService.ServiceID = ISO20_SERVICE_DC;
    s_req.ServiceSelectionReq.SelectedEnergyTransferService.ParameterSetID = 1; /* dynamic */
    step(st, false, "ServiceSelection");
    dc();
    s_dreq.DC_ChargeParameterDiscoveryReq_isUsed = true;
    s_dreq.DC_ChargeParameterDiscoveryReq.DC_CPDReqEnergyTransferMode_isUsed = true;
    s_dreq.DC_ChargeParameterDiscoveryReq.DC_CPDReqEnergyTransferMode.EVMaximumVoltage.Value = 400;
    step(st, true, "DC_ChargeParameterDiscovery");
    common();
    s_req.ScheduleExchangeReq_isUsed = true;
    s_req.ScheduleExchangeReq.MaximumSupportingPoints = 1024;
    s_req.ScheduleExchangeReq.Dynamic_SEReqControlMode_isUsed = true;
    step(st, false, "ScheduleExchange");
    dc();
    s_dreq.DC_CableCheckReq_isUsed = true;
    step(st, true, "DC_CableCheck");
    dc();
    s_dreq.DC_PreChargeReq_isUsed = true;
    s_dreq.DC_PreChargeReq.EVTargetVoltage.Value = 345;
    s_dreq.DC_PreChargeReq.EVProcessing = (uint8_t)exi_iso20_processingType_Finished;
    step(st, true, "DC_PreCharge");
    common();
    s_req.PowerDeliveryReq_isUsed = true;
    s_req.PowerDeliveryReq.ChargeProgress = (uint8_t)exi_iso20_chargeProgressType_Start;
    s_req.PowerDeliveryReq.EVPowerProfile_isUsed = true;
    s_req.PowerDeliveryReq.EVPowerProfile.Dynamic_EVPPTControlMode_isUsed = true;
    step(st, false, "PowerDelivery");
}

int main(void)
{
    static const char *hex = "803404667603d3222062a30abdd82c806200518402040b8690202808101404000a02080a010205008002804081402000a000";
    size_t n = bench_hlc_unhex(hex, s_in, sizeof s_in);
    struct hlc_config cfg;
    hlc_default_config(&cfg);
    struct hlc_evse evse;
    bench_hlc_evse(&evse);
    struct iso20_evse_status st;
    hlc_iso20_status(&evse, &st);
    if (hlc_init(&s_h, &cfg, fixed_id, NULL) != HAL_OK || hlc_start(&s_h, &hlc_iso20_ops, 0) != HAL_OK) {
        fprintf(stderr, "bench_iso20: ISO-20 backend did not start\n");
        return 1;
    }
    to_charge_loop(&st);
    hlc_set_payload_type(&s_h, ISO20_PT_DC);
    enum { SINGLE = 100000, RUNS = 11, ITERS = 100000 };
    static double one[SINGLE];
    struct hlc_result res;
    size_t out_len = 0;
    for (int i = 0; i < SINGLE; i++) {
        double t0 = bench_hlc_now_ns();
        int rc = hlc_handle(&s_h, s_in, n, &evse, NULL, NULL, s_out, sizeof s_out, &out_len, &res, (uint32_t)i);
        one[i] = bench_hlc_now_ns() - t0;
        if (rc != HAL_OK || res.error != HLC_ERR_NONE || !res.positive || res.payload_type != ISO20_PT_DC) {
            fprintf(stderr, "bench_iso20: request not answered positively (%s)\n", res.reason);
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
    printf("bench_iso20: DC_ChargeLoopReq (D20, dynamic, %zu bytes) -> DC_ChargeLoopRes (%zu bytes)\n", n, out_len);
    printf("bench_iso20: hlc_handle single messages: p50 %.0f ns, p99 %.0f ns, max %.0f ns (n=%d)\n",
           one[SINGLE / 2], one[SINGLE * 99 / 100], one[SINGLE - 1], SINGLE);
    printf("bench_iso20: hlc_handle %.0f ns/message (median of %d x %d)\n", per[RUNS / 2], RUNS, ITERS);
    printf("bench_iso20: the 250 ms DC_ChargeLoopRes budget is %.0fx the p99\n", 250e6 / one[SINGLE * 99 / 100]);
    return 0;
}
