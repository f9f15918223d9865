/* ISO 15118-2: message kinds, physical values, SessionIDs and ResponseCode names that do
 * not depend on the role (see iso2_common_ev.h). */
#include "iso2/iso2_common_ev.h"

#include <string.h>

enum iso2_ev_msg iso2_ev_request_kind(const struct exi_iso2_document *doc)
{
    if (doc == NULL || !doc->V2G_Message_isUsed) {
        return ISO2_EV_MSG_NONE;
    }
    const struct exi_iso2_BodyType *b = &doc->V2G_Message.Body;
    if (b->SessionSetupReq_isUsed) {
        return ISO2_EV_MSG_SESSION_SETUP;
    }
    if (b->ServiceDiscoveryReq_isUsed) {
        return ISO2_EV_MSG_SERVICE_DISCOVERY;
    }
    if (b->ServiceDetailReq_isUsed) {
        return ISO2_EV_MSG_SERVICE_DETAIL;
    }
    if (b->PaymentServiceSelectionReq_isUsed) {
        return ISO2_EV_MSG_PAYMENT_SELECTION;
    }
    if (b->PaymentDetailsReq_isUsed) {
        return ISO2_EV_MSG_PAYMENT_DETAILS;
    }
    if (b->AuthorizationReq_isUsed) {
        return ISO2_EV_MSG_AUTHORIZATION;
    }
    if (b->ChargeParameterDiscoveryReq_isUsed) {
        return ISO2_EV_MSG_CHARGE_PARAMETER;
    }
    if (b->CableCheckReq_isUsed) {
        return ISO2_EV_MSG_CABLE_CHECK;
    }
    if (b->PreChargeReq_isUsed) {
        return ISO2_EV_MSG_PRECHARGE;
    }
    if (b->PowerDeliveryReq_isUsed) {
        return ISO2_EV_MSG_POWER_DELIVERY;
    }
    if (b->CurrentDemandReq_isUsed) {
        return ISO2_EV_MSG_CURRENT_DEMAND;
    }
    if (b->WeldingDetectionReq_isUsed) {
        return ISO2_EV_MSG_WELDING_DETECTION;
    }
    if (b->SessionStopReq_isUsed) {
        return ISO2_EV_MSG_SESSION_STOP;
    }
    if (b->CertificateInstallationReq_isUsed || b->CertificateUpdateReq_isUsed ||
        b->ChargingStatusReq_isUsed || b->MeteringReceiptReq_isUsed) {
        return ISO2_EV_MSG_OTHER;
    }
    return ISO2_EV_MSG_NONE;
}

enum iso2_ev_msg iso2_ev_response_kind(const struct exi_iso2_document *doc)
{
    if (doc == NULL || !doc->V2G_Message_isUsed) {
        return ISO2_EV_MSG_NONE;
    }
    const struct exi_iso2_BodyType *b = &doc->V2G_Message.Body;
    if (b->SessionSetupRes_isUsed) {
        return ISO2_EV_MSG_SESSION_SETUP;
    }
    if (b->ServiceDiscoveryRes_isUsed) {
        return ISO2_EV_MSG_SERVICE_DISCOVERY;
    }
    if (b->ServiceDetailRes_isUsed) {
        return ISO2_EV_MSG_SERVICE_DETAIL;
    }
    if (b->PaymentServiceSelectionRes_isUsed) {
        return ISO2_EV_MSG_PAYMENT_SELECTION;
    }
    if (b->PaymentDetailsRes_isUsed) {
        return ISO2_EV_MSG_PAYMENT_DETAILS;
    }
    if (b->AuthorizationRes_isUsed) {
        return ISO2_EV_MSG_AUTHORIZATION;
    }
    if (b->ChargeParameterDiscoveryRes_isUsed) {
        return ISO2_EV_MSG_CHARGE_PARAMETER;
    }
    if (b->CableCheckRes_isUsed) {
        return ISO2_EV_MSG_CABLE_CHECK;
    }
    if (b->PreChargeRes_isUsed) {
        return ISO2_EV_MSG_PRECHARGE;
    }
    if (b->PowerDeliveryRes_isUsed) {
        return ISO2_EV_MSG_POWER_DELIVERY;
    }
    if (b->CurrentDemandRes_isUsed) {
        return ISO2_EV_MSG_CURRENT_DEMAND;
    }
    if (b->WeldingDetectionRes_isUsed) {
        return ISO2_EV_MSG_WELDING_DETECTION;
    }
    if (b->SessionStopRes_isUsed) {
        return ISO2_EV_MSG_SESSION_STOP;
    }
    if (b->CertificateInstallationRes_isUsed || b->CertificateUpdateRes_isUsed ||
        b->ChargingStatusRes_isUsed || b->MeteringReceiptRes_isUsed) {
        return ISO2_EV_MSG_OTHER;
    }
    return ISO2_EV_MSG_NONE;
}

const char *iso2_ev_msg_name(enum iso2_ev_msg m)
{
    static const char *const names[ISO2_EV_MSG_COUNT] = {
        "none",           "SessionSetup",     "ServiceDiscovery",        "ServiceDetail",
        "PaymentServiceSelection", "PaymentDetails", "Authorization",    "ChargeParameterDiscovery",
        "CableCheck",     "PreCharge",        "PowerDelivery",           "CurrentDemand",
        "WeldingDetection", "SessionStop",    "other",
    };
    return (unsigned)m < ISO2_EV_MSG_COUNT ? names[m] : "?";
}

uint8_t iso2_ev_response_code(const struct exi_iso2_document *doc)
{
    const struct exi_iso2_BodyType *b = &doc->V2G_Message.Body;
    switch (iso2_ev_response_kind(doc)) {
    case ISO2_EV_MSG_SESSION_SETUP: return b->SessionSetupRes.ResponseCode;
    case ISO2_EV_MSG_SERVICE_DISCOVERY: return b->ServiceDiscoveryRes.ResponseCode;
    case ISO2_EV_MSG_SERVICE_DETAIL: return b->ServiceDetailRes.ResponseCode;
    case ISO2_EV_MSG_PAYMENT_SELECTION: return b->PaymentServiceSelectionRes.ResponseCode;
    case ISO2_EV_MSG_PAYMENT_DETAILS: return b->PaymentDetailsRes.ResponseCode;
    case ISO2_EV_MSG_AUTHORIZATION: return b->AuthorizationRes.ResponseCode;
    case ISO2_EV_MSG_CHARGE_PARAMETER: return b->ChargeParameterDiscoveryRes.ResponseCode;
    case ISO2_EV_MSG_CABLE_CHECK: return b->CableCheckRes.ResponseCode;
    case ISO2_EV_MSG_PRECHARGE: return b->PreChargeRes.ResponseCode;
    case ISO2_EV_MSG_POWER_DELIVERY: return b->PowerDeliveryRes.ResponseCode;
    case ISO2_EV_MSG_CURRENT_DEMAND: return b->CurrentDemandRes.ResponseCode;
    case ISO2_EV_MSG_WELDING_DETECTION: return b->WeldingDetectionRes.ResponseCode;
    case ISO2_EV_MSG_SESSION_STOP: return b->SessionStopRes.ResponseCode;
    default: return 0xFF;
    }
}

bool iso2_ev_response_code_ok(uint8_t code)
{
    return code <= exi_iso2_responseCodeType_OK_CertificateExpiresSoon;
}

const char *iso2_ev_response_code_name(uint8_t code)
{
    static const char *const names[] = {
        "OK", "OK_NewSessionEstablished", "OK_OldSessionJoined", "OK_CertificateExpiresSoon",
        "FAILED", "FAILED_SequenceError", "FAILED_ServiceIDInvalid", "FAILED_UnknownSession",
        "FAILED_ServiceSelectionInvalid", "FAILED_PaymentSelectionInvalid",
        "FAILED_CertificateExpired", "FAILED_SignatureError", "FAILED_NoCertificateAvailable",
        "FAILED_CertChainError", "FAILED_ChallengeInvalid", "FAILED_ContractCanceled",
        "FAILED_WrongChargeParameter", "FAILED_PowerDeliveryNotApplied",
        "FAILED_TariffSelectionInvalid", "FAILED_ChargingProfileInvalid",
        "FAILED_MeteringSignatureNotValid", "FAILED_NoChargeServiceSelected",
        "FAILED_WrongEnergyTransferMode", "FAILED_ContactorError",
        "FAILED_CertificateNotAllowedAtThisEVSE", "FAILED_CertificateRevoked",
    };
    return code < sizeof names / sizeof names[0] ? names[code] : "?";
}

int64_t iso2_ev_pv_milli(const struct exi_iso2_PhysicalValueType *pv)
{
    int64_t v = (int64_t)pv->Value * 1000;
    int m = pv->Multiplier;
    for (; m > 0; m--) {
        v *= 10;
    }
    for (; m < 0; m++) {
        v /= 10;
    }
    return v;
}

int32_t iso2_ev_pv_milli32(const struct exi_iso2_PhysicalValueType *pv)
{
    int64_t v = iso2_ev_pv_milli(pv);
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

void iso2_ev_pv_set(struct exi_iso2_PhysicalValueType *pv, int64_t milli, uint8_t unit)
{
    /* Clamp first so the rounding below cannot overflow for any int64. */
    const int64_t pv_max = 32767000000LL;
    milli = milli > pv_max ? pv_max : milli < -pv_max ? -pv_max : milli;
    int64_t div = 1;
    int8_t mult = -3;
    for (;;) {
        int64_t q = milli >= 0 ? (milli + div / 2) / div : -((-milli + div / 2) / div);
        if ((q <= 32767 && q >= -32767) || mult == 3) {
            q = q > 32767 ? 32767 : q < -32767 ? -32767 : q;
            pv->Multiplier = mult;
            pv->Value = (int16_t)q;
            break;
        }
        div *= 10;
        mult++;
    }
    pv->Unit = unit;
}

bool iso2_ev_session_id_equal(const struct iso2_ev_session_id *a, const struct iso2_ev_session_id *b)
{
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

void iso2_ev_session_id_from_header(struct iso2_ev_session_id *id,
                                    const struct exi_iso2_MessageHeaderType *h)
{
    uint16_t n = h->SessionID.bytesLen <= ISO2_EV_SESSION_ID_MAX ? h->SessionID.bytesLen
                                                                 : (uint16_t)ISO2_EV_SESSION_ID_MAX;
    memcpy(id->bytes, h->SessionID.bytes, n);
    id->len = (uint8_t)n;
}

void iso2_ev_session_id_to_header(struct exi_iso2_MessageHeaderType *h,
                                  const struct iso2_ev_session_id *id)
{
    memcpy(h->SessionID.bytes, id->bytes, id->len);
    h->SessionID.bytesLen = id->len;
    h->Notification_isUsed = false;
    h->Signature_isUsed = false;
}
