/**
 * @file infy_frame.h
 * @brief InfyPower REG/CEG/LRG CAN protocol V1.13: identifiers, request encoding and
 *        response decoding. Pure functions: no state, no clock, no I/O.
 *
 * Identifier (29 bits, extended frames only): error(3) device(4) command(6) dst(8)
 * src(8). The extended flag lives in hal_can_frame.flags, never in the id.
 * All multi-byte payload fields are big-endian. See docs/power-stage.md.
 */
#ifndef INFY_FRAME_H
#define INFY_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "hal_can.h"

#define INFY_DEV_SINGLE 0x0Au /**< device field: one module, point to point */
#define INFY_DEV_GROUP 0x0Bu  /**< device field: a module group */

#define INFY_ADDR_CONTROLLER 0xF0u /**< default controller address */
#define INFY_ADDR_INTERNAL 0xF8u   /**< modules' internal controller: never ours */
#define INFY_ADDR_MODULE_MAX 0x3Bu /**< highest module address (0..59 = 60 modules) */
#define INFY_ADDR_BROADCAST 0x3Fu

/** Command numbers used by the driver (V1.13), plus the internal one it filters. */
enum infy_cmd {
    INFY_CMD_GROUP_COUNT = 0x02, /**< group module count */
    INFY_CMD_READ_VI = 0x03,     /**< output voltage/current, float32 */
    INFY_CMD_STATUS = 0x04,      /**< group, temperature, status bytes */
    INFY_CMD_CAPS = 0x0A,        /**< max/min voltage, max current, rated power */
    INFY_CMD_BARCODE = 0x0B,     /**< serial number */
    INFY_CMD_AFTER_DIODE = 0x0C, /**< bus voltage and available current */
    INFY_CMD_INTERNAL = 0x17,    /**< module-to-module traffic, dropped */
    INFY_CMD_ONOFF = 0x1A,       /**< byte 0: 0 = on, 1 = off */
    INFY_CMD_SET_VI = 0x1C,      /**< u32 mV, u32 mA */
};

/** Error-code field of a response. */
enum infy_id_err {
    INFY_ERR_NONE = 0x0,
    INFY_ERR_COMMAND_INVALID = 0x2,
    INFY_ERR_DATA_INVALID = 0x3,
    INFY_ERR_STARTING = 0x7,
};

/** The five fields of an identifier. */
struct infy_id {
    uint8_t err; /**< 3 bits */
    uint8_t dev; /**< 4 bits */
    uint8_t cmd; /**< 6 bits */
    uint8_t dst;
    uint8_t src;
};

/* Status bits (command 0x04): bit number b of state byte k is INFY_ST(k, b). */
#define INFY_ST(k, b) (1ul << ((k) * 8u + (b)))
#define INFY_ST_SHORT_CIRCUIT INFY_ST(0, 0)
#define INFY_ST_SLEEPING INFY_ST(0, 4)
#define INFY_ST_DISCHARGE_ABNORMAL INFY_ST(0, 5)
#define INFY_ST_DC_OFF INFY_ST(1, 0)
#define INFY_ST_FAULT_ALARM INFY_ST(1, 1)
#define INFY_ST_PROTECTION INFY_ST(1, 2)
#define INFY_ST_FAN_FAULT INFY_ST(1, 3)
#define INFY_ST_OVER_TEMP INFY_ST(1, 4)
#define INFY_ST_OUTPUT_OVER_VOLTAGE INFY_ST(1, 5)
#define INFY_ST_WALK_IN INFY_ST(1, 6)
#define INFY_ST_COMM_INTERRUPT INFY_ST(1, 7)
#define INFY_ST_POWER_LIMITING INFY_ST(2, 0)
#define INFY_ST_ID_REPEATED INFY_ST(2, 1)
#define INFY_ST_LOAD_SHARING INFY_ST(2, 2)
#define INFY_ST_PHASE_LOST INFY_ST(2, 3)
#define INFY_ST_INPUT_UNBALANCED INFY_ST(2, 4)
#define INFY_ST_INPUT_UNDER_VOLTAGE INFY_ST(2, 5)
#define INFY_ST_INPUT_OVER_VOLTAGE INFY_ST(2, 6)
#define INFY_ST_PFC_OFF INFY_ST(2, 7)

/** Decoded 0x04 response. */
struct infy_status {
    uint8_t group;
    int8_t temperature_c;
    uint32_t bits; /**< state2 << 16 | state1 << 8 | state0 (payload bytes 5, 6, 7) */
};

/** Decoded 0x0A response, in milli-units and watts. */
struct infy_caps {
    uint32_t max_voltage_mv;
    uint32_t min_voltage_mv;
    uint32_t max_current_ma;
    uint32_t rated_power_w;
};

/** Size of a decoded barcode string including its NUL. */
#define INFY_SERIAL_SIZE 20

/** @brief Pack the five fields: `err<<26 | dev<<22 | cmd<<16 | dst<<8 | src` (fields masked). */
uint32_t infy_id_encode(const struct infy_id *id);

/** @brief Split a raw identifier; bits above 28 are ignored. */
void infy_id_decode(uint32_t raw, struct infy_id *id);

/**
 * @brief True for module-to-module traffic (cmd 0x17 to 0xF8..0xFF, error field 1,
 *        device 0xD): ID & 0x1FFFF800 == 0x0757F800.
 */
bool infy_is_internal(uint32_t raw);

/**
 * @brief A read request (8 zero bytes), extended frame.
 * @param dev INFY_DEV_SINGLE or INFY_DEV_GROUP
 */
void infy_req_read(struct hal_can_frame *f, uint8_t dev, enum infy_cmd cmd, uint8_t dst,
                   uint8_t src);

/** @brief 0x1A switch request: byte 0 = 0x00 on, 0x01 off. */
void infy_req_onoff(struct hal_can_frame *f, uint8_t dst, uint8_t src, bool on);

/** @brief 0x1C setpoint request: u32 BE mV, u32 BE mA. */
void infy_req_set_vi(struct hal_can_frame *f, uint8_t dst, uint8_t src, uint32_t voltage_mv,
                     uint32_t current_ma);

/**
 * @brief An IEEE-754 binary32 value (its bits) times 1000, rounded to the nearest
 *        integer, computed with integers only (no FPU, same result on every target).
 * @retval HAL_OK @p milli is set
 * @retval HAL_EINVAL NaN or infinity
 * @retval HAL_EOVERFLOW |value * 1000| does not fit an int32
 */
int infy_f32_to_milli(uint32_t bits, int32_t *milli);

/**
 * @brief Decode a 0x03 payload (float32 V, float32 A).
 * @retval HAL_OK both set
 * @retval HAL_EPROTO a value is NaN, infinite, or beyond +-100,000 (V or A): not a reading
 */
int infy_decode_vi(const uint8_t d[8], int32_t *voltage_mv, int32_t *current_ma);

/** @brief Decode a 0x04 payload. Cannot fail: every byte pattern is a status. */
void infy_decode_status(const uint8_t d[8], struct infy_status *st);

/**
 * @brief Decode a 0x0A payload (1 V/bit, 1 V/bit, 0.1 A/bit, 10 W/bit).
 * @retval HAL_OK @p c is set
 * @retval HAL_EPROTO max voltage 0, min above max, or max current 0
 */
int infy_decode_caps(const uint8_t d[8], struct infy_caps *c);

/** @brief Decode a 0x0C payload (0.1 V/bit bus voltage, 0.1 A/bit available current). */
void infy_decode_after_diode(const uint8_t d[8], uint32_t *bus_voltage_mv, uint32_t *available_ma);

/** @brief Module count of a 0x02 payload (byte 2). */
uint8_t infy_decode_group_count(const uint8_t d[8]);

/**
 * @brief Serial string of a 0x0B payload: hex of bytes 1..7 then the character of byte 0
 *        (EVerest's identity rule; the vendor's packing is not documented). A byte 0 that
 *        is not printable ASCII becomes '?'.
 * @param out at least INFY_SERIAL_SIZE bytes; always NUL-terminated (15 characters)
 */
void infy_decode_barcode(const uint8_t d[8], char out[INFY_SERIAL_SIZE]);

#endif /* INFY_FRAME_H */
