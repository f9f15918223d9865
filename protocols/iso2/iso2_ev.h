/**
 * @file iso2_ev.h
 * @brief ISO 15118-2 DC session with external payment, EV (EVCC) side: drives a session
 *        from the car's side against any SECC. Same shape as din_ev.h, so the EV model and
 *        evsim can run either: bytes in, bytes out, no clock, no I/O, no allocation.
 *
 * The caller loops:
 *   iso2_ev_next()     -> an EXI payload to send (V2GTP type 0x8001) when one is due
 *   iso2_ev_receive()  <- each response payload
 *   iso2_ev_deadline() tells when to call iso2_ev_next() again (pacing and timeouts);
 *   iso2_ev_actions()  says what the car does physically (CP state C, own contactors).
 *
 * Sequence (spec sheet iso15118-2-session.md §1.1, §1.5): supportedAppProtocol (ISO-2,
 * DIN as a second choice when offered: the machine then stops in DIN_CHOSEN and the caller
 * hands the connection to the DIN machine), SessionSetup, ServiceDiscovery, ServiceDetail
 * (only for a value-added service the configuration asks for), PaymentServiceSelection
 * (ExternalPayment; Contract with cfg.contract when the SECC lists it, then PaymentDetails),
 * Authorization (repeated while Ongoing; signed over the GenChallenge with Contract), ChargeParameterDiscovery
 * (repeated while Ongoing; picks an SAScheduleTuple), CableCheck, PreCharge,
 * PowerDelivery(Start, with a ChargingProfile inside the chosen PMaxSchedule),
 * CurrentDemand (follows the EVSE limits and the schedule; EVSENotification ReNegotiation
 * -> PowerDelivery(Renegotiate) -> ChargeParameterDiscovery ... -> Start again;
 * StopCharging -> stop), PowerDelivery(Stop), WeldingDetection, SessionStop(Terminate),
 * or SessionStop(Pause) when the model asks for a pause: PAUSED, and iso2_ev_resume() on a
 * new connection replays the sequence with the old SessionID in SessionSetupReq.
 *
 * The car refuses what a car must refuse: an undecodable answer, an answer of the wrong
 * type, a FAILED_* ResponseCode (the code's name becomes the reason), a SessionID other
 * than the one the SECC issued: FAILED with a safe shutdown (CP B, own contactors open).
 */
#ifndef ISO2_EV_H
#define ISO2_EV_H

#include "apphand/apphand.h"
#include "hal_crypto.h"
#include "iso2/iso2.h"
#include "x509/x509.h"
#include "v2g/v2g_ev.h"

/** EV timers of the standard (ms), as Josev and RISE-V2G use them (spec sheet §2). */
#define ISO2_EV_MSG_TIMEOUT_MS 2000u        /**< V2G_EVCC_Msg_Timeout */
#define ISO2_EV_MSG_TIMEOUT_LONG_MS 5000u   /**< ... for ServiceDetail and PowerDelivery */
#define ISO2_EV_MSG_TIMEOUT_CD_MS 250u      /**< ... for CurrentDemand */
#define ISO2_EV_COMM_SETUP_TIMEOUT_MS 20000u /**< V2G_EVCC_CommunicationSetup_Timeout */
#define ISO2_EV_ONGOING_TIMEOUT_MS 60000u   /**< V2G_EVCC_Ongoing_Timeout (Authorization, CPD) */
#define ISO2_EV_CABLE_CHECK_TIMEOUT_MS 40000u /**< V2G_EVCC_CableCheck_Timeout */
#define ISO2_EV_PRECHARGE_TIMEOUT_MS 7000u  /**< V2G_EVCC_PreCharge_Timeout */

/** Most SupportedAppProtocol entries the EV offers. */
#ifndef CFG_ISO2_EV_OFFERS
#define CFG_ISO2_EV_OFFERS 4
#endif
_Static_assert(CFG_ISO2_EV_OFFERS >= 1 && CFG_ISO2_EV_OFFERS <= 20, "CFG_ISO2_EV_OFFERS must be 1..20");

/** The request the EV sends next (or the end). */
enum iso2_ev_state {
    ISO2_EV_IDLE = 0,
    ISO2_EV_HANDSHAKE,          /**< supportedAppProtocolReq */
    ISO2_EV_SESSION_SETUP,
    ISO2_EV_SERVICE_DISCOVERY,
    ISO2_EV_SERVICE_DETAIL,     /**< only for cfg.detail_service_id, when listed */
    ISO2_EV_PAYMENT_SELECTION,
    ISO2_EV_CERTIFICATE,        /**< CertificateInstallation/Update (cfg.cert) before PaymentDetails */
    ISO2_EV_PAYMENT_DETAILS,    /**< Contract: the chain and eMAID; the SECC's GenChallenge */
    ISO2_EV_AUTHORIZATION,      /**< repeated while Ongoing (Contract: signed over the challenge) */
    ISO2_EV_CHARGE_PARAMETER,   /**< repeated while Ongoing */
    ISO2_EV_CABLE_CHECK,        /**< repeated while Ongoing */
    ISO2_EV_PRECHARGE,          /**< repeated until the voltage matches */
    ISO2_EV_POWER_ON,           /**< PowerDelivery(Start) */
    ISO2_EV_CURRENT_DEMAND,     /**< the charging loop */
    ISO2_EV_METERING_RECEIPT,   /**< Contract: MeteringReceiptReq signed, after ReceiptRequired */
    ISO2_EV_RENEGOTIATE,        /**< PowerDelivery(Renegotiate) */
    ISO2_EV_POWER_OFF,          /**< PowerDelivery(Stop) */
    ISO2_EV_WELDING,            /**< WeldingDetection until the voltage is low */
    ISO2_EV_SESSION_STOP,       /**< Terminate, or Pause when the model asked for one */
    ISO2_EV_DONE,               /**< SessionStopRes(Terminate) received: close TCP, unlock */
    ISO2_EV_PAUSED,             /**< SessionStopRes(Pause) received: close TCP; iso2_ev_resume() later */
    ISO2_EV_DIN_CHOSEN,         /**< the SECC chose DIN 70121: hand over to the DIN machine */
    ISO2_EV_FAILED,             /**< gave up: `reason`; safe shutdown */
    ISO2_EV_STATE_COUNT
};

/** A car that breaks the rules on purpose: the stimuli an SECC must answer safely
 *  (issue 14 "Bad input", spec sheet §6). NONE for every normal car. */
enum iso2_ev_misbehave {
    ISO2_EV_MISBEHAVE_NONE = 0,
    ISO2_EV_MISBEHAVE_PAUSE_IN_CABLE_CHECK,  /**< SessionStop(Pause) instead of the first CableCheckReq */
    ISO2_EV_MISBEHAVE_CD_BEFORE_POWER_DELIVERY, /**< CurrentDemandReq instead of PowerDelivery(Start) */
    ISO2_EV_MISBEHAVE_UNKNOWN_TUPLE,         /**< PowerDelivery(Start) naming a tuple never offered */
    ISO2_EV_MISBEHAVE_PROFILE_ABOVE_PMAX,    /**< a ChargingProfile at twice the schedule's PMax */
    ISO2_EV_MISBEHAVE_RESUME_UNKNOWN_ID,     /**< resume with a SessionID the SECC never issued */
    ISO2_EV_MISBEHAVE_ISO2_AFTER_DIN,        /**< goes on in ISO-2 after the SECC chose DIN */
    ISO2_EV_MISBEHAVE_COUNT
};

/** Bytes of the SECC's GenChallenge ([V2G2-825]: 16). */
#define ISO2_EV_CHALLENGE_LEN 16u

struct iso2_ev_contract;
/** Signs the AuthorizationReq in @p d (iso2_ev_pnc.c; set by iso2_ev_contract_init()). */
typedef int (*iso2_ev_sign_fn)(const struct iso2_ev_contract *c, struct exi_iso2_document *d, const char **why);

/**
 * Plug & Charge, the car's side (docs/pnc.md "The car"): its contract chain (DER, leaf and
 * Sub-CAs in issuing order, as PaymentDetailsReq carries them), the eMAID of the leaf, and
 * the key the crypto port keeps for it. Lent by the caller through cfg.contract; the machine
 * stays without I/O. With it the car selects Contract when the SECC lists it, sends
 * PaymentDetailsReq and signs AuthorizationReq over the GenChallenge; without it (or when
 * the SECC offers ExternalPayment only) the car pays externally as before.
 */
struct iso2_ev_contract {
    struct hal_crypto *crypto;     /**< signs with `key` */
    uint32_t key;                  /**< the port's handle of the contract private key */
    const uint8_t *leaf;           /**< DER of the contract certificate */
    size_t leaf_len;
    const uint8_t *subs[CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX]; /**< Sub-CAs, DER */
    size_t sub_len[CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX];
    uint8_t n_subs;
    char emaid[CFG_EXI_ISO2_PAYMENTDETAILSREQTYPE_EMAID_LEN + 1]; /**< as the leaf's CN */
    uint8_t *buf;                  /**< scratch for the fragments signed (>= 256 bytes) */
    size_t cap;
    iso2_ev_sign_fn sign;          /**< set by iso2_ev_contract_init() */
};

/**
 * @brief Fill @p c (the signing hook included): only a car that calls this links the
 *        signature code.
 * @retval HAL_EINVAL NULL, no leaf, a certificate above the message's 800 bytes, more
 *                    Sub-CAs than the message holds, an eMAID that does not fit, scratch < 256
 */
int iso2_ev_contract_init(struct iso2_ev_contract *c, struct hal_crypto *crypto, uint32_t key, const uint8_t *leaf,
                          size_t leaf_len, const uint8_t *const subs[], const size_t sub_len[], uint8_t n_subs,
                          const char *emaid, uint8_t *buf, size_t cap);

struct iso2_ev;
/**
 * Takes the new contract out of a checked CertificateInstallationRes/UpdateRes: decrypts the
 * key (ECDH with the car's key; the port has no ECDH, so the caller does it), stores chain
 * and key, and gives the contract the car now pays with (kept by the caller). HAL_OK or a
 * refusal with @p why.
 */
typedef int (*iso2_ev_cert_take_fn)(void *ctx, bool update, const struct exi_iso2_CertificateChainType *chain,
                                    const uint8_t *enc, size_t enc_len, const uint8_t *dh, size_t dh_len,
                                    const char *emaid, const struct iso2_ev_contract **contract, const char **why);

/**
 * The car's certificate installation or update (iso2_ev_cert.c, docs/pnc.md "The car"):
 * installation with the OEM provisioning leaf and its key (no contract yet), update with
 * cfg.contract. The answer's SAProvisioningCertificateChain is validated (role cps) against
 * the V2G roots with @p now_s, its signature over the four parts verified with that leaf,
 * then @p take gives the new contract. Lent through cfg.cert.
 */
struct iso2_ev_cert {
    bool update;                      /**< CertificateUpdate with cfg.contract; else installation */
    struct hal_crypto *crypto;        /**< signs the request, verifies the answer */
    uint32_t oem_key;                 /**< installation: the port's handle of the OEM provisioning key */
    const uint8_t *oem_leaf;          /**< installation: DER of the OEM provisioning certificate */
    size_t oem_leaf_len;
    const struct x509_cert *v2g_roots; /**< anchors of the SA provisioning chain */
    size_t n_v2g_roots;
    int64_t now_s;                    /**< the car's clock, s since 1970 */
    uint8_t *buf;                     /**< scratch for the fragments (>= 2 kB: a chain is signed) */
    size_t cap;
    iso2_ev_cert_take_fn take;
    void *take_ctx;
    /* working storage and the hooks iso2_ev_cert_init() sets */
    struct x509_cert chain[1u + CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX];
    struct exi_iso2_MessageHeaderType hdr;
    int (*build)(struct iso2_ev *ev, struct exi_iso2_document *d, const char **why);
    int (*check)(struct iso2_ev *ev, const struct exi_iso2_document *d, const char **why);
    char note[160];                   /**< the log line of the last check */
};

/** @brief Fill the hooks of @p c (only a car that calls it links the checks). HAL_EINVAL: incomplete. */
int iso2_ev_cert_init(struct iso2_ev_cert *c);

/** Configuration (iso2_ev_default_config()). */
struct iso2_ev_config {
    struct apphand_offer offers[CFG_ISO2_EV_OFFERS];
    uint8_t n_offers;
    uint8_t evccid[6], evccid_len;          /**< own MAC (ISO-2: at most 6 bytes) */
    struct iso2_session_id setup_id;     /**< SessionID of a new session's SessionSetupReq
                                                 (8 zero bytes like dSPACE/RISE-V2G, 1 like Josev) */
    uint16_t detail_service_id;             /**< ask ServiceDetail for this value-added service
                                                 when the SECC lists it and select it (0 = none) */
    uint32_t departure_time_s;              /**< DepartureTime in CPD; 0 = not sent */
    uint16_t max_entries_sa_schedule;       /**< MaxEntriesSAScheduleTuple; 0 = not sent */
    bool send_charging_profile;             /**< ChargingProfile in PowerDelivery(Start) */
    uint32_t start_delay_ms;                /**< pause before supportedAppProtocolReq */
    uint32_t delay_ms;                      /**< response -> next request */
    uint32_t loop_delay_ms;                 /**< response -> repeated request (Ongoing, PreCharge, Welding) */
    uint32_t cd_period_ms;                  /**< CurrentDemandReq period */
    uint32_t msg_timeout_ms, msg_timeout_long_ms, msg_timeout_cd_ms; /**< 2 000 / 5 000 / 250 */
    uint32_t comm_setup_timeout_ms;         /**< start -> SessionSetupRes, 20 000 */
    uint32_t ongoing_timeout_ms;            /**< Authorization, CPD Ongoing, 60 000 */
    uint32_t cable_check_timeout_ms;        /**< 40 000 */
    uint32_t precharge_timeout_ms;          /**< 7 000 */
    int32_t precharge_current_ma;           /**< EVTargetCurrent in PreChargeReq, <= 2 000 */
    int32_t precharge_tolerance_mv;         /**< |U - U_batt| that counts as matched, 20 000 */
    bool welding_detection;                 /**< run WeldingDetection after PowerDelivery(Stop) */
    uint8_t welding_max_rounds;             /**< 10 */
    int32_t welding_done_mv;                /**< 40 000 */
    enum iso2_ev_misbehave misbehave;       /**< NONE; else one rule broken on purpose */
    const struct iso2_ev_contract *contract; /**< Plug & Charge: NULL = external payment only */
    struct iso2_ev_cert *cert;              /**< CertificateInstallation/Update first; NULL = none */
};

/** What the car's battery model tells the machine (the caller writes it any time). */
struct iso2_ev_model {
    uint8_t soc;
    bool ready;                     /**< EVReady */
    uint8_t error_code;             /**< exi_iso2_DC_EVErrorCodeType_* */
    int32_t battery_voltage_mv;     /**< pre-charge target */
    int32_t target_voltage_mv;      /**< CurrentDemand ceiling */
    int32_t target_current_ma;
    int32_t max_voltage_mv, max_current_ma;
    int32_t max_power_w;            /**< < 0: not sent */
    int32_t capacity_wh, energy_request_wh; /**< < 0: not sent */
    int16_t full_soc, bulk_soc;     /**< < 0: not sent */
    int32_t remaining_full_s, remaining_bulk_s; /**< < 0: not sent */
    bool charging_complete, bulk_charging_complete;
    bool stop;                      /**< the car wants to stop charging now */
    bool pause;                     /**< when it stops: SessionStop(Pause) instead of Terminate */
    bool renegotiate;               /**< ask for new schedules once (cleared when sent) */
    int32_t inlet_voltage_mv;       /**< own inlet measurement; < 0: trust EVSEPresentVoltage */
};

/** What the EVSE reported last (mV, mA, W) and what was agreed. */
struct iso2_ev_evse {
    char evse_id[38];               /**< NUL-terminated */
    int32_t present_voltage_mv, present_current_ma;
    int32_t max_voltage_mv, max_current_ma, max_power_w;
    int32_t min_voltage_mv, min_current_ma;
    uint8_t status_code, notification, isolation;
    bool isolation_known;
    uint16_t notification_max_delay_s;
    bool current_limit_achieved, voltage_limit_achieved, power_limit_achieved;
    uint8_t tuple_id;               /**< the SAScheduleTuple the EV chose */
    uint8_t offered_ids[CFG_EXI_ISO2_SASCHEDULELISTTYPE_SASCHEDULETUPLE_MAX]; /**< all offered */
    uint8_t n_offered;
    uint8_t n_pmax;                 /**< entries of its PMaxSchedule kept below */
    uint32_t pmax_start_s[CFG_EXI_ISO2_PMAXSCHEDULETYPE_PMAXSCHEDULEENTRY_MAX];
    int32_t pmax_w[CFG_EXI_ISO2_PMAXSCHEDULETYPE_PMAXSCHEDULEENTRY_MAX];
    bool resumed;                   /**< the SECC answered OK_OldSessionJoined */
    uint8_t last_code;              /**< ResponseCode of the last response */
};

/** Physical actions of the car. */
struct iso2_ev_actions {
    bool cp_c;        /**< pilot state C (from CPD Finished to PowerDeliveryRes(Stop)) */
    bool contactors;  /**< own DC contactors closed (pre-charge matched to PowerDeliveryRes(Stop/Renegotiate)) */
};

/** One EV session. Only iso2_ev*.c touch the fields except `model`. */
struct iso2_ev {
    struct iso2_ev_config cfg;
    struct iso2_ev_model model;     /**< written by the caller */
    enum iso2_ev_state state;
    const char *reason;             /**< why FAILED / what ended the session */
    char reason_buf[72];            /**< reason with a ResponseCode name */
    struct v2g_ev_clock clk;        /**< request out, timeouts, pacing (v2g/v2g_ev.h) */
    enum iso2_msg sent;             /**< what the last request was */
    uint8_t sent_progress;          /**< ChargeProgress / ChargingSession of the request */
    uint32_t charge_start_ms;
    enum iso2_ev_state loop_state;
    uint8_t welding_rounds;
    int16_t detail_param_set;       /**< ParameterSetID of the detailed service to select, -1 none */
    bool pausing;                   /**< this stop ends with SessionStop(Pause) */
    bool have_session;              /**< `id` holds an SECC-issued SessionID (resume uses it) */
    bool contract;                  /**< this session pays with the contract (Contract selected) */
    uint8_t challenge[ISO2_EV_CHALLENGE_LEN]; /**< the GenChallenge of PaymentDetailsRes */
    bool auth_signed;               /**< the signed AuthorizationReq went out: repeats are empty ([V2G2-684]) */
    struct exi_iso2_MeterInfoType receipt_info; /**< the MeterInfo of the receipt asked for */
    uint32_t receipts;              /**< MeteringReceiptRes OK in this session */
    bool cert_wanted;               /**< cfg.cert and the SECC lists the Certificate service */
    int chosen_offer;
    struct iso2_session_id id;
    struct iso2_ev_evse evse;
    struct iso2_ev_actions act;
    uint32_t requests, responses, renegotiations, resumes;
    union {
        struct exi_iso2_document iso2;
        struct exi_apphand_document app;
    } doc;
};

/** @brief ISO-2 only (SchemaID 1), EVCCID 02:00:00:00:00:01, 8-byte zero SessionID, the standard's timers. */
void iso2_ev_default_config(struct iso2_ev_config *cfg);

/** @brief Add DIN 70121 (SchemaID 2, Priority 2) behind ISO-2: the "auto" car. */
void iso2_ev_offer_din_too(struct iso2_ev_config *cfg);

/** @brief Model values of a 400 V, 60 kWh car at 50 % that asks for 100 A. */
void iso2_ev_default_model(struct iso2_ev_model *m);

/**
 * @brief Start a session (the TCP connection is up). The model is reset to defaults.
 * @retval HAL_OK     the first request is due after start_delay_ms
 * @retval HAL_EINVAL NULL, no offers, no ISO-2 offer, or an EVCCID/SessionID too long
 */
int iso2_ev_start(struct iso2_ev *ev, const struct iso2_ev_config *cfg, uint32_t now_ms);

/**
 * @brief Start at SessionSetup on a connection whose supportedAppProtocol another machine
 *        (the ISO 15118-20 car offering ISO-2 behind -20) already negotiated to ISO-2.
 * @param chosen_offer what iso2_ev_chosen_offer() reports
 * @retval HAL_OK     SessionSetupReq is due after delay_ms
 * @retval HAL_EINVAL as iso2_ev_start()
 */
int iso2_ev_start_negotiated(struct iso2_ev *ev, const struct iso2_ev_config *cfg, int chosen_offer,
                             uint32_t now_ms);

/**
 * @brief Resume a paused session on a new connection: handshake, then SessionSetupReq
 *        with the SessionID of the paused session. The model is kept.
 * @retval HAL_OK     started
 * @retval HAL_ESTATE the session is not PAUSED
 */
int iso2_ev_resume(struct iso2_ev *ev, uint32_t now_ms);

/**
 * @brief The next request, when one is due; also runs the EV's timers.
 * @retval HAL_OK        @p len bytes to send
 * @retval HAL_EAGAIN    nothing due now (iso2_ev_deadline() says when)
 * @retval HAL_ETIMEDOUT a timer expired just now: the session FAILED (`reason`)
 * @retval HAL_ESTATE    the session is over (DONE, PAUSED, DIN_CHOSEN or FAILED)
 * @retval HAL_ENOMEM    @p out is too small
 */
int iso2_ev_next(struct iso2_ev *ev, uint32_t now_ms, uint8_t *out, size_t cap, size_t *len);

/**
 * @brief One response payload from the SECC.
 * @retval HAL_OK     accepted; the session moved on
 * @retval HAL_EPROTO undecodable, unexpected, FAILED_*, or a wrong SessionID: FAILED
 * @retval HAL_ESTATE no request is outstanding (or the session is over)
 */
int iso2_ev_receive(struct iso2_ev *ev, const uint8_t *exi, size_t len, uint32_t now_ms);

/** @brief When iso2_ev_next() has something to do (request due, or a timeout). */
uint32_t iso2_ev_deadline(const struct iso2_ev *ev);

/** @brief State. */
enum iso2_ev_state iso2_ev_state(const struct iso2_ev *ev);
/** @brief Name of a state ("current_demand"). */
const char *iso2_ev_state_name(enum iso2_ev_state s);
/** @brief Why the session ended ("" while it runs). */
const char *iso2_ev_reason(const struct iso2_ev *ev);
/** @brief The SECC's latest values. */
const struct iso2_ev_evse *iso2_ev_evse(const struct iso2_ev *ev);
/** @brief What the car does physically now. */
const struct iso2_ev_actions *iso2_ev_actions(const struct iso2_ev *ev);
/** @brief The offer the SECC chose (index into cfg.offers), -1 before the handshake. */
int iso2_ev_chosen_offer(const struct iso2_ev *ev);
/** @brief Name of a misbehaviour ("pause-in-cable-check"); iso2_ev_misbehave_parse() reads it. */
const char *iso2_ev_misbehave_name(enum iso2_ev_misbehave b);
/** @brief Parse a misbehaviour name (HAL_EINVAL when unknown). */
int iso2_ev_misbehave_parse(const char *name, enum iso2_ev_misbehave *b);

/** @brief PMax of the chosen schedule at @p t_s seconds after PowerDelivery(Start) (W; -1: none). */
int32_t iso2_ev_pmax_at(const struct iso2_ev *ev, uint32_t t_s);

#endif /* ISO2_EV_H */
