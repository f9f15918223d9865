/*
 * iso2_evse_receipt.c - owns the signed metering receipts of an ISO-2 Contract session,
 * charger side: when a CurrentDemandRes asks for one (ReceiptRequired with the MeterInfo
 * of the charger's meter), what is taken next (only the MeteringReceiptReq, [V2G2-691] as
 * EvseV2G reads it), and its check: the car's signature with the contract leaf's key kept
 * from PaymentDetails, the body's SessionID, and the MeterInfo equal to the one sent
 * (docs/pnc.md "Metering receipts"). The signature check is reached only through the hook
 * iso2_evse_pnc_init() sets, so a board that lends no Plug & Charge context does not link
 * the signature code. No I/O, no clock, no heap.
 */
#include "iso2/iso2_evse_priv.h"

#include <stdio.h>
#include <string.h>

#include "hal_clock.h"
#include "iso2/iso2_sig.h"

void iso2_evse_receipt_ask(struct iso2_evse *m, const struct iso2_evse_status *st,
                           struct exi_iso2_CurrentDemandResType *r, uint32_t now_ms)
{
    /* Only a session that proved its contract can sign, and only a real meter reading is
     * worth a signature. A response that already asks the car to renegotiate or to stop
     * asks nothing else: the car's next request must be PowerDelivery. */
    if (!m->contract_ok || !st->meter_valid || m->pnc == NULL || m->pnc->metering_receipt == NULL ||
        r->DC_EVSEStatus.EVSENotification != exi_iso2_EVSENotificationType_None) {
        return;
    }
    if (m->receipt_asked) {
        int32_t since = hal_time_diff(now_ms, m->receipt_ms);
        if (m->cfg.receipt_interval_ms == 0 || since < 0 || (uint32_t)since < m->cfg.receipt_interval_ms) {
            return;
        }
    }
    struct exi_iso2_MeterInfoType *mi = &m->receipt_info;
    memset(mi, 0, sizeof *mi);
    /* MeterID: the EVSEID (the machine is not told the meter's serial); cut to the schema's 32. */
    size_t n = iso2_evse_len(m->cfg.evse_id, sizeof m->cfg.evse_id);
    n = n < sizeof mi->MeterID.characters ? n : sizeof mi->MeterID.characters;
    memcpy(mi->MeterID.characters, m->cfg.evse_id, n);
    mi->MeterID.charactersLen = (uint16_t)n;
    mi->MeterReading = st->meter_wh;
    mi->MeterReading_isUsed = true;
    if (m->pnc->now_s > 0) {
        mi->TMeter = m->pnc->now_s;
        mi->TMeter_isUsed = true;
    }
    r->MeterInfo = *mi;
    r->MeterInfo_isUsed = true;
    r->ReceiptRequired = true;
    r->ReceiptRequired_isUsed = true;
    m->receipt_pending = true;
    m->receipt_asked = true;
    m->receipt_ms = now_ms;
}

static bool s_same_info(const struct exi_iso2_MeterInfoType *a, const struct exi_iso2_MeterInfoType *b)
{
    return a->MeterID.charactersLen == b->MeterID.charactersLen &&
           a->MeterID.charactersLen <= sizeof a->MeterID.characters &&
           memcmp(a->MeterID.characters, b->MeterID.characters, a->MeterID.charactersLen) == 0 &&
           a->MeterReading_isUsed == b->MeterReading_isUsed &&
           (!a->MeterReading_isUsed || a->MeterReading == b->MeterReading) &&
           a->SigMeterReading_isUsed == b->SigMeterReading_isUsed &&
           (!a->SigMeterReading_isUsed ||
            (a->SigMeterReading.bytesLen == b->SigMeterReading.bytesLen &&
             a->SigMeterReading.bytesLen <= sizeof a->SigMeterReading.bytes &&
             memcmp(a->SigMeterReading.bytes, b->SigMeterReading.bytes, a->SigMeterReading.bytesLen) == 0)) &&
           a->MeterStatus_isUsed == b->MeterStatus_isUsed && (!a->MeterStatus_isUsed || a->MeterStatus == b->MeterStatus) &&
           a->TMeter_isUsed == b->TMeter_isUsed && (!a->TMeter_isUsed || a->TMeter == b->TMeter);
}

/* A refusal with its log line: FAILED_MeteringSignatureNotValid, for a bad signature and
 * for a MeterInfo that is not the copy sent alike (spec sheet 1.10, Josev). */
static uint8_t s_refuse(struct iso2_evse *m, struct iso2_evse_request *out, const char *why)
{
    (void)snprintf(m->note, sizeof m->note, "pnc: MeteringReceiptReq of %s refused: %s", m->emaid, why);
    out->note = m->note;
    return iso2_evse_refuse(m, CODE(FAILED_MeteringSignatureNotValid), why);
}

/* Decimal of a uint64 without %llu/PRIu64 (newlib-nano on the Cortex-M has neither). */
static void s_u64(char out[21], uint64_t v)
{
    char t[21];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u && n < sizeof t);
    for (size_t i = 0; i < n; i++) {
        out[i] = t[n - 1u - i];
    }
    out[n] = '\0';
}

/* The check of an asked-for MeteringReceiptReq (reached through the context's hook). */
static uint8_t s_verify(struct iso2_evse *m, const struct exi_iso2_document *req, struct iso2_evse_request *out,
                        uint8_t code)
{
    const struct exi_iso2_MeteringReceiptReqType *q = &req->V2G_Message.Body.MeteringReceiptReq;
    const char *bad_sig = iso2_evse_contract_sig_check(m, req);
    if (bad_sig != NULL) {
        return s_refuse(m, out, bad_sig);
    }
    if (q->SessionID.bytesLen != m->id_len || memcmp(q->SessionID.bytes, m->id, m->id_len) != 0) {
        return s_refuse(m, out, "its SessionID is not this session's");
    }
    /* Signed by the contract and for this session: the car must sign what we sent. An
     * earlier receipt replayed signs an earlier reading (or TMeter) and fails here. */
    if (!s_same_info(&q->MeterInfo, &m->receipt_info)) {
        return s_refuse(m, out, "MeterInfo is not the one sent");
    }
    m->receipt_pending = false;
    m->receipts++;
    char wh[21];
    s_u64(wh, m->receipt_info.MeterReading);
    (void)snprintf(m->note, sizeof m->note, "pnc: MeteringReceiptReq signature of %s valid, MeterInfo as sent (%s Wh), receipt %lu",
                   m->emaid, wh, (unsigned long)m->receipts);
    out->note = m->note;
    return code;
}

void iso2_evse_receipt_init(struct iso2_evse_pnc *pnc)
{
    if (pnc != NULL) {
        pnc->metering_receipt = s_verify;
    }
}

uint8_t iso2_evse_receipt_check(struct iso2_evse *m, const struct exi_iso2_document *req,
                                struct iso2_evse_request *out, uint8_t code)
{
    if (!m->receipt_pending) {
        /* None asked (or the one asked was verified already: a replay). */
        (void)snprintf(m->note, sizeof m->note, "pnc: MeteringReceiptReq of %s refused: none was asked for",
                       m->emaid);
        out->note = m->note;
        return iso2_evse_refuse(m, CODE(FAILED_SequenceError), "MeteringReceiptReq without ReceiptRequired");
    }
    if (m->pnc == NULL || m->pnc->metering_receipt == NULL) {
        return iso2_evse_refuse(m, CODE(FAILED), "MeteringReceipt but no signature check lent");
    }
    return m->pnc->metering_receipt(m, req, out, code);
}
