/* iso2.c - owns what both ISO 15118-2 machines (iso2_evse.c, iso2_ev.c) and the tools share:
 * which message a document carries, names and ResponseCodes, PhysicalValues (the arithmetic
 * itself is v2g_units.c), SessionIDs (iso2.h). */
#include "iso2/iso2.h"

#include <string.h>

#include "v2g/v2g_units.h"

int64_t iso2_pv_milli(const struct exi_iso2_PhysicalValueType *pv)
{
    return v2g_units_milli(pv->Value, pv->Multiplier);
}

int32_t iso2_pv_milli32(const struct exi_iso2_PhysicalValueType *pv)
{
    return v2g_units_sat32(iso2_pv_milli(pv));
}

void iso2_pv_set(struct exi_iso2_PhysicalValueType *pv, int64_t milli, uint8_t unit)
{
    /* The Unit is mandatory in ISO-2: no _isUsed flag to set. */
    v2g_units_encode(milli, &pv->Value, &pv->Multiplier);
    pv->Unit = unit;
}

enum iso2_msg iso2_request_kind(const struct exi_iso2_document *doc)
{
    if (doc == NULL || !doc->V2G_Message_isUsed) {
        return ISO2_MSG_NONE;
    }
    const struct exi_iso2_BodyType *b = &doc->V2G_Message.Body;
    if (b->SessionSetupReq_isUsed) return ISO2_MSG_SESSION_SETUP;
    if (b->ServiceDiscoveryReq_isUsed) return ISO2_MSG_SERVICE_DISCOVERY;
    if (b->ServiceDetailReq_isUsed) return ISO2_MSG_SERVICE_DETAIL;
    if (b->PaymentServiceSelectionReq_isUsed) return ISO2_MSG_PAYMENT_SELECTION;
    if (b->PaymentDetailsReq_isUsed) return ISO2_MSG_PAYMENT_DETAILS;
    if (b->AuthorizationReq_isUsed) return ISO2_MSG_AUTHORIZATION;
    if (b->ChargeParameterDiscoveryReq_isUsed) return ISO2_MSG_CHARGE_PARAMETER;
    if (b->CableCheckReq_isUsed) return ISO2_MSG_CABLE_CHECK;
    if (b->PreChargeReq_isUsed) return ISO2_MSG_PRECHARGE;
    if (b->PowerDeliveryReq_isUsed) return ISO2_MSG_POWER_DELIVERY;
    if (b->CurrentDemandReq_isUsed) return ISO2_MSG_CURRENT_DEMAND;
    if (b->ChargingStatusReq_isUsed) return ISO2_MSG_CHARGING_STATUS;
    if (b->MeteringReceiptReq_isUsed) return ISO2_MSG_METERING_RECEIPT;
    if (b->WeldingDetectionReq_isUsed) return ISO2_MSG_WELDING_DETECTION;
    if (b->SessionStopReq_isUsed) return ISO2_MSG_SESSION_STOP;
    if (b->CertificateInstallationReq_isUsed || b->CertificateUpdateReq_isUsed) return ISO2_MSG_CERTIFICATE;
    return ISO2_MSG_NONE;
}

enum iso2_msg iso2_response_kind(const struct exi_iso2_document *doc)
{
    if (doc == NULL || !doc->V2G_Message_isUsed) {
        return ISO2_MSG_NONE;
    }
    const struct exi_iso2_BodyType *b = &doc->V2G_Message.Body;
    if (b->SessionSetupRes_isUsed) return ISO2_MSG_SESSION_SETUP;
    if (b->ServiceDiscoveryRes_isUsed) return ISO2_MSG_SERVICE_DISCOVERY;
    if (b->ServiceDetailRes_isUsed) return ISO2_MSG_SERVICE_DETAIL;
    if (b->PaymentServiceSelectionRes_isUsed) return ISO2_MSG_PAYMENT_SELECTION;
    if (b->PaymentDetailsRes_isUsed) return ISO2_MSG_PAYMENT_DETAILS;
    if (b->AuthorizationRes_isUsed) return ISO2_MSG_AUTHORIZATION;
    if (b->ChargeParameterDiscoveryRes_isUsed) return ISO2_MSG_CHARGE_PARAMETER;
    if (b->CableCheckRes_isUsed) return ISO2_MSG_CABLE_CHECK;
    if (b->PreChargeRes_isUsed) return ISO2_MSG_PRECHARGE;
    if (b->PowerDeliveryRes_isUsed) return ISO2_MSG_POWER_DELIVERY;
    if (b->CurrentDemandRes_isUsed) return ISO2_MSG_CURRENT_DEMAND;
    if (b->ChargingStatusRes_isUsed) return ISO2_MSG_CHARGING_STATUS;
    if (b->MeteringReceiptRes_isUsed) return ISO2_MSG_METERING_RECEIPT;
    if (b->WeldingDetectionRes_isUsed) return ISO2_MSG_WELDING_DETECTION;
    if (b->SessionStopRes_isUsed) return ISO2_MSG_SESSION_STOP;
    if (b->CertificateInstallationRes_isUsed || b->CertificateUpdateRes_isUsed) return ISO2_MSG_CERTIFICATE;
    return ISO2_MSG_NONE;
}

uint8_t iso2_response_code(const struct exi_iso2_document *doc)
{
    const struct exi_iso2_BodyType *b = &doc->V2G_Message.Body;
    switch (iso2_response_kind(doc)) {
    case ISO2_MSG_SESSION_SETUP: return b->SessionSetupRes.ResponseCode;
    case ISO2_MSG_SERVICE_DISCOVERY: return b->ServiceDiscoveryRes.ResponseCode;
    case ISO2_MSG_SERVICE_DETAIL: return b->ServiceDetailRes.ResponseCode;
    case ISO2_MSG_PAYMENT_SELECTION: return b->PaymentServiceSelectionRes.ResponseCode;
    case ISO2_MSG_PAYMENT_DETAILS: return b->PaymentDetailsRes.ResponseCode;
    case ISO2_MSG_AUTHORIZATION: return b->AuthorizationRes.ResponseCode;
    case ISO2_MSG_CHARGE_PARAMETER: return b->ChargeParameterDiscoveryRes.ResponseCode;
    case ISO2_MSG_CABLE_CHECK: return b->CableCheckRes.ResponseCode;
    case ISO2_MSG_PRECHARGE: return b->PreChargeRes.ResponseCode;
    case ISO2_MSG_POWER_DELIVERY: return b->PowerDeliveryRes.ResponseCode;
    case ISO2_MSG_CURRENT_DEMAND: return b->CurrentDemandRes.ResponseCode;
    case ISO2_MSG_CHARGING_STATUS: return b->ChargingStatusRes.ResponseCode;
    case ISO2_MSG_METERING_RECEIPT: return b->MeteringReceiptRes.ResponseCode;
    case ISO2_MSG_WELDING_DETECTION: return b->WeldingDetectionRes.ResponseCode;
    case ISO2_MSG_SESSION_STOP: return b->SessionStopRes.ResponseCode;
    case ISO2_MSG_CERTIFICATE:
        return b->CertificateInstallationRes_isUsed ? b->CertificateInstallationRes.ResponseCode
                                                    : b->CertificateUpdateRes.ResponseCode;
    default: return 0xFF;
    }
}

bool iso2_response_code_ok(uint8_t code)
{
    return code <= exi_iso2_responseCodeType_OK_CertificateExpiresSoon;
}

const char *iso2_response_code_name(uint8_t code)
{
    static const char *const names[] = {
        "OK", "OK_NewSessionEstablished", "OK_OldSessionJoined", "OK_CertificateExpiresSoon",
        "FAILED", "FAILED_SequenceError", "FAILED_ServiceIDInvalid", "FAILED_UnknownSession",
        "FAILED_ServiceSelectionInvalid", "FAILED_PaymentSelectionInvalid", "FAILED_CertificateExpired",
        "FAILED_SignatureError", "FAILED_NoCertificateAvailable", "FAILED_CertChainError",
        "FAILED_ChallengeInvalid", "FAILED_ContractCanceled", "FAILED_WrongChargeParameter",
        "FAILED_PowerDeliveryNotApplied", "FAILED_TariffSelectionInvalid", "FAILED_ChargingProfileInvalid",
        "FAILED_MeteringSignatureNotValid", "FAILED_NoChargeServiceSelected", "FAILED_WrongEnergyTransferMode",
        "FAILED_ContactorError", "FAILED_CertificateNotAllowedAtThisEVSE", "FAILED_CertificateRevoked",
    };
    return code < sizeof names / sizeof names[0] ? names[code] : "?";
}

const char *iso2_msg_name(enum iso2_msg m)
{
    static const char *const names[ISO2_MSG_COUNT] = {
        "none", "SessionSetup", "ServiceDiscovery", "ServiceDetail", "PaymentServiceSelection",
        "PaymentDetails", "Authorization", "ChargeParameterDiscovery", "CableCheck", "PreCharge",
        "PowerDelivery", "CurrentDemand", "ChargingStatus", "MeteringReceipt", "WeldingDetection",
        "SessionStop", "Certificate",
    };
    return (unsigned)m < ISO2_MSG_COUNT ? names[m] : "?";
}

bool iso2_session_id_equal(const struct iso2_session_id *a, const struct iso2_session_id *b)
{
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

void iso2_session_id_from_header(struct iso2_session_id *id,
                                    const struct exi_iso2_MessageHeaderType *h)
{
    uint16_t n = h->SessionID.bytesLen <= ISO2_SESSION_ID_MAX ? h->SessionID.bytesLen
                                                                 : (uint16_t)ISO2_SESSION_ID_MAX;
    memcpy(id->bytes, h->SessionID.bytes, n);
    id->len = (uint8_t)n;
}

void iso2_session_id_to_header(struct exi_iso2_MessageHeaderType *h,
                                  const struct iso2_session_id *id)
{
    memcpy(h->SessionID.bytes, id->bytes, id->len);
    h->SessionID.bytesLen = id->len;
    h->Notification_isUsed = false;
    h->Signature_isUsed = false;
}
