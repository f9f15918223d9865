/**
 * @file hlc.h
 * @brief The protocol-neutral interface between the session manager (charger*.c) and the
 *        V2G protocol machines (DIN 70121, ISO 15118-2, ISO 15118-20 DC behind the same ops).
 *
 * Everything crosses it in physical units (mV, mA, W, Wh, %, s) and plain enums: what the
 * EV asked for and reported (struct hlc_ev), what the charger knows (struct hlc_evse),
 * which request is being answered (enum hlc_msg) and what it asks of the session manager
 * (HLC_EVT_* bits). A backend takes the bytes of one V2GTP payload and gives the bytes of
 * its answer: decode, handle and encode happen inside hlc_handle(), so the charger, the
 * replay tool, the fuzzer and the benchmark all drive the same entry point.
 *
 * supportedAppProtocol is answered here, not in a backend: among the protocols of the
 * configured list (`v2g.protocols`, hlc_parse_protocols()) the EV offers, the one the EV
 * ranks best wins, as the standard has it (on a tie, the EV's earlier entry). The decoded documents of every enabled protocol share one union per
 * connector (struct hlc, static storage of its owner, never the stack).
 *
 * Pure logic: no clock (now_ms is passed in), no I/O, no allocation.
 */
#ifndef HLC_H
#define HLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apphand/apphand.h"
#include "exi/exi_apphand.h"
#include "hal_err.h"

/** DIN SPEC 70121 backend compiled in (the only one today). */
#ifndef CFG_HLC_DIN
#define CFG_HLC_DIN 1
#endif
#if CFG_HLC_DIN
#include "din/din_evse.h"
#endif
/** ISO 15118-2 DC EIM backend compiled in (a board may set 0 to save its flash and RAM). */
#ifndef CFG_HLC_ISO2
#define CFG_HLC_ISO2 1
#endif
#if CFG_HLC_ISO2
#include "iso2/iso2_evse.h"
#endif
/** ISO 15118-20 DC backend compiled in (a board may set 0 to save its flash and RAM). */
#ifndef CFG_HLC_ISO20
#define CFG_HLC_ISO20 1
#endif
#if CFG_HLC_ISO20
#include "iso20/iso20_evse.h"
#endif

/** V2GTP payload type of supportedAppProtocol, DIN and ISO-2 (ISO-20 adds 0x8002..0x8004). */
#define HLC_PT_EXI 0x8001u

/** Protocols one priority list may name. */
#define HLC_PROTOCOLS_MAX 4u
/** Longest EV identity (EVCCID: DIN/ISO-2 MAC of 6..8 bytes; ISO-20 up to 20 characters). */
#define HLC_EVCCID_MAX 20u
/** PMax schedule entries the interface carries (DIN sends one). */
#define HLC_SCHEDULE_MAX 4u

/** Which request is being answered (the phase of the session the EV is in). */
enum hlc_msg {
    HLC_MSG_NONE = 0,
    HLC_MSG_HANDSHAKE,            /**< supportedAppProtocol */
    HLC_MSG_SESSION_SETUP,
    HLC_MSG_SERVICE_DISCOVERY,
    HLC_MSG_PAYMENT_SELECTION,
    HLC_MSG_AUTHORIZATION,
    HLC_MSG_CHARGE_PARAMETERS,
    HLC_MSG_CABLE_CHECK,
    HLC_MSG_PRECHARGE,
    HLC_MSG_POWER_DELIVERY_START,
    HLC_MSG_POWER_DELIVERY_STOP,
    HLC_MSG_CURRENT_DEMAND,
    HLC_MSG_WELDING,
    HLC_MSG_SESSION_STOP,
    HLC_MSG_OTHER,                /**< a request the neutral layer has no name for */
    HLC_MSG_SERVICE_DETAIL,       /**< ISO-2: ServiceDetail (value-added services) */
    HLC_MSG_RENEGOTIATE,          /**< ISO-2: PowerDelivery(Renegotiate) */
    HLC_MSG_STANDBY,              /**< ISO-20: PowerDelivery(Standby) */
    HLC_MSG_COUNT
};

/** What a request asks of the session manager (bits of hlc_result.events). */
enum hlc_event {
    HLC_EVT_SESSION = 1u << 0,           /**< session set up: EV identity known */
    HLC_EVT_AUTHORIZE = 1u << 1,         /**< first authorization request: start authorising */
    HLC_EVT_CHARGE_PARAMS = 1u << 2,     /**< EV limits known */
    HLC_EVT_CABLE_CHECK = 1u << 3,       /**< first cable check request: start the insulation test */
    HLC_EVT_PRECHARGE = 1u << 4,         /**< regulate to the EV's pre-charge target */
    HLC_EVT_POWER_ON = 1u << 5,          /**< power delivery start: leave pre-charge, charge */
    HLC_EVT_CURRENT_DEMAND = 1u << 6,    /**< new targets and EV limits */
    HLC_EVT_POWER_OFF = 1u << 7,         /**< power delivery stop: ramp to 0, power off */
    HLC_EVT_WELDING = 1u << 8,           /**< welding detection: report the output voltage */
    HLC_EVT_SESSION_STOP = 1u << 9,      /**< session stop answered */
    HLC_EVT_EV_ERROR = 1u << 10,         /**< the EV reported an error (hlc_ev.error) */
    HLC_EVT_CHARGING_COMPLETE = 1u << 11,/**< the EV says it is full */
    HLC_EVT_CLOSE = 1u << 12,            /**< close the connection after sending this answer */
    HLC_EVT_TIMEOUT = 1u << 13,          /**< a protocol timer expired */
    HLC_EVT_PRECHARGE_LONG = 1u << 14,   /**< pre-charge longer than the EV's own timer */
    HLC_EVT_PAUSE = 1u << 15,            /**< ISO-2: SessionStop(Pause): PWM off, the ID is kept */
    HLC_EVT_RENEGOTIATE = 1u << 16,      /**< ISO-2: the EV renegotiates (power off, CPD again) */
    HLC_EVT_RESUMED = 1u << 17,          /**< ISO-2: SessionSetup joined the paused session */
    HLC_EVT_HOLD = 1u << 18,             /**< ISO-20 schedule renegotiation or standby: current to 0 A, the
                                              power path stays closed (the car keeps its contactors
                                              closed and sends no second cable check) */
    HLC_EVT_CONTRACT = 1u << 19,         /**< ISO-2 Plug & Charge: the car proved its contract
                                              (chain and signature checked); hlc_result.token
                                              is its eMAID, the session's token */
};

/** The EV's error code, protocol-neutral. */
enum hlc_ev_error {
    HLC_EV_ERR_NONE = 0,
    HLC_EV_ERR_RESS_TEMPERATURE,      /**< battery temperature inhibit */
    HLC_EV_ERR_SHIFT_POSITION,
    HLC_EV_ERR_CONNECTOR_LOCK,        /**< charger connector lock fault */
    HLC_EV_ERR_RESS_MALFUNCTION,
    HLC_EV_ERR_CURRENT_DIFFERENTIAL,
    HLC_EV_ERR_VOLTAGE_OUT_OF_RANGE,
    HLC_EV_ERR_INCOMPATIBLE,          /**< charging system incompatibility */
    HLC_EV_ERR_NO_DATA,
    HLC_EV_ERR_OTHER,                 /**< reserved or protocol-specific codes */
    HLC_EV_ERR_COUNT
};

/** What the EV asked for and reported; the latest values persist across requests. */
struct hlc_ev {
    uint8_t evccid[HLC_EVCCID_MAX];   /**< EVCCID / MAC bytes */
    uint8_t evccid_len;
    bool ready;                       /**< EVReady */
    enum hlc_ev_error error;
    uint8_t soc;                      /**< % */
    int32_t target_voltage_mv;        /**< pre-charge / current demand */
    int32_t target_current_ma;
    int32_t max_voltage_mv, max_current_ma;
    int32_t max_power_w;              /**< < 0: not sent */
    int32_t energy_capacity_wh, energy_request_wh; /**< < 0: not sent */
    int16_t full_soc, bulk_soc;       /**< < 0: not sent */
    int32_t remaining_full_s, remaining_bulk_s;    /**< < 0: not sent */
    bool charging_complete, bulk_charging_complete;
    bool stop_requested;              /**< the EV asks to end the session */
    bool pause_requested;             /**< the EV asks for standby (ISO: pause) */
    bool renegotiate_requested;       /**< the EV asks to renegotiate the schedule */
    int32_t departure_s;              /**< ISO-2 DepartureTime; < 0: not sent (DIN) */
    uint8_t schedule_tuple_id;        /**< ISO-2: the SAScheduleTupleID chosen (0: none) */
};

/** The charger's processing of a loop request. */
enum hlc_processing {
    HLC_PROCESSING_ONGOING = 0,
    HLC_PROCESSING_FINISHED,
    HLC_PROCESSING_FAILED,            /**< refused / failed: the answer is FAILED */
};

/** Insulation as the EV is told. */
enum hlc_isolation {
    HLC_ISOLATION_INVALID = 0,        /**< not measured (yet) */
    HLC_ISOLATION_VALID,
    HLC_ISOLATION_WARNING,
    HLC_ISOLATION_FAULT,
    HLC_ISOLATION_COUNT
};

/** The EVSE's status as the EV is told. */
enum hlc_evse_status {
    HLC_EVSE_NOT_READY = 0,           /**< the zero value: nothing filled in yet */
    HLC_EVSE_READY,
    HLC_EVSE_SHUTDOWN,                /**< graceful stop (with HLC_NOTIFY_STOP_CHARGING) */
    HLC_EVSE_EMERGENCY_SHUTDOWN,      /**< every answer FAILED */
    HLC_EVSE_MALFUNCTION,             /**< every answer FAILED */
    HLC_EVSE_STATUS_COUNT
};

/** What the EVSE asks of the EV. */
enum hlc_notification {
    HLC_NOTIFY_NONE = 0,
    HLC_NOTIFY_STOP_CHARGING,
    HLC_NOTIFY_RENEGOTIATE,
    HLC_NOTIFY_COUNT
};

/** One PMax schedule entry. */
struct hlc_pmax_entry {
    uint32_t start_s;                 /**< from the start of the schedule */
    uint32_t duration_s;              /**< 0: until the next entry / the end */
    uint32_t pmax_w;
};

/** A PMax schedule; count 0 = the backend's own rule (the EVSE maximum power). */
struct hlc_schedule {
    uint8_t count;
    struct hlc_pmax_entry entry[HLC_SCHEDULE_MAX];
};

/** What the charger knows, handed to the backend with every request. */
struct hlc_evse {
    int32_t present_voltage_mv, present_current_ma;
    int32_t max_voltage_mv, max_current_ma, max_power_w;
    int32_t min_voltage_mv, min_current_ma;
    int32_t current_regulation_tolerance_ma; /**< < 0: not sent */
    int32_t peak_current_ripple_ma;
    int32_t energy_to_deliver_wh;            /**< < 0: not sent */
    enum hlc_isolation isolation;
    enum hlc_evse_status status;
    enum hlc_notification notification;
    uint32_t notification_max_delay_s;
    enum hlc_processing authorization;       /**< ongoing / finished (authorised) / failed (refused) */
    enum hlc_processing charge_parameters;   /**< finished: limits final (power stage up) */
    enum hlc_processing cable_check;         /**< ongoing / finished / failed */
    bool current_limit_achieved, voltage_limit_achieved, power_limit_achieved;
    bool can_discharge;                      /**< ISO-20: the power stage can take energy back (BPT) */
    int64_t unix_time_s;                     /**< 0 = not sent */
    bool meter_valid;                        /**< meter_wh is the meter's register, read live */
    uint64_t meter_wh;                       /**< ISO-2 Contract: MeterReading of a signed receipt */
    struct hlc_schedule schedule;
    uint8_t schedule_tuple_id;               /**< ISO-2 SAScheduleTupleID offered; 0 = 1 */
};

/** Why hlc_handle() gave no (complete) answer. */
enum hlc_error {
    HLC_ERR_NONE = 0,
    HLC_ERR_DECODE,          /**< the payload does not decode (detail: the codec's reason) */
    HLC_ERR_NOT_REQUEST,     /**< handshake: the document is not a supportedAppProtocolReq */
    HLC_ERR_NO_PROTOCOL,     /**< handshake: no protocol of the list offered (answer Failed) */
    HLC_ERR_SESSION_ID,      /**< handshake: no session ID could be drawn */
    HLC_ERR_START,           /**< handshake: the backend refused its configuration */
    HLC_ERR_NO_ANSWER,       /**< the backend answers nothing (wrong phase, session over, ...) */
    HLC_ERR_ENCODE,          /**< the answer was decided but does not encode (nothing to send) */
    HLC_ERR_COUNT
};

/** What one hlc_handle() did. */
struct hlc_result {
    enum hlc_msg msg;        /**< the request answered */
    uint32_t events;         /**< enum hlc_event bits */
    bool positive;           /**< an OK answer */
    bool failed;             /**< a FAILED answer ended the session */
    enum hlc_error error;
    const char *detail;      /**< with an error: why ("" when nothing to add) */
    const char *msg_name;    /**< the protocol's name of the request ("CurrentDemand") */
    const char *code_name;   /**< the protocol's name of the response code */
    const char *phase_name;  /**< the backend's phase after the answer */
    const char *protocol;    /**< handshake: the backend chosen ("din"), or NULL */
    uint8_t schema_id;       /**< handshake: the SchemaID answered */
    uint16_t payload_type;   /**< V2GTP payload type to send the answer with (HLC_PT_EXI;
                                  ISO-20: 0x8002 common messages, 0x8004 DC) */
    const char *reason;      /**< why the session ended (FAILED, undecodable); "" otherwise.
                                  Static text: the session record may keep the pointer. */
    const char *note;        /**< a line for the log ("" none): ISO-2 Plug & Charge's chain
                                  and signature checks, accepted or refused */
    const char *token;       /**< with HLC_EVT_CONTRACT: the eMAID ("" otherwise) */
};

/** A request as the status hook sees it, between decode and handle. */
struct hlc_request_view {
    enum hlc_msg msg;
    /** The EV's latest values with this request's targets, limits and readiness applied
     *  (what the backend will take from it): CurrentDemand and PreCharge carry new ones. */
    const struct hlc_ev *ev;
};

/** Fills @p evse for the request in @p rq (called once per request, after decoding). */
typedef void (*hlc_status_fn)(void *ctx, const struct hlc_request_view *rq, struct hlc_evse *evse);

/** Draws a session ID of @p len bytes. @retval HAL_OK drawn */
typedef int (*hlc_session_id_fn)(void *ctx, uint8_t *bytes, size_t len);

struct hlc;

/** One protocol machine behind the interface. */
struct hlc_backend_ops {
    const char *name;                  /**< config name ("din") */
    const char *title;                 /**< for logs ("DIN 70121") */
    struct apphand_protocol app;       /**< what supportedAppProtocol matches */
    uint8_t session_id_len;            /**< bytes hlc_start() draws */
    /** New session with @p sid. @retval HAL_OK waiting for the first request */
    int (*start)(struct hlc *h, const uint8_t *sid, size_t sid_len, uint32_t now_ms);
    /** Forget everything of the last session (no answer is given any more). */
    void (*reset)(struct hlc *h);
    /** Decode @p in, ask @p status, handle, encode into @p out. Returns the machine's rc. */
    int (*handle)(struct hlc *h, const uint8_t *in, size_t len, struct hlc_evse *evse,
                  hlc_status_fn status, void *ctx, uint8_t *out, size_t cap, size_t *out_len,
                  struct hlc_result *res, uint32_t now_ms);
    /** The answer went out at @p now_ms (sequence timer, performance budget). */
    void (*sent)(struct hlc *h, uint32_t now_ms);
    /** Time passed without a request: HLC_EVT_TIMEOUT once when a timer expired. */
    uint32_t (*tick)(struct hlc *h, uint32_t now_ms);
    /** The session is over (stopped, failed, timed out). */
    bool (*over)(const struct hlc *h);
};

/** The V2G protocols this interface knows (config names "din", "iso2", "iso20"). */
enum hlc_protocol {
    HLC_PROTO_DIN = 0,      /**< DIN SPEC 70121 (CFG_HLC_DIN) */
    HLC_PROTO_ISO2,         /**< ISO 15118-2 DC EIM (CFG_HLC_ISO2) */
    HLC_PROTO_ISO20,        /**< ISO 15118-20 DC EIM (CFG_HLC_ISO20) */
    HLC_PROTO_COUNT
};

/** What carries the V2G connection: ISO-20 runs over TLS 1.3 only ([V2G20-1235],
 *  [V2G20-2356]); the handshake leaves -20 out of the match otherwise. */
enum hlc_transport {
    HLC_TRANSPORT_UNKNOWN = 0,  /**< not said (tools, fuzzers, benches): no restriction */
    HLC_TRANSPORT_TCP,          /**< plain TCP: -20 only with iso20_plain_tcp (lab) */
    HLC_TRANSPORT_TLS12,        /**< TLS 1.2: never -20 */
    HLC_TRANSPORT_TLS13,
};

/** Which protocols a connector offers, best first (`v2g.protocols`). */
struct hlc_protocols {
    enum hlc_protocol list[HLC_PROTOCOLS_MAX];
    uint8_t count;
};

/** Configuration of the protocols of one connector. */
struct hlc_config {
    struct hlc_protocols protocols;    /**< default: "din" */
#if CFG_HLC_DIN
    struct din_evse_config din;
#endif
#if CFG_HLC_ISO2
    struct iso2_evse_config iso2;
#endif
#if CFG_HLC_ISO20
    struct iso20_evse_config iso20;
    /** Lab switch: select -20 over plain TCP too (the standard requires TLS 1.3; dSPACE
     *  labs run -20 AC over TCP). Default false. */
    bool iso20_plain_tcp;
#endif
#if CFG_HLC_ISO2
    /** Lab switch: treat a plain TCP link as secure for Plug & Charge (the standard offers
     *  Contract over TLS only; the simulator's link has no TLS). Default false. */
    bool iso2_pnc_plain_tcp;
#endif
};

/** The decoded documents: one at a time, so one union sized for the largest protocol. */
union hlc_docs {
    struct {
        struct exi_apphand_document req, res;
    } app;
#if CFG_HLC_DIN
    struct {
        struct exi_din_document req, res;
    } din;
#endif
#if CFG_HLC_ISO2
    struct {
        struct exi_iso2_document req, res;
    } iso2;
#endif
#if CFG_HLC_ISO20
    /** -20 has two grammars; a request is one of them and so is its answer. */
    struct {
        union {
            struct exi_iso20_document common;
            struct exi_iso20_dc_document dc;
        } req, res;
    } iso20;
#endif
};

/** The protocol machines: one runs at a time. */
union hlc_machine {
    uint8_t none;
#if CFG_HLC_DIN
    struct {
        struct din_evse m;
        struct din_evse_request last; /**< the last answer (for judges: replay, fuzzer) */
    } din;
#endif
#if CFG_HLC_ISO2
    struct {
        struct iso2_evse m;
        struct iso2_evse_request last;
    } iso2;
#endif
#if CFG_HLC_ISO20
    struct {
        struct iso20_evse m;
        struct iso20_evse_request last;
    } iso20;
#endif
};

/** One connector's V2G session. Only hlc*.c touch the fields (the judges read docs). */
struct hlc {
    struct hlc_config cfg;
    hlc_session_id_fn new_id;
    void *id_ctx;
    const struct hlc_backend_ops *active; /**< the protocol negotiated, NULL before */
    struct hlc_ev ev;                     /**< the EV's latest values (neutral copy) */
    union hlc_machine m;
    union hlc_docs doc;
#if CFG_HLC_ISO2
    /** A paused ISO-2 session: outlives hlc_reset() (the EV comes back on a new connection
     *  with its ID, [V2G2-741]); the next ISO-2 session may join it once. */
    struct iso2_evse_resume iso2_paused;
#endif
#if CFG_HLC_ISO20
    /** A paused ISO-20 session, kept like iso2_paused ([V2G20-1541]). */
    struct iso20_evse_resume iso20_paused;
#endif
    /** The V2GTP payload type of the payload hlc_handle() is given next (hlc_set_payload_type). */
    uint16_t rx_type;
    enum hlc_transport transport;         /**< of the connection (hlc_set_transport) */
#if CFG_HLC_ISO2
    /** The Plug & Charge context lent to every ISO-2 session (hlc_set_iso2_pnc), or NULL:
     *  Contract is never offered. The caller's storage; `secure` and `now_s` are set here. */
    struct iso2_evse_pnc *iso2_pnc;
#endif
};

#if CFG_HLC_DIN
/** The DIN 70121 backend (firmware/hlc_din.c). */
extern const struct hlc_backend_ops hlc_din_ops;
#endif
#if CFG_HLC_ISO2
/** The ISO 15118-2 DC EIM backend (firmware/hlc_iso2.c). */
extern const struct hlc_backend_ops hlc_iso2_ops;
#endif
#if CFG_HLC_ISO20
/** The ISO 15118-20 DC EIM backend (firmware/hlc_iso20.c). */
extern const struct hlc_backend_ops hlc_iso20_ops;
#endif

/** @brief Defaults: protocols "din", the DIN and ISO-2 machines' standard values. */
void hlc_default_config(struct hlc_config *cfg);

/* The priority list (firmware/hlc_protocols.c: no backend linked, so that configuration
 * readers and their fuzzers can check it alone). */

/** @brief The default list: "din" (every enabled protocol when DIN is compiled out). */
void hlc_default_protocols(struct hlc_protocols *out);

/**
 * @brief Parse a priority list ("din", "din,iso2"; commas and/or spaces) into @p out.
 * @param reason NULL or a buffer for why the list was refused
 * @retval HAL_OK     @p out holds the list, best first
 * @retval HAL_EINVAL empty, an unknown name, a protocol not enabled in this build, a name
 *                    twice, or more than HLC_PROTOCOLS_MAX
 */
int hlc_parse_protocols(const char *text, struct hlc_protocols *out, char *reason, size_t cap);

/** @brief Config name of @p p ("din"), "?" when out of range. */
const char *hlc_protocol_name(enum hlc_protocol p);

/** @brief True when @p p has a backend compiled in. */
bool hlc_protocol_enabled(enum hlc_protocol p);

/** @brief The backend of @p p, or NULL when it is not compiled in. */
const struct hlc_backend_ops *hlc_backend(enum hlc_protocol p);

/**
 * @brief Prepare @p h (no session yet). @p new_id draws every session ID.
 * @retval HAL_EINVAL NULL, no protocol in the list
 */
int hlc_init(struct hlc *h, const struct hlc_config *cfg, hlc_session_id_fn new_id, void *id_ctx);

/**
 * @brief Change the priority list; it takes effect at the next handshake (a running
 *        session keeps its protocol). The replay tool follows each recorded session's
 *        protocol with it.
 * @retval HAL_EINVAL empty, too long, or a protocol without a backend
 */
int hlc_set_protocols(struct hlc *h, const struct hlc_protocols *list);

/**
 * @brief A supportedAppProtocolReq that arrives while a protocol session runs (the car
 *        dropped its connection and started over on a new one): the answer that refuses
 *        it, Failed_NoNegotiation, so the car is told at once instead of timing out. The
 *        running session is not touched; ending it is the caller's (docs/interop.md).
 * @retval HAL_OK     @p in is a supportedAppProtocolReq; @p out_len bytes of answer
 * @retval HAL_EPROTO @p in is not one (nothing written)
 * @retval HAL_ENOMEM @p cap too small; HAL_EINVAL a NULL argument
 */
int hlc_refuse_handshake(struct hlc *h, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                         size_t *out_len);

/** @brief Forget the session: the next payload is a supportedAppProtocolReq again. */
void hlc_reset(struct hlc *h);

/** @brief Forget a paused session (ISO-2, ISO-20): a new car plugged in, or the paused one timed out;
 *         hlc_reset() keeps it so that the next connection can join it. */
void hlc_drop_pause(struct hlc *h);

/** @brief Start @p b without a handshake (benchmarks, fuzzers): draws the session ID. */
int hlc_start(struct hlc *h, const struct hlc_backend_ops *b, uint32_t now_ms);

/**
 * @brief The one entry point: one V2GTP EXI payload in, the answer's bytes out.
 *
 * Before a protocol is negotiated the payload is a supportedAppProtocolReq: the list is
 * matched, the answer encoded, and on success the chosen backend started with a fresh
 * session ID (res->protocol names it). Afterwards it is the negotiated protocol's request:
 * decoded, @p status asked for @p evse, handled, encoded.
 * @param evse     storage of the charger's status (the caller's, persists)
 * @param out_len  bytes to send (0: nothing; see res->error)
 * @retval HAL_OK  an answer was decided (res->events etc.); send @p out_len bytes if > 0
 * @retval other   nothing to send; res->error says why
 */
int hlc_handle(struct hlc *h, const uint8_t *in, size_t len, struct hlc_evse *evse,
               hlc_status_fn status, void *ctx, uint8_t *out, size_t cap, size_t *out_len,
               struct hlc_result *res, uint32_t now_ms);

/**
 * @brief The V2GTP payload type of the next payload given to hlc_handle() (HLC_PT_EXI
 *        unless set). ISO 15118-20 picks its EXI grammar by it (0x8002 common, 0x8004 DC);
 *        DIN and ISO-2 take 0x8001 only. The answer's type is hlc_result.payload_type.
 */
void hlc_set_payload_type(struct hlc *h, uint16_t type);

/** @brief What carries the connection (survives hlc_reset; set it per connection). */
void hlc_set_transport(struct hlc *h, enum hlc_transport t);

#if CFG_HLC_ISO2
/**
 * @brief Lend the ISO-2 Plug & Charge context (crypto port, random source, parsed
 *        mobility-operator roots, scratch; its hooks filled by iso2_evse_pnc_init(), which
 *        only the board that makes it links) to every ISO-2 session of @p h; NULL takes it
 *        back. Each session gets `secure` from the transport (TLS, or plain TCP with
 *        cfg.iso2_pnc_plain_tcp) and `now_s` from hlc_evse.unix_time_s of each request.
 *        Contract is offered only with cfg.iso2.offer_contract as well.
 */
void hlc_set_iso2_pnc(struct hlc *h, struct iso2_evse_pnc *pnc);
#endif

/** @brief The answer was handed to the transport. */
void hlc_sent(struct hlc *h, uint32_t now_ms);
/** @brief Protocol timers between requests: HLC_EVT_TIMEOUT once, else 0. */
uint32_t hlc_tick(struct hlc *h, uint32_t now_ms);
/** @brief A protocol is negotiated and its session is not over. */
bool hlc_running(const struct hlc *h);
/** @brief The negotiated protocol's session is over (true without one). */
bool hlc_over(const struct hlc *h);
/** @brief The EV's latest values (zero before a session). */
const struct hlc_ev *hlc_ev(const struct hlc *h);
/** @brief The negotiated backend, or NULL. */
const struct hlc_backend_ops *hlc_active(const struct hlc *h);

/** @brief "session_setup", "current_demand", ... */
const char *hlc_msg_name(enum hlc_msg m);
/** @brief "undecodable", "no common protocol", ... */
const char *hlc_error_name(enum hlc_error e);
/** @brief "none", "RESS temperature", ... */
const char *hlc_ev_error_name(enum hlc_ev_error e);

#endif /* HLC_H */
