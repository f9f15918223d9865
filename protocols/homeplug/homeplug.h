/**
 * @file homeplug.h
 * @brief HomePlug AV / Green PHY management messages (MMEs) used by SLAC (ISO 15118-3),
 *        and the Qualcomm vendor MMEs that configure a QCA7000/7005/7420 modem.
 *
 * Pure codec: whole Ethernet frames in and out (destination, source, EtherType 0x88E1,
 * MME). Decoding is strict about what it needs (MMV, fragmentation, the fixed part of
 * each message, length fields) and tolerant of Ethernet padding after the message.
 * Field semantics (RunID match, zero station IDs) are the SLAC machines' business.
 */
#ifndef HOMEPLUG_H
#define HOMEPLUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_err.h"

#define HOMEPLUG_ETHERTYPE 0x88E1u
#define HOMEPLUG_ETH_HDR 14u
#define HOMEPLUG_FRAME_MIN 60u   /**< short frames are padded with zeros to this */
#define HOMEPLUG_FRAME_MAX 1518u
#define HOMEPLUG_RUN_ID_LEN 8u
#define HOMEPLUG_STATION_ID_LEN 17u
#define HOMEPLUG_NMK_LEN 16u
#define HOMEPLUG_NID_LEN 7u
#define HOMEPLUG_GROUPS 58u      /**< carrier groups of an attenuation profile */
#define HOMEPLUG_SW_VER_MAX 254u /**< MVERSION field of VS_SW_VER.CNF */

/** Largest CM_AMP_MAP.REQ map this codec accepts (entries = carriers, 4 bits each). */
#ifndef CFG_HOMEPLUG_AMP_MAP_MAX
#define CFG_HOMEPLUG_AMP_MAP_MAX 1155u
#endif
_Static_assert(CFG_HOMEPLUG_AMP_MAP_MAX >= 1u && CFG_HOMEPLUG_AMP_MAP_MAX <= 2800u,
               "CFG_HOMEPLUG_AMP_MAP_MAX must keep CM_AMP_MAP.REQ inside one frame");

/** Message types (MMTYPE, host order). */
enum homeplug_mmtype {
    HOMEPLUG_CM_SET_KEY_REQ = 0x6008,
    HOMEPLUG_CM_SET_KEY_CNF = 0x6009,
    HOMEPLUG_CM_AMP_MAP_REQ = 0x601C,
    HOMEPLUG_CM_AMP_MAP_CNF = 0x601D,
    HOMEPLUG_CM_SLAC_PARM_REQ = 0x6064,
    HOMEPLUG_CM_SLAC_PARM_CNF = 0x6065,
    HOMEPLUG_CM_START_ATTEN_CHAR_IND = 0x606A,
    HOMEPLUG_CM_ATTEN_CHAR_IND = 0x606E,
    HOMEPLUG_CM_ATTEN_CHAR_RSP = 0x606F,
    HOMEPLUG_CM_MNBC_SOUND_IND = 0x6076,
    HOMEPLUG_CM_VALIDATE_REQ = 0x6078,
    HOMEPLUG_CM_VALIDATE_CNF = 0x6079,
    HOMEPLUG_CM_SLAC_MATCH_REQ = 0x607C,
    HOMEPLUG_CM_SLAC_MATCH_CNF = 0x607D,
    HOMEPLUG_CM_ATTEN_PROFILE_IND = 0x6086,
    HOMEPLUG_VS_SW_VER_REQ = 0xA000,
    HOMEPLUG_VS_SW_VER_CNF = 0xA001,
    HOMEPLUG_VS_RS_DEV_REQ = 0xA01C,
    HOMEPLUG_VS_RS_DEV_CNF = 0xA01D,
    HOMEPLUG_VS_PL_LNK_STATUS_REQ = 0xA0B8,
    HOMEPLUG_VS_PL_LNK_STATUS_CNF = 0xA0B9,
};

/** Why a frame was refused (for logs and tests). */
enum homeplug_reason {
    HOMEPLUG_R_OK = 0,
    HOMEPLUG_R_SHORT,      /**< shorter than the Ethernet + MME header or the message's fixed part */
    HOMEPLUG_R_ETHERTYPE,  /**< not 0x88E1 */
    HOMEPLUG_R_MMV,        /**< MMV not the one the message type needs */
    HOMEPLUG_R_FMI,        /**< fragmented (FMI not 00 00) */
    HOMEPLUG_R_OUI,        /**< vendor MME without the Qualcomm OUI */
    HOMEPLUG_R_FIELD,      /**< a length or count field out of range */
    HOMEPLUG_R_UNKNOWN,    /**< a type this codec does not handle (not an error: ignore it) */
    HOMEPLUG_R_OVERSIZE,   /**< longer than an Ethernet frame */
};

/** CM_SLAC_PARM.REQ */
struct homeplug_slac_parm_req {
    uint8_t app_type, sec_type;
    uint8_t run_id[HOMEPLUG_RUN_ID_LEN];
};
/** CM_SLAC_PARM.CNF */
struct homeplug_slac_parm_cnf {
    uint8_t msound_target[6];
    uint8_t num_sounds;
    uint8_t time_out; /**< 100 ms units */
    uint8_t resp_type;
    uint8_t forwarding_sta[6];
    uint8_t app_type, sec_type;
    uint8_t run_id[HOMEPLUG_RUN_ID_LEN];
};
/** CM_START_ATTEN_CHAR.IND */
struct homeplug_start_atten_char_ind {
    uint8_t app_type, sec_type;
    uint8_t num_sounds, time_out, resp_type;
    uint8_t forwarding_sta[6];
    uint8_t run_id[HOMEPLUG_RUN_ID_LEN];
};
/** CM_MNBC_SOUND.IND */
struct homeplug_mnbc_sound_ind {
    uint8_t app_type, sec_type;
    uint8_t sender_id[HOMEPLUG_STATION_ID_LEN];
    uint8_t cnt;
    uint8_t run_id[HOMEPLUG_RUN_ID_LEN];
    uint8_t rnd[16];
};
/** CM_ATTEN_PROFILE.IND (modem to its host) */
struct homeplug_atten_profile_ind {
    uint8_t pev_mac[6];
    uint8_t num_groups; /**< 0..58; QCA7420 sends 0 */
    uint8_t aag[HOMEPLUG_GROUPS];
};
/** CM_ATTEN_CHAR.IND */
struct homeplug_atten_char_ind {
    uint8_t app_type, sec_type;
    uint8_t source_address[6];
    uint8_t run_id[HOMEPLUG_RUN_ID_LEN];
    uint8_t source_id[HOMEPLUG_STATION_ID_LEN];
    uint8_t resp_id[HOMEPLUG_STATION_ID_LEN];
    uint8_t num_sounds;
    uint8_t num_groups; /**< always 58 */
    uint8_t aag[HOMEPLUG_GROUPS];
};
/** CM_ATTEN_CHAR.RSP */
struct homeplug_atten_char_rsp {
    uint8_t app_type, sec_type;
    uint8_t source_address[6];
    uint8_t run_id[HOMEPLUG_RUN_ID_LEN];
    uint8_t source_id[HOMEPLUG_STATION_ID_LEN];
    uint8_t resp_id[HOMEPLUG_STATION_ID_LEN];
    uint8_t result;
};
/** CM_VALIDATE.REQ / .CNF (same three bytes, different meaning of the second) */
struct homeplug_validate {
    uint8_t signal_type;
    uint8_t timer_or_toggles; /**< REQ: Timer; CNF: ToggleNum */
    uint8_t result;
};
/** CM_SLAC_MATCH.REQ and .CNF (the CNF adds NID and NMK) */
struct homeplug_slac_match {
    uint8_t app_type, sec_type;
    uint8_t pev_id[HOMEPLUG_STATION_ID_LEN];
    uint8_t pev_mac[6];
    uint8_t evse_id[HOMEPLUG_STATION_ID_LEN];
    uint8_t evse_mac[6];
    uint8_t run_id[HOMEPLUG_RUN_ID_LEN];
    uint8_t nid[HOMEPLUG_NID_LEN];  /**< CNF only */
    uint8_t nmk[HOMEPLUG_NMK_LEN];  /**< CNF only */
};
/** CM_SET_KEY.REQ */
struct homeplug_set_key_req {
    uint8_t key_type; /**< 0x01 NMK */
    uint32_t my_nonce, your_nonce;
    uint8_t pid;      /**< 0x04 HLE */
    uint16_t prn;
    uint8_t pmn;
    uint8_t cco_cap;
    uint8_t nid[HOMEPLUG_NID_LEN];
    uint8_t new_eks;  /**< 0x01 */
    uint8_t new_key[HOMEPLUG_NMK_LEN];
};
/** CM_SET_KEY.CNF (QCA modems answer result 0x01 on success) */
struct homeplug_set_key_cnf {
    uint8_t result;
    uint32_t my_nonce, your_nonce;
    uint8_t pid;
    uint16_t prn;
    uint8_t pmn;
    uint8_t cco_cap;
};
/** CM_AMP_MAP.REQ */
struct homeplug_amp_map_req {
    uint16_t amlen; /**< entries, 4 bits each */
    uint8_t amdata[(CFG_HOMEPLUG_AMP_MAP_MAX + 1u) / 2u];
};
/** VS_SW_VER.CNF */
struct homeplug_sw_ver_cnf {
    uint8_t mstatus;
    uint8_t device_class; /**< 0x20 QCA7420, 0x22 QCA7000/7005 */
    char version[HOMEPLUG_SW_VER_MAX + 1u]; /**< NUL-terminated */
};

/** One decoded or to-be-encoded frame. */
struct homeplug_msg {
    uint8_t dst[6];
    uint8_t src[6];
    uint8_t mmv;       /**< as received; the encoder picks the right one itself */
    uint16_t mmtype;   /**< enum homeplug_mmtype */
    union {
        struct homeplug_slac_parm_req parm_req;
        struct homeplug_slac_parm_cnf parm_cnf;
        struct homeplug_start_atten_char_ind start_atten;
        struct homeplug_mnbc_sound_ind sound;
        struct homeplug_atten_profile_ind profile;
        struct homeplug_atten_char_ind atten_ind;
        struct homeplug_atten_char_rsp atten_rsp;
        struct homeplug_validate validate;
        struct homeplug_slac_match match; /**< REQ and CNF */
        struct homeplug_set_key_req set_key_req;
        struct homeplug_set_key_cnf set_key_cnf;
        struct homeplug_amp_map_req amp_map_req;
        uint8_t amp_map_cnf_restype;
        uint32_t sw_ver_req_cookie;
        struct homeplug_sw_ver_cnf sw_ver_cnf;
        uint8_t vs_status;    /**< VS_RS_DEV.CNF MSTATUS */
        uint8_t link_status;  /**< VS_PL_LNK_STATUS.CNF: 0x01 = powerline link up */
    } u;
};

/** The Qualcomm local-cast address: only the modem attached to this host answers. */
extern const uint8_t homeplug_mac_localcast[6];
/** FF:FF:FF:FF:FF:FF */
extern const uint8_t homeplug_mac_broadcast[6];

/**
 * @brief Decode one Ethernet frame.
 * @param frame whole frame from the destination MAC on (padding allowed)
 * @param reason set to why the frame was refused (may be NULL)
 * @retval HAL_OK @p out holds the message
 * @retval HAL_ENOTSUP a well-formed HomePlug frame of a type this codec does not handle
 *         (CM_NW_INFO, vendor 0xA14E, ...): ignore it
 * @retval HAL_EPROTO malformed (short, wrong MMV, fragmented, bad length field, not 0x88E1)
 * @retval HAL_EINVAL NULL argument
 */
int homeplug_decode(const uint8_t *frame, size_t len, struct homeplug_msg *out,
                    enum homeplug_reason *reason);

/**
 * @brief Encode @p m into a whole frame, padded with zeros to HOMEPLUG_FRAME_MIN.
 * @retval HAL_OK @p len bytes written
 * @retval HAL_EOVERFLOW @p cap too small
 * @retval HAL_ENOTSUP the message type cannot be encoded
 * @retval HAL_EINVAL a field out of range (AMLEN, NumGroups)
 */
int homeplug_encode(const struct homeplug_msg *m, uint8_t *buf, size_t cap, size_t *len);

/** @brief Short text for a refusal reason (static, never NULL). */
const char *homeplug_reason_str(enum homeplug_reason r);

/** @brief Name of a message type, or "?" (static, never NULL). */
const char *homeplug_mmtype_name(uint16_t mmtype);

/**
 * @brief Network ID from a network membership key (HomePlug AV: five SHA-256 rounds,
 *        first 7 bytes, security level 0 in the top bits of the last byte).
 */
void homeplug_nid_from_nmk(const uint8_t nmk[HOMEPLUG_NMK_LEN], uint8_t nid[HOMEPLUG_NID_LEN]);

/** @brief true when all @p n bytes are zero. */
bool homeplug_all_zero(const uint8_t *p, size_t n);

#endif /* HOMEPLUG_H */
