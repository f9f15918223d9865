/**
 * @file iso2_evse.h
 * @brief ISO 15118-2 DC session with external payment (EIM), EVSE (SECC) side.
 *
 * Pure logic like the DIN machine (din/din_evse.h): no clock (now_ms is passed in), no
 * I/O, no allocation. The caller decodes each V2GTP payload after supportedAppProtocol
 * into an ISO-2 document, calls iso2_evse_handle() with what the charger knows (struct
 * iso2_evse_status), encodes the response the machine filled and acts on the events.
 * What ISO-2 adds over DIN: ServiceDetail and value-added services, an SAScheduleList
 * sized to the EV's departure time with an optional SalesTariff, PowerDelivery checked
 * against the offered tuple and PMax profile, Renegotiate, SessionStop(Pause) and the
 * resumption of a paused session (OK_OldSessionJoined), MeteringReceipt (unsigned in EIM;
 * asked and verified signed in Contract sessions, iso2_evse_receipt.c).
 * Plug & Charge (Contract payment): with a struct iso2_evse_pnc lent through
 * iso2_evse_set_pnc(), PaymentDetails validates the contract chain against the
 * mobility-operator roots and answers a fresh GenChallenge, Authorization verifies the car's
 * signature and the challenge (iso2_evse_pnc.c, docs/pnc.md "Sessions"), MeteringReceiptReq
 * its signature and MeterInfo (iso2_evse_receipt.c, docs/pnc.md "Metering receipts"). Certificate
 * installation and update go to a provider hook (iso2_evse_cert.c). See docs/iso15118-2.md for the
 * sequence and codes.
 */
#ifndef ISO2_EVSE_H
#define ISO2_EVSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exi/exi_iso2.h"
#include "hal_crypto.h"
#include "hal_err.h"
#include "hal_rng.h"
#include "iso2/iso2.h"
#include "x509/x509.h"
#include "v2g/v2g_dc.h"

/** Value-added services the charger can offer (ServiceList holds 8). */
#define ISO2_EVSE_VAS_MAX 4u
/** PMax entries of the one SAScheduleTuple we offer. */
#define ISO2_EVSE_PMAX_MAX 4u
/** SalesTariff entries we can offer. */
#define ISO2_EVSE_TARIFF_MAX 6u
/** EVSEID "DE*ABC*E123456": 7..37 characters. */
#define ISO2_EVSE_ID_LEN 37u

/** Timers (ms): the ISO-2 values of the spec sheet (docs/iso15118-2.md). */
#define ISO2_SEQUENCE_TIMEOUT_MS 60000u    /**< V2G_SECC_Sequence_Timeout */
#define ISO2_ONGOING_TIMEOUT_MS 60000u     /**< V2G_EVCC_Ongoing_Timeout: Authorization, CPD loops */
#define ISO2_CABLE_CHECK_TIMEOUT_MS 40000u /**< V2G_EVCC_CableCheck_Timeout */
#define ISO2_PRECHARGE_TIMEOUT_MS 7000u    /**< V2G_EVCC_PreCharge_Timeout */
#define ISO2_PERF_TIME_MS 1500u            /**< V2G_SECC_Msg_Performance_Time (reported) */
#define ISO2_PERF_TIME_CD_MS 25u           /**< ... CurrentDemand */
/** A Contract session asks a signed MeteringReceipt at its first CurrentDemandRes with a
 *  meter reading, then again this long after the last one (docs/pnc.md "Metering receipts"). */
#define ISO2_RECEIPT_INTERVAL_MS 60000u
#define ISO2_SCHEDULE_DEFAULT_S 86400u     /**< [V2G2-304]: >= 24 h without DepartureTime */

/** Phase: which requests the machine accepts next (docs/iso15118-2.md has the table). */
enum iso2_evse_phase {
    ISO2_EVSE_IDLE = 0,
    ISO2_EVSE_SESSION_SETUP,      /**< SessionSetupReq */
    ISO2_EVSE_SERVICE_DISCOVERY,  /**< ServiceDiscoveryReq */
    ISO2_EVSE_SERVICE_SELECTION,  /**< ServiceDetailReq, PaymentServiceSelectionReq */
    ISO2_EVSE_AUTHORIZATION,      /**< AuthorizationReq (loop) */
    ISO2_EVSE_CHARGE_PARAMETER,   /**< ChargeParameterDiscoveryReq (loop) */
    ISO2_EVSE_CABLE_CHECK,        /**< CableCheckReq (loop) */
    ISO2_EVSE_PRECHARGE,          /**< PreChargeReq (loop), PowerDeliveryReq after the first */
    ISO2_EVSE_POWER_DELIVERY,     /**< after PowerDelivery(Start): CurrentDemandReq */
    ISO2_EVSE_CURRENT_DEMAND,     /**< CurrentDemandReq (loop), PowerDeliveryReq, MeteringReceiptReq */
    ISO2_EVSE_WELDING,            /**< after PowerDelivery(Stop): WeldingDetectionReq, SessionStopReq */
    ISO2_EVSE_STOPPED,            /**< SessionStop(Terminate) answered */
    ISO2_EVSE_PAUSED,             /**< SessionStop(Pause) answered: the ID may come back */
    ISO2_EVSE_FAILED,             /**< a FAILED_* answer was sent (or the request was garbage) */
    ISO2_EVSE_TIMED_OUT,          /**< sequence or loop timeout */
    ISO2_EVSE_PHASE_COUNT
};

/** Events: bit for bit the DIN machine's (hlc.h relies on it), plus pause and renegotiation. */
enum iso2_evse_event {
    ISO2_EVSE_EV_SESSION = 1u << 0,
    ISO2_EVSE_EV_AUTHORIZE = 1u << 1,
    ISO2_EVSE_EV_CHARGE_PARAMS = 1u << 2,
    ISO2_EVSE_EV_CABLE_CHECK = 1u << 3,
    ISO2_EVSE_EV_PRECHARGE = 1u << 4,
    ISO2_EVSE_EV_POWER_ON = 1u << 5,
    ISO2_EVSE_EV_CURRENT_DEMAND = 1u << 6,
    ISO2_EVSE_EV_POWER_OFF = 1u << 7,
    ISO2_EVSE_EV_WELDING = 1u << 8,
    ISO2_EVSE_EV_SESSION_STOP = 1u << 9,
    ISO2_EVSE_EV_EV_ERROR = 1u << 10,
    ISO2_EVSE_EV_CHARGING_COMPLETE = 1u << 11,
    ISO2_EVSE_EV_CLOSE = 1u << 12,
    ISO2_EVSE_EV_TIMEOUT = 1u << 13,
    ISO2_EVSE_EV_PRECHARGE_LONG = 1u << 14,
    ISO2_EVSE_EV_PAUSE = 1u << 15,        /**< SessionStop(Pause): PWM off, keep the ID */
    ISO2_EVSE_EV_RENEGOTIATE = 1u << 16,  /**< PowerDelivery(Renegotiate): power off, CPD again */
    ISO2_EVSE_EV_RESUMED = 1u << 17,      /**< SessionSetup joined a paused session */
    ISO2_EVSE_EV_CONTRACT = 1u << 18,     /**< the car proved its contract: iso2_evse_emaid() is the token */
};

/** Bytes of the GenChallenge of PaymentDetailsRes ([V2G2-825]: 16). */
#define ISO2_EVSE_CHALLENGE_LEN 16u
/** Certificates of a contract chain the SECC parses: the leaf and the decoder's Sub-CAs. */
#define ISO2_EVSE_CHAIN_MAX (1u + CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX)

/**
 * What Plug & Charge needs, lent by the caller (iso2_evse_set_pnc()) and kept by it for the
 * session: the machine stays without I/O and without a clock of its own. The parsed chain
 * and the header copy live here, not on the stack (a few kB; the Cortex-M build does not
 * offer Contract and need not have one).
 */
struct iso2_evse;
struct iso2_evse_request;

/** ServiceID of the certificate service (ServiceCategory ContractCertificate, as the captures list it: "Certificate"). */
#define ISO2_EVSE_CERT_SERVICE_ID 2u

/**
 * What the SECC hands its certificate provider once a CertificateInstallationReq or
 * CertificateUpdateReq passed its checks (iso2_evse_cert.c): the received message (a
 * provider that forwards to a backend sends it whole, docs/pnc.md), the car's key that the
 * new contract key is to be encrypted for, and for an update the eMAID of the old contract.
 */
struct iso2_evse_cert_req {
    bool update;                           /**< CertificateUpdateReq (else Installation) */
    const struct exi_iso2_document *req;   /**< the received message, signature verified */
    const char *emaid;                     /**< update: the current contract's eMAID; "" otherwise */
    const uint8_t *car_pub;                /**< 65 bytes 04||X||Y: OEM provisioning key / current contract key */
    const uint8_t *car_cert;               /**< DER of that leaf */
    size_t car_cert_len;
};

/**
 * The certificate provider hook. HAL_OK: it filled @p res's CertificateInstallationRes or
 * CertificateUpdateRes (SAProvisioningCertificateChain, ContractSignatureCertChain,
 * ContractSignatureEncryptedPrivateKey, DHpublickey, eMAID; not ResponseCode) and the header
 * Signature over the four signed parts; the machine then checks that signature with the
 * leaf of SAProvisioningCertificateChain before it answers OK. HAL_ENOENT: no certificate
 * for this car (FAILED_NoCertificateAvailable). Anything else, and HAL_EAGAIN (this
 * machine answers within the one request, docs/pnc.md): FAILED. @p why names the reason.
 */
typedef int (*iso2_evse_cert_provider_fn)(void *ctx, const struct iso2_evse_cert_req *q,
                                          struct exi_iso2_document *res, char *why, size_t why_cap);

struct iso2_evse_pnc {
    struct hal_crypto *crypto;        /**< ECDSA verify: certificate chain and car signature */
    struct hal_rng *rng;              /**< the GenChallenge */
    const struct x509_cert *roots;    /**< mobility-operator trust anchors (parsed by the caller) */
    size_t nroots;
    int64_t now_s;                    /**< the charger's clock (s since 1970 UTC); the caller keeps it current */
    bool secure;                      /**< the link is TLS (or the documented lab switch says to treat it so) */
    uint8_t *buf;                     /**< scratch for the EXI fragments of a signature check */
    size_t cap;                       /**< >= 256 */
    /* working storage of the machine */
    struct x509_cert chain[ISO2_EVSE_CHAIN_MAX];
    struct exi_iso2_MessageHeaderType hdr; /**< copy of the received header: iso2_sig_verify() edits it */
    /* set by iso2_evse_set_pnc(): the checks are reached only through here, so a board
     * that lends no context does not link them */
    uint8_t (*payment_details)(struct iso2_evse *m, const struct exi_iso2_document *req,
                               struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code);
    uint8_t (*contract_auth)(struct iso2_evse *m, const struct exi_iso2_document *req,
                             struct iso2_evse_request *out, uint8_t code);
    uint8_t (*metering_receipt)(struct iso2_evse *m, const struct exi_iso2_document *req,
                                struct iso2_evse_request *out, uint8_t code); /**< iso2_evse_receipt.c */
    /* Certificate installation and update (iso2_evse_cert.c): offered only with a
     * provider and with Contract offered. The car sends its OEM provisioning leaf alone, so
     * the OEM Sub-CAs above it come from the configuration (the leaf's issuer first);
     * without OEM roots the leaf's profile and signature are checked and the chain is left
     * to the provider (logged). */
    const struct x509_cert *oem_roots;
    size_t n_oem_roots;
    const struct x509_cert *oem_subs;
    size_t n_oem_subs;
    iso2_evse_cert_provider_fn cert_provider;
    void *cert_ctx;
    /* set by iso2_evse_cert_init(): the only reference to the certificate checks */
    uint8_t (*cert)(struct iso2_evse *m, const struct exi_iso2_document *req, struct exi_iso2_document *res,
                    struct iso2_evse_request *out, uint8_t code);
};

/** One value-added service (ServiceList entry). */
struct iso2_evse_vas {
    uint16_t id;                      /**< ServiceID, not 1 (the charge service) */
    uint8_t category;                 /**< exi_iso2_serviceCategoryType_* */
    bool free;
    char name[24];                    /**< ServiceName, "" = not sent */
};

/** One SalesTariff entry. */
struct iso2_evse_tariff_entry {
    uint32_t start_s;
    uint8_t price_level;              /**< EPriceLevel */
};

/** Configuration (iso2_evse_default_config() gives the standard's values). */
struct iso2_evse_config {
    char evse_id[ISO2_EVSE_ID_LEN + 1]; /**< "DE*ABC*E123456" (7..37 characters) */
    uint8_t energy_mode;              /**< exi_iso2_EnergyTransferModeType_DC_extended */
    bool offer_contract;              /**< list Contract (PnC is not implemented: FAILED later) */
    uint8_t vas_count;
    struct iso2_evse_vas vas[ISO2_EVSE_VAS_MAX];
    uint8_t tariff_count;             /**< 0: no SalesTariff */
    uint8_t tariff_id;                /**< SalesTariffID 1..255 */
    uint8_t tariff_levels;            /**< NumEPriceLevels, 0 = not sent */
    struct iso2_evse_tariff_entry tariff[ISO2_EVSE_TARIFF_MAX];
    uint32_t sequence_timeout_ms, ongoing_timeout_ms, cable_check_timeout_ms;
    uint32_t precharge_timeout_ms, perf_time_ms, perf_time_cd_ms;
    int32_t precharge_current_max_ma; /**< 2 000: pre-charge current target clamp */
    uint32_t receipt_interval_ms;     /**< Contract: a signed receipt again after this long (60 000) */
};

/** One PMax entry the charger gives (start from the schedule's start, W). */
struct iso2_evse_pmax {
    uint32_t start_s;
    uint32_t pmax_w;
};

/** What the charger knows, passed with every request (mV, mA, W, Wh). */
struct iso2_evse_status {
    struct v2g_dc_evse dc;         /**< limits, present values, processing (shared with DIN) */
    uint8_t isolation;             /**< exi_iso2_isolationLevelType_* */
    uint8_t status_code;           /**< exi_iso2_DC_EVSEStatusCodeType_* */
    uint8_t notification;          /**< exi_iso2_EVSENotificationType_* */
    uint16_t notification_max_delay_s;
    uint8_t tuple_id;              /**< SAScheduleTupleID to offer, 0 = 1 */
    uint8_t pmax_count;            /**< 0: one entry of max_power_w */
    struct iso2_evse_pmax pmax[ISO2_EVSE_PMAX_MAX];
    bool meter_valid;              /**< meter_wh holds the meter's register (Contract asks receipts) */
    uint64_t meter_wh;             /**< the meter's import register (Wh), MeterReading */
};

/** What the EV asked for and reported; the latest values persist across requests. */
struct iso2_evse_ev {
    struct v2g_dc_ev dc;           /**< readiness, error, SoC, targets, limits (shared with DIN) */
    uint8_t evccid[6], evccid_len;
    int32_t departure_s;           /**< DepartureTime, < 0: not sent */
    uint8_t payment;               /**< exi_iso2_paymentOptionType_* selected */
    uint8_t tuple_id;              /**< SAScheduleTupleID the EV chose (0: none yet) */
};

/** A paused session that may be resumed (kept by the caller across connections). */
struct iso2_evse_resume {
    bool valid;
    uint8_t id[ISO2_SESSION_ID_MAX], id_len;
    uint8_t payment;               /**< the payment option of the paused session */
    uint8_t tuple_id;              /**< the schedule tuple chosen before the pause */
};

/** Result of one iso2_evse_handle(). */
struct iso2_evse_request {
    enum iso2_msg msg;
    uint32_t events;               /**< enum iso2_evse_event bits */
    uint8_t response_code;
    enum iso2_evse_phase phase;    /**< phase after the answer */
    const char *reason;            /**< why a FAILED_* answer was given ("" otherwise) */
    const char *note;              /**< a line for the log (PnC chain and signature checks), "" otherwise */
};

/** Counters. */
struct iso2_evse_stats {
    uint32_t requests, failed, perf_missed;
    uint32_t worst_response_ms, worst_cd_response_ms;
};

/** One SECC session (one connector). Only iso2_evse*.c touch the fields. */
struct iso2_evse {
    struct iso2_evse_config cfg;
    enum iso2_evse_phase phase;
    uint8_t id[ISO2_SESSION_ID_MAX], id_len;
    struct iso2_evse_resume resume;  /**< the paused session this one may join */
    struct iso2_evse_ev ev;
    uint8_t offered_tuple;           /**< SAScheduleTupleID of the last CPD answer, 0 = none */
    int32_t offered_limit_w;         /**< the station's power limit when the schedule was offered */
    uint8_t offered_count;
    struct iso2_evse_pmax offered[ISO2_EVSE_PMAX_MAX];
    uint32_t last_res_ms, req_ms;
    enum iso2_msg req_msg;
    enum iso2_msg loop_msg;
    uint32_t loop_since_ms;
    bool precharge_seen, precharge_long;
    const char *reason;              /**< why the session ended FAILED / timed out */
    struct iso2_evse_stats stats;
    /* Plug & Charge (iso2_evse_pnc.c) */
    struct iso2_evse_pnc *pnc;       /**< NULL: Contract is never offered */
    bool contract_ok;                /**< PaymentDetails accepted the chain below */
    bool challenge_live;             /**< the GenChallenge was issued and not yet used up */
    uint8_t contract_pub[65];        /**< the contract leaf's key 04||X||Y (P-256) */
    uint8_t challenge[ISO2_EVSE_CHALLENGE_LEN];
    char emaid[CFG_EXI_ISO2_PAYMENTDETAILSREQTYPE_EMAID_LEN + 1];
    char note[160];
    /* Signed metering receipts of a Contract session (iso2_evse_receipt.c) */
    bool receipt_pending;            /**< ReceiptRequired sent: only MeteringReceiptReq is taken */
    bool receipt_asked;              /**< at least one was asked (receipt_ms is valid) */
    uint32_t receipt_ms;             /**< when the last one was asked */
    uint32_t receipts;               /**< receipts verified in this session */
    struct exi_iso2_MeterInfoType receipt_info; /**< the MeterInfo sent with ReceiptRequired */
    bool cert_done;                  /**< a CertificateInstallation/Update was answered */
};

/** @brief Defaults: EVSEID "ZZ00000", DC_extended, ExternalPayment only, no VAS, no tariff. */
void iso2_evse_default_config(struct iso2_evse_config *cfg);

/**
 * @brief Start a session after supportedAppProtocol chose ISO-2.
 * @param id      the new SessionID to issue (1..8 bytes, not all zero)
 * @param resume  NULL, or a paused session whose ID a SessionSetupReq may present
 * @retval HAL_EINVAL NULL, bad EVSEID, bad ID
 */
int iso2_evse_start(struct iso2_evse *m, const struct iso2_evse_config *cfg, const uint8_t *id,
                    size_t id_len, const struct iso2_evse_resume *resume, uint32_t now_ms);

/**
 * @brief Answer one decoded request (the rules of docs/iso15118-2.md). Any FAILED_* answer
 *        moves to ISO2_EVSE_FAILED, sets ISO2_EVSE_EV_CLOSE and out->reason.
 * @retval HAL_OK      @p res is ready to encode
 * @retval HAL_EPROTO  the document carries no request: nothing to send
 * @retval HAL_ESTATE  the session is over or not started
 * @retval HAL_EINVAL  NULL argument
 */
int iso2_evse_handle(struct iso2_evse *m, const struct exi_iso2_document *req,
                     const struct iso2_evse_status *st, struct exi_iso2_document *res,
                     struct iso2_evse_request *out, uint32_t now_ms);

/**
 * @brief Lend the Plug & Charge context (after iso2_evse_start(), before SessionSetup).
 *        Contract is offered only when cfg.offer_contract is set and iso2_evse_pnc_ready().
 * @retval HAL_EINVAL NULL session
 */
int iso2_evse_set_pnc(struct iso2_evse *m, struct iso2_evse_pnc *pnc);

/**
 * @brief iso2_evse_set_pnc() in two: the owner of a context fills its checks' hooks once
 *        (iso2_evse_pnc_init(): the only reference to the X.509 and signature code), and
 *        the charger's ISO-2 backend lends it to each session (iso2_evse_lend_pnc(): no
 *        such reference, so a board that makes no context does not link them). A context
 *        lent without init never lists Contract.
 */
void iso2_evse_pnc_init(struct iso2_evse_pnc *pnc);
/** @brief Sets the receipt check's hook (iso2_evse_pnc_init() calls it). */
void iso2_evse_receipt_init(struct iso2_evse_pnc *pnc);
int iso2_evse_lend_pnc(struct iso2_evse *m, struct iso2_evse_pnc *pnc);

/**
 * @brief Fill the certificate installation/update hook of @p pnc (after iso2_evse_pnc_init()
 *        or iso2_evse_set_pnc(); a board without a provider need not call it and does not
 *        link the checks). The Certificate service (ServiceID 2) is listed only when
 *        iso2_evse_cert_offered().
 */
void iso2_evse_cert_init(struct iso2_evse_pnc *pnc);

/** @brief CertificateInstallation/Update can be served: Contract offered, a provider, the hook. */
bool iso2_evse_cert_offered(const struct iso2_evse *m);

/** @brief @p pnc can serve a Contract session: secure link, roots, verify, rng, scratch. */
bool iso2_evse_pnc_ready(const struct iso2_evse_pnc *pnc);

/** @brief The eMAID of the accepted contract ("" before PaymentDetails accepted one). */
const char *iso2_evse_emaid(const struct iso2_evse *m);

/** @brief A payload that does not decode ends the session (FAILED, @p reason). */
void iso2_evse_fail(struct iso2_evse *m, const char *reason);

/** @brief The response went out: sequence timer and performance budget. */
void iso2_evse_sent(struct iso2_evse *m, uint32_t now_ms);

/** @brief Time without a request: ISO2_EVSE_EV_TIMEOUT once when the sequence timer expired. */
uint32_t iso2_evse_tick(struct iso2_evse *m, uint32_t now_ms);

/** @brief The session is over (stopped, paused, failed, timed out). */
bool iso2_evse_over(const struct iso2_evse *m);

/** @brief Phase now. */
enum iso2_evse_phase iso2_evse_phase(const struct iso2_evse *m);

/** @brief The paused session after SessionStop(Pause) (valid false otherwise). */
void iso2_evse_paused(const struct iso2_evse *m, struct iso2_evse_resume *out);

/** @brief The EV's latest values. */
const struct iso2_evse_ev *iso2_evse_ev(const struct iso2_evse *m);

/** @brief Counters. */
const struct iso2_evse_stats *iso2_evse_stats(const struct iso2_evse *m);

/** @brief Why the session ended badly ("" while it runs or after a clean stop). */
const char *iso2_evse_reason(const struct iso2_evse *m);

/** @brief "current_demand", ... */
const char *iso2_evse_phase_name(enum iso2_evse_phase p);

#endif /* ISO2_EVSE_H */
