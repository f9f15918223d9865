/*
 * iso20_common.c - owns what both -20 roles share (iso20_common.h): which message a
 * decoded document carries in either namespace, the names of messages and ResponseCodes
 * for logs and tools, and the RationalNumber arithmetic in milli-units.
 */
#include "iso20/iso20_common.h"

enum iso20_msg iso20_request_kind(const struct exi_iso20_document *d)
{
    if (d->SessionSetupReq_isUsed) return ISO20_MSG_SESSION_SETUP;
    if (d->AuthorizationSetupReq_isUsed) return ISO20_MSG_AUTH_SETUP;
    if (d->AuthorizationReq_isUsed) return ISO20_MSG_AUTHORIZATION;
    if (d->ServiceDiscoveryReq_isUsed) return ISO20_MSG_SERVICE_DISCOVERY;
    if (d->ServiceDetailReq_isUsed) return ISO20_MSG_SERVICE_DETAIL;
    if (d->ServiceSelectionReq_isUsed) return ISO20_MSG_SERVICE_SELECTION;
    if (d->ScheduleExchangeReq_isUsed) return ISO20_MSG_SCHEDULE_EXCHANGE;
    if (d->PowerDeliveryReq_isUsed) return ISO20_MSG_POWER_DELIVERY;
    if (d->SessionStopReq_isUsed) return ISO20_MSG_SESSION_STOP;
    if (d->CertificateInstallationReq_isUsed) return ISO20_MSG_CERTIFICATE;
    if (d->MeteringConfirmationReq_isUsed) return ISO20_MSG_METERING_CONFIRMATION;
    if (d->VehicleCheckInReq_isUsed || d->VehicleCheckOutReq_isUsed) return ISO20_MSG_VEHICLE_CHECK;
    return ISO20_MSG_NONE;
}

enum iso20_msg iso20_response_kind(const struct exi_iso20_document *d)
{
    if (d->SessionSetupRes_isUsed) return ISO20_MSG_SESSION_SETUP;
    if (d->AuthorizationSetupRes_isUsed) return ISO20_MSG_AUTH_SETUP;
    if (d->AuthorizationRes_isUsed) return ISO20_MSG_AUTHORIZATION;
    if (d->ServiceDiscoveryRes_isUsed) return ISO20_MSG_SERVICE_DISCOVERY;
    if (d->ServiceDetailRes_isUsed) return ISO20_MSG_SERVICE_DETAIL;
    if (d->ServiceSelectionRes_isUsed) return ISO20_MSG_SERVICE_SELECTION;
    if (d->ScheduleExchangeRes_isUsed) return ISO20_MSG_SCHEDULE_EXCHANGE;
    if (d->PowerDeliveryRes_isUsed) return ISO20_MSG_POWER_DELIVERY;
    if (d->SessionStopRes_isUsed) return ISO20_MSG_SESSION_STOP;
    if (d->CertificateInstallationRes_isUsed) return ISO20_MSG_CERTIFICATE;
    if (d->MeteringConfirmationRes_isUsed) return ISO20_MSG_METERING_CONFIRMATION;
    if (d->VehicleCheckInRes_isUsed || d->VehicleCheckOutRes_isUsed) return ISO20_MSG_VEHICLE_CHECK;
    return ISO20_MSG_NONE;
}

enum iso20_msg iso20_dc_request_kind(const struct exi_iso20_dc_document *d)
{
    if (d->DC_ChargeParameterDiscoveryReq_isUsed) return ISO20_MSG_CHARGE_PARAMETER;
    if (d->DC_CableCheckReq_isUsed) return ISO20_MSG_CABLE_CHECK;
    if (d->DC_PreChargeReq_isUsed) return ISO20_MSG_PRECHARGE;
    if (d->DC_ChargeLoopReq_isUsed) return ISO20_MSG_CHARGE_LOOP;
    if (d->DC_WeldingDetectionReq_isUsed) return ISO20_MSG_WELDING_DETECTION;
    return ISO20_MSG_NONE;
}

enum iso20_msg iso20_dc_response_kind(const struct exi_iso20_dc_document *d)
{
    if (d->DC_ChargeParameterDiscoveryRes_isUsed) return ISO20_MSG_CHARGE_PARAMETER;
    if (d->DC_CableCheckRes_isUsed) return ISO20_MSG_CABLE_CHECK;
    if (d->DC_PreChargeRes_isUsed) return ISO20_MSG_PRECHARGE;
    if (d->DC_ChargeLoopRes_isUsed) return ISO20_MSG_CHARGE_LOOP;
    if (d->DC_WeldingDetectionRes_isUsed) return ISO20_MSG_WELDING_DETECTION;
    return ISO20_MSG_NONE;
}

bool iso20_msg_is_dc(enum iso20_msg m)
{
    return m == ISO20_MSG_CHARGE_PARAMETER || m == ISO20_MSG_CABLE_CHECK || m == ISO20_MSG_PRECHARGE ||
           m == ISO20_MSG_CHARGE_LOOP || m == ISO20_MSG_WELDING_DETECTION;
}

const char *iso20_msg_name(enum iso20_msg m)
{
    static const char *const names[ISO20_MSG_COUNT] = {
        [ISO20_MSG_NONE] = "none",
        [ISO20_MSG_SESSION_SETUP] = "SessionSetup",
        [ISO20_MSG_AUTH_SETUP] = "AuthorizationSetup",
        [ISO20_MSG_AUTHORIZATION] = "Authorization",
        [ISO20_MSG_SERVICE_DISCOVERY] = "ServiceDiscovery",
        [ISO20_MSG_SERVICE_DETAIL] = "ServiceDetail",
        [ISO20_MSG_SERVICE_SELECTION] = "ServiceSelection",
        [ISO20_MSG_CHARGE_PARAMETER] = "DC_ChargeParameterDiscovery",
        [ISO20_MSG_SCHEDULE_EXCHANGE] = "ScheduleExchange",
        [ISO20_MSG_CABLE_CHECK] = "DC_CableCheck",
        [ISO20_MSG_PRECHARGE] = "DC_PreCharge",
        [ISO20_MSG_POWER_DELIVERY] = "PowerDelivery",
        [ISO20_MSG_CHARGE_LOOP] = "DC_ChargeLoop",
        [ISO20_MSG_WELDING_DETECTION] = "DC_WeldingDetection",
        [ISO20_MSG_SESSION_STOP] = "SessionStop",
        [ISO20_MSG_CERTIFICATE] = "CertificateInstallation",
        [ISO20_MSG_METERING_CONFIRMATION] = "MeteringConfirmation",
        [ISO20_MSG_VEHICLE_CHECK] = "VehicleCheck",
    };
    return (unsigned)m < ISO20_MSG_COUNT ? names[m] : "?";
}

uint8_t iso20_response_code(const struct exi_iso20_document *d)
{
    switch (iso20_response_kind(d)) {
    case ISO20_MSG_SESSION_SETUP: return d->SessionSetupRes.ResponseCode;
    case ISO20_MSG_AUTH_SETUP: return d->AuthorizationSetupRes.ResponseCode;
    case ISO20_MSG_AUTHORIZATION: return d->AuthorizationRes.ResponseCode;
    case ISO20_MSG_SERVICE_DISCOVERY: return d->ServiceDiscoveryRes.ResponseCode;
    case ISO20_MSG_SERVICE_DETAIL: return d->ServiceDetailRes.ResponseCode;
    case ISO20_MSG_SERVICE_SELECTION: return d->ServiceSelectionRes.ResponseCode;
    case ISO20_MSG_SCHEDULE_EXCHANGE: return d->ScheduleExchangeRes.ResponseCode;
    case ISO20_MSG_POWER_DELIVERY: return d->PowerDeliveryRes.ResponseCode;
    case ISO20_MSG_SESSION_STOP: return d->SessionStopRes.ResponseCode;
    case ISO20_MSG_CERTIFICATE: return d->CertificateInstallationRes.ResponseCode;
    case ISO20_MSG_METERING_CONFIRMATION: return d->MeteringConfirmationRes.ResponseCode;
    case ISO20_MSG_VEHICLE_CHECK:
        return d->VehicleCheckInRes_isUsed ? d->VehicleCheckInRes.ResponseCode : d->VehicleCheckOutRes.ResponseCode;
    default: return 0xFF;
    }
}

uint8_t iso20_dc_response_code(const struct exi_iso20_dc_document *d)
{
    switch (iso20_dc_response_kind(d)) {
    case ISO20_MSG_CHARGE_PARAMETER: return d->DC_ChargeParameterDiscoveryRes.ResponseCode;
    case ISO20_MSG_CABLE_CHECK: return d->DC_CableCheckRes.ResponseCode;
    case ISO20_MSG_PRECHARGE: return d->DC_PreChargeRes.ResponseCode;
    case ISO20_MSG_CHARGE_LOOP: return d->DC_ChargeLoopRes.ResponseCode;
    case ISO20_MSG_WELDING_DETECTION: return d->DC_WeldingDetectionRes.ResponseCode;
    default: return 0xFF;
    }
}

bool iso20_response_code_ok(uint8_t code)
{
    return code < exi_iso20_responseCodeType_FAILED;
}

bool iso20_response_code_positive(uint8_t code)
{
    return code <= exi_iso20_responseCodeType_OK_PowerToleranceConfirmed;
}

const char *iso20_response_code_name(uint8_t code)
{
    static const char *const names[] = {
        "OK", "OK_CertificateExpiresSoon", "OK_NewSessionEstablished", "OK_OldSessionJoined",
        "OK_PowerToleranceConfirmed", "WARNING_AuthorizationSelectionInvalid", "WARNING_CertificateExpired",
        "WARNING_CertificateNotYetValid", "WARNING_CertificateRevoked", "WARNING_CertificateValidationError",
        "WARNING_ChallengeInvalid", "WARNING_EIMAuthorizationFailure", "WARNING_eMSPUnknown",
        "WARNING_EVPowerProfileViolation", "WARNING_GeneralPnCAuthorizationError", "WARNING_NoCertificateAvailable",
        "WARNING_NoContractMatchingPCIDFound", "WARNING_PowerToleranceNotConfirmed",
        "WARNING_ScheduleRenegotiationFailed", "WARNING_StandbyNotAllowed", "WARNING_WPT", "FAILED",
        "FAILED_AssociationError", "FAILED_ContactorError", "FAILED_EVPowerProfileInvalid",
        "FAILED_EVPowerProfileViolation", "FAILED_MeteringSignatureNotValid", "FAILED_NoEnergyTransferServiceSelected",
        "FAILED_NoServiceRenegotiationSupported", "FAILED_PauseNotAllowed", "FAILED_PowerDeliveryNotApplied",
        "FAILED_PowerToleranceNotConfirmed", "FAILED_ScheduleRenegotiation", "FAILED_ScheduleSelectionInvalid",
        "FAILED_SequenceError", "FAILED_ServiceIDInvalid", "FAILED_ServiceSelectionInvalid", "FAILED_SignatureError",
        "FAILED_UnknownSession", "FAILED_WrongChargeParameter",
    };
    return code < sizeof names / sizeof names[0] ? names[code] : "?";
}

int64_t iso20_rn_milli(int8_t exponent, int16_t value)
{
    int64_t v = value;
    int e = exponent + 3;
    /* |value| < 2^15: 10^14 more still fits int64; beyond that saturate. */
    if (e > 14) {
        return v == 0 ? 0 : v > 0 ? INT64_MAX : INT64_MIN;
    }
    for (; e > 0; e--) {
        v *= 10;
    }
    for (; e < 0 && v != 0; e++) {
        v /= 10;
    }
    return v;
}

int32_t iso20_rn_milli32(int8_t exponent, int16_t value)
{
    int64_t v = iso20_rn_milli(exponent, value);
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

void iso20_rn_set(int8_t *exponent, int16_t *value, int64_t milli)
{
    int8_t e = -3;
    int64_t v = milli;
    while ((v > 32767 || v < -32767) && e < 127) {
        /* round half away from zero while dropping a digit */
        v = v >= 0 ? (v + 5) / 10 : (v - 5) / 10;
        e++;
    }
    /* Trailing zeros make smaller exponents readable for people (300 kW = 3 x 10^5, not 300000 x 10^-3). */
    while (v != 0 && v % 10 == 0 && e < 127) {
        v /= 10;
        e++;
    }
    if (v == 0) {
        e = 0;
    }
    *exponent = e;
    *value = (int16_t)v;
}
