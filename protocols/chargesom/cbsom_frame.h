/**
 * @file cbsom_frame.h
 * @brief chargebyte Charge SOM safety-controller UART protocol: the 12-byte frame
 *        (A5 id payload[8] crc8 03), its CRC-8 (SAE J1850), a byte-wise resynchronising
 *        parser, and the signals of the frames a charger uses, both directions (the host
 *        side in cbsom_host.c, the simulated co-processor in tools/cbsomsim use the same
 *        code). Pure: no clock, no I/O, no heap.
 *
 * Bit positions follow ../shared/spec/linux-board-io.md §3 (byte.bit, byte 0 = first
 * payload byte, bit 7 = its MSB). ChargeState1 is decoded in the layout of ra-utils
 * >= v0.9.0 (contactor fields 0 undefined, 1 open, 2 closed, 3 unused), which firmware
 * 0.3.x speaks; older firmware is refused by the host after its version inquiry.
 */
#ifndef CBSOM_FRAME_H
#define CBSOM_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CBSOM_FRAME_LEN 12u
#define CBSOM_PAYLOAD_LEN 8u
#define CBSOM_SOF 0xA5u
#define CBSOM_EOF 0x03u
#define CBSOM_DUTY_MAX 1000u /**< 0.1 % units */
#define CBSOM_CONTACTORS 3u
#define CBSOM_TEMPS 4u

/** Message identifiers (§3.3) this code knows. */
enum cbsom_id {
    CBSOM_ID_CHARGE_CONTROL1 = 0x06, /**< host -> MCU, every 100 ms and on change */
    CBSOM_ID_CHARGE_STATE1 = 0x07,   /**< MCU -> host, every 100 ms */
    CBSOM_ID_PT1000 = 0x08,          /**< MCU -> host, every 100 ms */
    CBSOM_ID_FW_VERSION = 0x0A,      /**< MCU -> host, answer to an inquiry */
    CBSOM_ID_GIT_HASH = 0x0B,        /**< MCU -> host, answer to an inquiry */
    CBSOM_ID_ERROR = 0x0E,           /**< MCU -> host, event */
    CBSOM_ID_ACTION = 0xFE,          /**< MCU -> host, answer to an action inquiry */
    CBSOM_ID_INQUIRY = 0xFF,         /**< host -> MCU */
};

/** One checked frame. */
struct cbsom_frame {
    uint8_t id;
    uint8_t payload[CBSOM_PAYLOAD_LEN];
};

/** CP states as the MCU classifies them (CS_CurrentCpState). */
enum cbsom_cp {
    CBSOM_CP_UNKNOWN = 0,
    CBSOM_CP_A,
    CBSOM_CP_B,
    CBSOM_CP_C,
    CBSOM_CP_D,
    CBSOM_CP_E,
    CBSOM_CP_F,
    CBSOM_CP_INVALID,
};

/** Contactor field of ChargeState1 (new layout). */
enum cbsom_contactor {
    CBSOM_CONT_UNDEFINED = 0,
    CBSOM_CONT_OPEN = 1,
    CBSOM_CONT_CLOSED = 2,
    CBSOM_CONT_UNUSED = 3,
};

/** E-stop field of ChargeState1. */
enum cbsom_estop {
    CBSOM_ESTOP_OK = 0,
    CBSOM_ESTOP_TRIPPED = 1,
    CBSOM_ESTOP_RESERVED = 2,
    CBSOM_ESTOP_UNUSED = 3,
};

/** Safe-state reasons (ChargeState1 byte 6) the host treats specially. */
#define CBSOM_REASON_NONE 0u
#define CBSOM_REASON_COMM_TIMEOUT 2u
#define CBSOM_REASON_HV_SWITCH 15u
#define CBSOM_REASON_ESTOP1 16u
#define CBSOM_REASON_ESTOP3 18u

/** ChargeControl1 (0x06): what the host asks for. */
struct cbsom_control {
    bool pwm_active;                  /**< false: pilot at 0 V (state E) */
    uint16_t duty;                    /**< 0..1000, 0.1 % (0 = F, 1000 = X1) */
    bool contactor[CBSOM_CONTACTORS]; /**< close requests */
};

/** ChargeState1 (0x07): what the MCU reports. */
struct cbsom_state {
    bool pwm_active;
    uint16_t duty;
    uint8_t safe_state; /**< 0 normal, 1 safe state, 3 not available */
    enum cbsom_cp cp;
    bool cp_short, diode_fault;
    uint8_t pp;         /**< 0 no cable .. 7 error (§3.6) */
    bool hv_ready;
    enum cbsom_contactor contactor[CBSOM_CONTACTORS];
    enum cbsom_estop estop[3];
    uint8_t rcm;
    uint8_t reason;     /**< safe-state reason */
};

/** PT1000State (0x08). */
struct cbsom_temps {
    int16_t deci_c[CBSOM_TEMPS]; /**< 0.1 degC */
    bool used[CBSOM_TEMPS];      /**< false: 0x1FFF, sensor not used */
    bool selftest_failed[CBSOM_TEMPS];
    bool stops_charging[CBSOM_TEMPS];
};

/** FirmwareVersion (0x0A). */
struct cbsom_version {
    uint8_t major, minor, build, platform, application;
};

/** ErrorMessage (0x0E). */
struct cbsom_error {
    bool active;
    uint16_t module; /**< 15 bits */
    uint16_t reason;
    uint16_t data1, data2;
};

/** Byte-wise receiver: resynchronises on every damaged frame. */
struct cbsom_parser {
    uint8_t buf[CBSOM_FRAME_LEN];
    uint8_t len;
    uint32_t frames;     /**< good frames returned */
    uint32_t bad_crc;    /**< 12 bytes with SOF and EOF but a wrong CRC */
    uint32_t bad_frame;  /**< 12 bytes from a SOF without the EOF (wrong length, noise) */
    uint32_t skipped;    /**< bytes dropped while looking for a SOF */
};

/** @brief CRC-8 SAE J1850 (poly 0x1D, init 0xFF, xorout 0xFF) of @p len bytes. */
uint8_t cbsom_crc8(const uint8_t *data, size_t len);

/** @brief Build the 12 wire bytes of @p f into @p out. */
void cbsom_frame_encode(const struct cbsom_frame *f, uint8_t out[CBSOM_FRAME_LEN]);

/** @brief Empty the parser and zero its counters. */
void cbsom_parser_init(struct cbsom_parser *p);

/**
 * @brief Take one received byte.
 * @return true when @p out holds a frame with SOF, EOF and CRC right (any id: the caller
 *         judges the id); false otherwise. A damaged 12-byte window is counted and only its
 *         first byte dropped: the next SOF inside it may start the real frame.
 */
bool cbsom_parser_feed(struct cbsom_parser *p, uint8_t byte, struct cbsom_frame *out);

/** @brief Forget a partial frame (after a reset of the co-processor). */
void cbsom_parser_flush(struct cbsom_parser *p);

void cbsom_control_encode(const struct cbsom_control *c, struct cbsom_frame *f);
/** @retval false @p f is not a ChargeControl1 or sets bits that must be 0 */
bool cbsom_control_decode(const struct cbsom_frame *f, struct cbsom_control *c);

void cbsom_state_encode(const struct cbsom_state *s, struct cbsom_frame *f);
/** @retval false @p f is not a ChargeState1, or its duty is above 1000 */
bool cbsom_state_decode(const struct cbsom_frame *f, struct cbsom_state *s);

void cbsom_temps_encode(const struct cbsom_temps *t, struct cbsom_frame *f);
bool cbsom_temps_decode(const struct cbsom_frame *f, struct cbsom_temps *t);

void cbsom_version_encode(const struct cbsom_version *v, struct cbsom_frame *f);
bool cbsom_version_decode(const struct cbsom_frame *f, struct cbsom_version *v);

void cbsom_error_encode(const struct cbsom_error *e, struct cbsom_frame *f);
bool cbsom_error_decode(const struct cbsom_frame *f, struct cbsom_error *e);

/** @brief An Inquiry (0xFF) for message @p wanted. */
void cbsom_inquiry_encode(uint8_t wanted, struct cbsom_frame *f);

/** @brief Name of a CP state ("A".."F", "unknown", "invalid"). */
const char *cbsom_cp_name(enum cbsom_cp cp);

#endif /* CBSOM_FRAME_H */
