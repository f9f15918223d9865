/* din.c - owns what both DIN SPEC 70121 machines share (din.h): message kinds, names and
 * ResponseCodes, SessionIDs, PhysicalValues (the arithmetic itself is v2g_units.c). */
#include "din/din.h"

#include <string.h>

#include "v2g/v2g_units.h"

enum din_msg din_request_kind(const struct exi_din_document *doc)
{
    if (doc == NULL || !doc->V2G_Message_isUsed) {
        return DIN_MSG_NONE;
    }
    const struct exi_din_BodyType *b = &doc->V2G_Message.Body;
    if (b->SessionSetupReq_isUsed) {
        return DIN_MSG_SESSION_SETUP;
    }
    if (b->ServiceDiscoveryReq_isUsed) {
        return DIN_MSG_SERVICE_DISCOVERY;
    }
    if (b->ServicePaymentSelectionReq_isUsed) {
        return DIN_MSG_PAYMENT_SELECTION;
    }
    if (b->ContractAuthenticationReq_isUsed) {
        return DIN_MSG_CONTRACT_AUTH;
    }
    if (b->ChargeParameterDiscoveryReq_isUsed) {
        return DIN_MSG_CHARGE_PARAMETER;
    }
    if (b->CableCheckReq_isUsed) {
        return DIN_MSG_CABLE_CHECK;
    }
    if (b->PreChargeReq_isUsed) {
        return DIN_MSG_PRECHARGE;
    }
    if (b->PowerDeliveryReq_isUsed) {
        return DIN_MSG_POWER_DELIVERY;
    }
    if (b->CurrentDemandReq_isUsed) {
        return DIN_MSG_CURRENT_DEMAND;
    }
    if (b->WeldingDetectionReq_isUsed) {
        return DIN_MSG_WELDING_DETECTION;
    }
    if (b->SessionStopReq_isUsed) {
        return DIN_MSG_SESSION_STOP;
    }
    if (b->ServiceDetailReq_isUsed || b->PaymentDetailsReq_isUsed ||
        b->CertificateInstallationReq_isUsed || b->CertificateUpdateReq_isUsed ||
        b->ChargingStatusReq_isUsed || b->MeteringReceiptReq_isUsed) {
        return DIN_MSG_UNUSED;
    }
    return DIN_MSG_NONE;
}

enum din_msg din_response_kind(const struct exi_din_document *doc)
{
    if (doc == NULL || !doc->V2G_Message_isUsed) {
        return DIN_MSG_NONE;
    }
    const struct exi_din_BodyType *b = &doc->V2G_Message.Body;
    if (b->SessionSetupRes_isUsed) {
        return DIN_MSG_SESSION_SETUP;
    }
    if (b->ServiceDiscoveryRes_isUsed) {
        return DIN_MSG_SERVICE_DISCOVERY;
    }
    if (b->ServicePaymentSelectionRes_isUsed) {
        return DIN_MSG_PAYMENT_SELECTION;
    }
    if (b->ContractAuthenticationRes_isUsed) {
        return DIN_MSG_CONTRACT_AUTH;
    }
    if (b->ChargeParameterDiscoveryRes_isUsed) {
        return DIN_MSG_CHARGE_PARAMETER;
    }
    if (b->CableCheckRes_isUsed) {
        return DIN_MSG_CABLE_CHECK;
    }
    if (b->PreChargeRes_isUsed) {
        return DIN_MSG_PRECHARGE;
    }
    if (b->PowerDeliveryRes_isUsed) {
        return DIN_MSG_POWER_DELIVERY;
    }
    if (b->CurrentDemandRes_isUsed) {
        return DIN_MSG_CURRENT_DEMAND;
    }
    if (b->WeldingDetectionRes_isUsed) {
        return DIN_MSG_WELDING_DETECTION;
    }
    if (b->SessionStopRes_isUsed) {
        return DIN_MSG_SESSION_STOP;
    }
    return DIN_MSG_NONE;
}

const char *din_msg_name(enum din_msg m)
{
    static const char *const names[DIN_MSG_COUNT] = {
        "none",
        "SessionSetup",
        "ServiceDiscovery",
        "ServicePaymentSelection",
        "ContractAuthentication",
        "ChargeParameterDiscovery",
        "CableCheck",
        "PreCharge",
        "PowerDelivery",
        "CurrentDemand",
        "WeldingDetection",
        "SessionStop",
        "unused",
    };
    return (unsigned)m < DIN_MSG_COUNT ? names[m] : "?";
}

int64_t din_pv_milli(const struct exi_din_PhysicalValueType *pv)
{
    return v2g_units_milli(pv->Value, pv->Multiplier);
}

int32_t din_pv_milli32(const struct exi_din_PhysicalValueType *pv)
{
    return v2g_units_sat32(din_pv_milli(pv));
}

void din_pv_set(struct exi_din_PhysicalValueType *pv, int64_t milli, uint8_t unit)
{
    v2g_units_encode(milli, &pv->Value, &pv->Multiplier);
    pv->Unit = unit;
    pv->Unit_isUsed = true;
}

bool din_session_id_is_zero(const struct din_session_id *id)
{
    for (uint8_t i = 0; i < id->len && i < DIN_SESSION_ID_MAX; i++) {
        if (id->bytes[i] != 0) {
            return false;
        }
    }
    return true;
}

bool din_session_id_equal(const struct din_session_id *a, const struct din_session_id *b)
{
    return a->len == b->len && a->len <= DIN_SESSION_ID_MAX &&
           memcmp(a->bytes, b->bytes, a->len) == 0;
}

void din_session_id_from_header(struct din_session_id *id, const struct exi_din_MessageHeaderType *h)
{
    uint16_t n = h->SessionID.bytesLen;
    if (n > DIN_SESSION_ID_MAX) {
        n = DIN_SESSION_ID_MAX;
    }
    memset(id->bytes, 0, sizeof id->bytes);
    memcpy(id->bytes, h->SessionID.bytes, n);
    id->len = (uint8_t)n;
}

void din_session_id_to_header(struct exi_din_MessageHeaderType *h, const struct din_session_id *id)
{
    uint8_t n = id->len <= DIN_SESSION_ID_MAX ? id->len : (uint8_t)DIN_SESSION_ID_MAX;
    memcpy(h->SessionID.bytes, id->bytes, n);
    h->SessionID.bytesLen = n;
}

bool din_response_code_ok(uint8_t code)
{
    return code <= exi_din_responseCodeType_OK_CertificateExpiresSoon;
}

uint8_t din_response_code(const struct exi_din_document *doc)
{
    if (doc == NULL || !doc->V2G_Message_isUsed) {
        return 0xFF;
    }
    const struct exi_din_BodyType *b = &doc->V2G_Message.Body;
    switch (din_response_kind(doc)) {
    case DIN_MSG_SESSION_SETUP: return b->SessionSetupRes.ResponseCode;
    case DIN_MSG_SERVICE_DISCOVERY: return b->ServiceDiscoveryRes.ResponseCode;
    case DIN_MSG_PAYMENT_SELECTION: return b->ServicePaymentSelectionRes.ResponseCode;
    case DIN_MSG_CONTRACT_AUTH: return b->ContractAuthenticationRes.ResponseCode;
    case DIN_MSG_CHARGE_PARAMETER: return b->ChargeParameterDiscoveryRes.ResponseCode;
    case DIN_MSG_CABLE_CHECK: return b->CableCheckRes.ResponseCode;
    case DIN_MSG_PRECHARGE: return b->PreChargeRes.ResponseCode;
    case DIN_MSG_POWER_DELIVERY: return b->PowerDeliveryRes.ResponseCode;
    case DIN_MSG_CURRENT_DEMAND: return b->CurrentDemandRes.ResponseCode;
    case DIN_MSG_WELDING_DETECTION: return b->WeldingDetectionRes.ResponseCode;
    case DIN_MSG_SESSION_STOP: return b->SessionStopRes.ResponseCode;
    default: return 0xFF;
    }
}

const char *din_response_code_name(uint8_t code)
{
    static const char *const names[] = {
        "OK",
        "OK_NewSessionEstablished",
        "OK_OldSessionJoined",
        "OK_CertificateExpiresSoon",
        "FAILED",
        "FAILED_SequenceError",
        "FAILED_ServiceIDInvalid",
        "FAILED_UnknownSession",
        "FAILED_ServiceSelectionInvalid",
        "FAILED_PaymentSelectionInvalid",
        "FAILED_CertificateExpired",
        "FAILED_SignatureError",
        "FAILED_NoCertificateAvailable",
        "FAILED_CertChainError",
        "FAILED_ChallengeInvalid",
        "FAILED_ContractCanceled",
        "FAILED_WrongChargeParameter",
        "FAILED_PowerDeliveryNotApplied",
        "FAILED_TariffSelectionInvalid",
        "FAILED_ChargingProfileInvalid",
        "FAILED_EVSEPresentVoltageToLow",
        "FAILED_MeteringSignatureNotValid",
        "FAILED_WrongEnergyTransferType",
    };
    return code < sizeof names / sizeof names[0] ? names[code] : "?";
}
