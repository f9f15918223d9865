/**
 * @file huawei_goose.h
 * @brief GOOSE frames between a dispenser and a Huawei FusionCharge V100R023C10 power unit
 *        (../shared/spec/huawei-fusioncharge.md §5, §6): Ethernet/802.1Q framing, the
 *        goosePdu with Huawei's data entries, the CRC-16 in reserved2 and the HMAC-SHA256
 *        trailer. Pure functions: no state, no clock, no I/O.
 */
#ifndef HUAWEI_GOOSE_H
#define HUAWEI_GOOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

#define HUAWEI_GOOSE_ETHERTYPE 0x88B8u
#define HUAWEI_GOOSE_KEY_LEN 48u  /**< the key the unit writes to 0x2115 */
#define HUAWEI_GOOSE_HMAC_LEN 32u
#define HUAWEI_GOOSE_FRAME_MAX 256u /**< our frames are ~150 bytes; longer input is refused */
#define HUAWEI_GOOSE_TTL_MS 10000u
#define HUAWEI_GOOSE_PCP 5u

#define HUAWEI_APPID_POWER_REQUEST 0x0001u
#define HUAWEI_APPID_POWER_REPLY 0x3001u
#define HUAWEI_APPID_SHUTDOWN 0x3002u

/** The three messages of the sheet. */
enum huawei_goose_kind {
    HUAWEI_GOOSE_POWER_REQUEST = 0, /**< dispenser → unit, 8 entries */
    HUAWEI_GOOSE_POWER_REPLY,       /**< unit → dispenser, 9 entries */
    HUAWEI_GOOSE_SHUTDOWN,          /**< dispenser → unit, 5 entries */
};

/** Requirement type of a PowerRequest (entry 2). */
enum huawei_req_type {
    HUAWEI_REQ_PLACEHOLDER = 0x01,     /**< module placeholder (allocation) */
    HUAWEI_REQ_INSULATION = 0x02,      /**< insulation detection voltage output */
    HUAWEI_REQ_INSULATION_STOP = 0x03, /**< insulation detection output stoppage */
    HUAWEI_REQ_PRECHARGE = 0x04,
    HUAWEI_REQ_CHARGING = 0x05,
};

/** Shutdown reasons (§5.3). */
#define HUAWEI_STOP_NORMAL 0x1000u
#define HUAWEI_STOP_INSULATION 0x1003u
#define HUAWEI_STOP_EPO 0x1004u
#define HUAWEI_STOP_CHARGER_FAULT 0x1006u

/** One decoded or to-be-encoded message. Fields a kind does not carry are ignored. */
struct huawei_goose_msg {
    enum huawei_goose_kind kind;
    uint32_t st_num;
    uint32_t sq_num;
    uint32_t ttl_ms;
    uint64_t time_ms;   /**< Unix time of the frame (T) */
    uint16_t connector; /**< global connector number 1..12 */
    uint16_t serial;    /**< charging serial number: 0xFFFF */
    uint16_t req_type;  /**< PowerRequest / reply */
    uint16_t result;    /**< reply: 0 success, 1 failure */
    uint16_t mode;      /**< PowerRequest / reply: 0 none, 1 CV, 2 CC */
    float voltage_v;
    float current_a;
    uint16_t reason; /**< ShutdownRequest */
};

/** Addressing of a frame. */
struct huawei_goose_eth {
    uint8_t dst[6];
    uint8_t src[6];
    bool tagged;      /**< write the 802.1Q tag (the sheet: always, PCP 5 VID 0) */
    uint16_t vlan_id; /**< 0..4094 */
};

/** Why a received frame was refused. */
enum huawei_goose_reject {
    HUAWEI_RX_OK = 0,
    HUAWEI_RX_SHORT,     /**< shorter than its headers or its Length field says */
    HUAWEI_RX_ETHERTYPE, /**< not 0x88B8 */
    HUAWEI_RX_VLAN,      /**< tagged with another VLAN than configured */
    HUAWEI_RX_LENGTH,    /**< Length field and goosePdu disagree */
    HUAWEI_RX_CRC,       /**< reserved2 is not the CRC of the header */
    HUAWEI_RX_BER,       /**< goosePdu malformed, or fields out of order */
    HUAWEI_RX_UNKNOWN,   /**< goID/APPID not one of the sheet's messages */
    HUAWEI_RX_ENTRIES,   /**< wrong number or type of data entries */
    HUAWEI_RX_UNSECURED, /**< no HMAC trailer while HMAC is required */
    HUAWEI_RX_HMAC,      /**< the HMAC does not verify with any key */
    HUAWEI_RX_NO_KEY,    /**< secure frame for a connector that has no key yet */
    HUAWEI_RX_REPLAY,    /**< stNum/sqNum not newer than the last accepted */
    HUAWEI_RX_OWN,       /**< our own frame seen again */
    HUAWEI_RX_REJECT_COUNT,
};

/** Where the security parts of a parsed frame lie (offsets into the frame). */
struct huawei_goose_sec {
    bool secure;
    size_t auth_off; /**< first byte under the HMAC (the EtherType) */
    size_t auth_len;
    size_t mac_off;  /**< the 32-byte HMAC */
    bool tagged;
    uint16_t vlan_id;
    uint16_t appid;
    uint8_t src[6];
};

/** @brief CRC-16/MODBUS (init 0xFFFF, reflected 0xA001, no final XOR). */
uint16_t huawei_crc16(const uint8_t *data, size_t len);

/**
 * @brief Encode a whole Ethernet frame (without FCS).
 * @param key 48-byte session key for a secure frame, or NULL for a plain one
 * @retval HAL_OK @p len bytes written
 * @retval HAL_EOVERFLOW @p cap too small
 * @retval HAL_EINVAL bad kind or VLAN id
 */
int huawei_goose_encode(const struct huawei_goose_msg *m, const struct huawei_goose_eth *eth,
                        const uint8_t *key, uint8_t *out, size_t cap, size_t *len);

/**
 * @brief Parse a received frame: framing, VLAN (@p vlan_id expected when tagged; untagged is
 *        accepted since Linux may strip the tag), CRC, goosePdu and entries. The HMAC is not
 *        checked here: see huawei_goose_verify().
 * @retval HAL_OK @p m and @p sec are filled
 * @retval HAL_EPROTO refused; @p why says why
 */
int huawei_goose_parse(const uint8_t *f, size_t len, uint16_t vlan_id, struct huawei_goose_msg *m,
                       struct huawei_goose_sec *sec, enum huawei_goose_reject *why);

/** @brief Whether the HMAC of a parsed secure frame verifies with the 48-byte @p key. */
bool huawei_goose_verify(const uint8_t *f, const struct huawei_goose_sec *sec, const uint8_t *key);

/** @brief Name of a reject reason ("bad HMAC", ...). */
const char *huawei_goose_reject_name(enum huawei_goose_reject why);

#endif /* HUAWEI_GOOSE_H */
