/**
 * @file huawei_regs.h
 * @brief The dispenser's Modbus register map for a Huawei FusionCharge power unit
 *        (../shared/spec/huawei-fusioncharge.md §2, §3), served on the TCP connection the
 *        dispenser opened (reversed roles: the unit is the Modbus client), the MBAP framing
 *        and the unsolicited report (FC 0x41 / sub 0x91). Static memory, no I/O.
 *
 * Every register of the sheet is a typed value of one or more 16-bit words. The unit may
 * read any of them (FC 0x03) and write only those it owns (direction P, FC 0x06/0x10),
 * whole values at once and inside the range the sheet gives; anything else gets a Modbus
 * exception and changes nothing.
 */
#ifndef HUAWEI_REGS_H
#define HUAWEI_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

#define HUAWEI_CONN_MAX 4u
#define HUAWEI_WORDS_COMMON 280u
#define HUAWEI_WORDS_CONN 80u
#define HUAWEI_MBAP_LEN 7u
#define HUAWEI_ADU_MAX 260u /**< MBAP + the largest Modbus PDU */
#define HUAWEI_REPORT_MAX 256u

/* Modbus exception codes. */
#define HUAWEI_EX_FUNCTION 0x01u
#define HUAWEI_EX_ADDRESS 0x02u
#define HUAWEI_EX_VALUE 0x03u

/* Dispenser common registers (D). */
#define HUAWEI_R_MANUFACTURER 0x0000u
#define HUAWEI_R_MODEL 0x0001u
#define HUAWEI_R_PROTO_VERSION 0x0002u
#define HUAWEI_R_HW_VERSION 0x0004u
#define HUAWEI_R_SW_VERSION 0x0013u /* STRING[48] */
#define HUAWEI_R_CONNECTORS 0x1015u
#define HUAWEI_R_ESN 0x1016u /* STRING[22] */
#define HUAWEI_R_TIME 0x1024u
#define HUAWEI_R_DOOR_ALARM 0x3001u
#define HUAWEI_R_WATER_ALARM 0x3002u
#define HUAWEI_R_EPO_ALARM 0x3003u
#define HUAWEI_R_TILT_ALARM 0x3004u
/* Per connector (add huawei_conn_offset()). */
#define HUAWEI_R_ENERGY 0x1100u /* double */
#define HUAWEI_R_CONN_TYPE 0x1104u
#define HUAWEI_R_MAX_CURRENT 0x1105u
#define HUAWEI_R_OUT_VOLTAGE 0x1107u
#define HUAWEI_R_OUT_CURRENT 0x1109u
#define HUAWEI_R_WORKING_STATUS 0x110Bu
#define HUAWEI_R_CONNECTION 0x110Du
#define HUAWEI_R_GLOBAL_NO 0x110Eu
#define HUAWEI_R_UPSTREAM_V 0x1113u
#define HUAWEI_R_DISP_MAC 0x114Du
#define HUAWEI_R_CONTACTOR 0x1154u
#define HUAWEI_R_LOCK 0x1156u
#define HUAWEI_R_EVENT 0x117Eu
#define HUAWEI_R_PSU_MAX_V 0x2100u
#define HUAWEI_R_PSU_MAX_I 0x2102u
#define HUAWEI_R_PSU_MIN_V 0x2105u
#define HUAWEI_R_PSU_MIN_I 0x2107u
#define HUAWEI_R_RATED_POWER 0x2109u
#define HUAWEI_R_KEY 0x2115u /* BYTES[48] */
#define HUAWEI_R_PSU_POWER 0x212Du
#define HUAWEI_R_PORT_AVAILABLE 0x212Fu
#define HUAWEI_R_CONTACTOR_FAULT 0x3105u
#define HUAWEI_R_INVERSE_ALARM 0x3115u
/* Power unit (P). */
#define HUAWEI_R_PSU_MANUFACTURER 0x0100u
#define HUAWEI_R_PSU_SW 0x0103u
#define HUAWEI_R_PSU_ESN 0x011Bu
#define HUAWEI_R_RUNNING_MODE 0x2006u
#define HUAWEI_R_AC_VOLTAGE_A 0x2007u
#define HUAWEI_R_AC_CURRENT_A 0x200Du
#define HUAWEI_R_INPUT_ENERGY 0x2013u
#define HUAWEI_R_PSU_MAC 0x2111u
#define HUAWEI_R_ALARM_FIRST 0x4000u
#define HUAWEI_R_ALARM_EPO 0x4004u
#define HUAWEI_R_ALARM_INSULATION 0x4011u
#define HUAWEI_R_ALARM_CERT 0x4012u

/** 0x2006 values. */
enum huawei_running_mode {
    HUAWEI_PSU_STARTING_UP = 0,
    HUAWEI_PSU_RUNNING = 1,
    HUAWEI_PSU_FAULTY = 2,
    HUAWEI_PSU_SLEEPING = 3,
    HUAWEI_PSU_UPGRADING = 4,
};

/** What the unit's writes changed, accumulated until huawei_regs_take_changes(). */
#define HUAWEI_CHG_KEY(c) (1u << (c))        /**< connector c's key (0-based), whole */
#define HUAWEI_CHG_CAPS(c) (1u << (4u + (c))) /**< connector c's capabilities / availability */
#define HUAWEI_CHG_MAC (1u << 8)              /**< the unit's MAC */
#define HUAWEI_CHG_MODE (1u << 9)             /**< running mode */
#define HUAWEI_CHG_ALARMS (1u << 10)          /**< a PSU alarm register */
#define HUAWEI_CHG_OTHER (1u << 11)           /**< anything else (AC values, versions) */

/** The register image of one dispenser. */
struct huawei_regs {
    uint8_t connectors; /**< 1..4 */
    uint16_t common[HUAWEI_WORDS_COMMON];
    uint16_t conn[HUAWEI_CONN_MAX][HUAWEI_WORDS_CONN];
    uint32_t changes;
};

/** @brief Register offset of local connector 1..4 (0 for anything else). */
uint16_t huawei_conn_offset(unsigned local);

/** @brief Empty map for @p connectors (1..4). @retval HAL_EINVAL bad count */
int huawei_regs_init(struct huawei_regs *r, unsigned connectors);

/* Typed access by sheet address. @p local is 1..4 for per-connector registers, 0 for the
 * others. Return HAL_ENOENT for an address that is not a value of that type. */
int huawei_regs_set_u16(struct huawei_regs *r, unsigned local, uint16_t addr, uint16_t v);
int huawei_regs_set_u32(struct huawei_regs *r, unsigned local, uint16_t addr, uint32_t v);
int huawei_regs_set_f32(struct huawei_regs *r, unsigned local, uint16_t addr, float v);
int huawei_regs_set_f64(struct huawei_regs *r, unsigned local, uint16_t addr, double v);
/** STRING or BYTES: @p len bytes, NUL padded to the register's size. */
int huawei_regs_set_bytes(struct huawei_regs *r, unsigned local, uint16_t addr, const void *b, size_t len);
int huawei_regs_get_u16(const struct huawei_regs *r, unsigned local, uint16_t addr, uint16_t *v);
int huawei_regs_get_u32(const struct huawei_regs *r, unsigned local, uint16_t addr, uint32_t *v);
int huawei_regs_get_f32(const struct huawei_regs *r, unsigned local, uint16_t addr, float *v);
int huawei_regs_get_f64(const struct huawei_regs *r, unsigned local, uint16_t addr, double *v);
/** Copy min(size, @p cap) bytes of a STRING/BYTES register; @p len gets the register's size. */
int huawei_regs_get_bytes(const struct huawei_regs *r, unsigned local, uint16_t addr, void *b, size_t cap,
                          size_t *len);

/** @brief One word at a raw address (what FC 0x03 would read). @retval HAL_ENOENT no register */
int huawei_regs_read_word(const struct huawei_regs *r, uint16_t addr, uint16_t *v);

/** @brief The change flags gathered since the last call (HUAWEI_CHG_*), cleared. */
uint32_t huawei_regs_take_changes(struct huawei_regs *r);

/**
 * @brief Serve one Modbus request PDU (function code first) from the unit.
 * @param[out] out the response PDU (possibly an exception), @p olen its length
 * @retval HAL_OK a response is in @p out (check out[0] & 0x80 for an exception)
 * @retval HAL_EOVERFLOW @p cap too small (HUAWEI_ADU_MAX always fits)
 */
int huawei_modbus_serve(struct huawei_regs *r, const uint8_t *pdu, size_t len, uint8_t *out, size_t cap,
                        size_t *olen);

/** One MBAP-framed ADU found in a byte stream. */
struct huawei_mbap {
    uint16_t tid;
    uint8_t unit;
    size_t pdu_off; /**< from the start of the stream buffer */
    size_t pdu_len;
    size_t frame_len; /**< bytes to drop from the stream */
};

/**
 * @brief Find the first ADU at the start of @p buf.
 * @retval HAL_OK @p m describes it
 * @retval HAL_EAGAIN not complete yet
 * @retval HAL_EPROTO protocol id not 0, or a length outside 2..254: the stream is lost
 */
int huawei_mbap_split(const uint8_t *buf, size_t len, struct huawei_mbap *m);

/** @brief Write an MBAP header for a @p pdu_len PDU at @p out (7 bytes). */
void huawei_mbap_put(uint8_t *out, uint16_t tid, uint8_t unit, size_t pdu_len);

/**
 * @brief Encode a whole unsolicited report (MBAP with unit id 0, FC 0x41 / sub 0x91) of every
 *        U register; 0x117E of a connector only when @p events has its bit (1 << (local-1)).
 * @retval HAL_OK @p len bytes @retval HAL_EOVERFLOW @p cap too small
 */
int huawei_report_encode(const struct huawei_regs *r, uint16_t tid, unsigned events, bool want_answer,
                         uint8_t *out, size_t cap, size_t *len);

/**
 * @brief Parse the unit's answer PDU to a report (FC 0x41, or its exception 0xC1).
 * @retval HAL_OK @p success is set @retval HAL_EPROTO not such an answer
 */
int huawei_report_parse_answer(const uint8_t *pdu, size_t len, bool *success);

#endif /* HUAWEI_REGS_H */
