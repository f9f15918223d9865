#include "homeplug/homeplug.h"

#include "sha256/sha256.h"

#include <string.h>

const uint8_t homeplug_mac_localcast[6] = {0x00, 0xB0, 0x52, 0x00, 0x00, 0x01};
const uint8_t homeplug_mac_broadcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

static const uint8_t s_qca_oui[3] = {0x00, 0xB0, 0x52};

/* Offsets below are counted from the MMV byte, as in the fact sheet; E() adds the
 * Ethernet header so the code reads like the tables. */
#define E(off) (HOMEPLUG_ETH_HDR + (off))

/* Size of the fixed part of each standard MME, from MMV on. */
#define L_PARM_REQ 15u
#define L_PARM_CNF 30u
#define L_START_ATTEN 24u
#define L_SOUND 57u
#define L_PROFILE_MIN 13u
#define L_ATTEN_IND 115u
#define L_ATTEN_RSP 56u
#define L_VALIDATE 8u
#define L_MATCH_REQ 71u
#define L_MATCH_CNF 95u
#define L_SET_KEY_REQ 43u
#define L_SET_KEY_CNF 19u
#define L_AMP_MAP_REQ_MIN 7u
#define L_AMP_MAP_CNF 6u
#define MVF_MATCH_REQ 0x3Eu
#define MVF_MATCH_CNF 0x56u

bool homeplug_all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

static uint16_t s_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t s_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static void s_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void s_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int s_refuse(enum homeplug_reason *reason, enum homeplug_reason r)
{
    if (reason != NULL) {
        *reason = r;
    }
    return r == HOMEPLUG_R_UNKNOWN ? HAL_ENOTSUP : HAL_EPROTO;
}

/* Vendor MMEs: MMV 0 puts the OUI at 3; MMV 1 has FMI first and the OUI at 5. */
static int s_decode_vendor(const uint8_t *f, size_t len, struct homeplug_msg *m,
                           enum homeplug_reason *reason)
{
    size_t oui = m->mmv == 0 ? 3u : 5u;
    if (homeplug_mmtype_name(m->mmtype)[0] == '?') {
        /* 0xA14E next to each attenuation profile, other vendors' types: not ours */
        return s_refuse(reason, HOMEPLUG_R_UNKNOWN);
    }
    if (len < E(oui + 3u)) {
        return s_refuse(reason, HOMEPLUG_R_SHORT);
    }
    if (m->mmv == 1 && (f[E(3)] != 0 || f[E(4)] != 0)) {
        return s_refuse(reason, HOMEPLUG_R_FMI);
    }
    if (memcmp(&f[E(oui)], s_qca_oui, 3) != 0) {
        return s_refuse(reason, HOMEPLUG_R_OUI);
    }
    size_t p = E(oui + 3u);
    size_t avail = len - p;
    switch (m->mmtype) {
    case HOMEPLUG_VS_SW_VER_REQ:
        m->u.sw_ver_req_cookie = avail >= 4u ? s_le32(&f[p]) : 0u;
        return HAL_OK;
    case HOMEPLUG_VS_SW_VER_CNF: {
        if (avail < 3u) {
            return s_refuse(reason, HOMEPLUG_R_SHORT);
        }
        uint8_t vlen = f[p + 2u];
        if (vlen > HOMEPLUG_SW_VER_MAX) {
            return s_refuse(reason, HOMEPLUG_R_FIELD);
        }
        if (avail < 3u + (size_t)vlen) {
            return s_refuse(reason, HOMEPLUG_R_SHORT);
        }
        m->u.sw_ver_cnf.mstatus = f[p];
        m->u.sw_ver_cnf.device_class = f[p + 1u];
        size_t n = 0;
        while (n < vlen && f[p + 3u + n] != 0) {
            m->u.sw_ver_cnf.version[n] = (char)f[p + 3u + n];
            n++;
        }
        m->u.sw_ver_cnf.version[n] = '\0';
        return HAL_OK;
    }
    case HOMEPLUG_VS_RS_DEV_REQ:
    case HOMEPLUG_VS_PL_LNK_STATUS_REQ:
        return HAL_OK;
    case HOMEPLUG_VS_RS_DEV_CNF:
        if (avail < 1u) {
            return s_refuse(reason, HOMEPLUG_R_SHORT);
        }
        m->u.vs_status = f[p];
        return HAL_OK;
    case HOMEPLUG_VS_PL_LNK_STATUS_CNF:
        if (avail < 2u) {
            return s_refuse(reason, HOMEPLUG_R_SHORT);
        }
        m->u.link_status = f[p + 1u];
        return HAL_OK;
    default:
        return s_refuse(reason, HOMEPLUG_R_UNKNOWN);
    }
}

static const struct {
    uint16_t type;
    uint8_t min_len;
} s_fixed[] = {
    {HOMEPLUG_CM_SLAC_PARM_REQ, L_PARM_REQ},      {HOMEPLUG_CM_SLAC_PARM_CNF, L_PARM_CNF},
    {HOMEPLUG_CM_START_ATTEN_CHAR_IND, L_START_ATTEN}, {HOMEPLUG_CM_MNBC_SOUND_IND, L_SOUND},
    {HOMEPLUG_CM_ATTEN_PROFILE_IND, L_PROFILE_MIN}, {HOMEPLUG_CM_ATTEN_CHAR_IND, L_ATTEN_IND},
    {HOMEPLUG_CM_ATTEN_CHAR_RSP, L_ATTEN_RSP},     {HOMEPLUG_CM_VALIDATE_REQ, L_VALIDATE},
    {HOMEPLUG_CM_VALIDATE_CNF, L_VALIDATE},        {HOMEPLUG_CM_SLAC_MATCH_REQ, L_MATCH_REQ},
    {HOMEPLUG_CM_SLAC_MATCH_CNF, L_MATCH_CNF},     {HOMEPLUG_CM_SET_KEY_REQ, L_SET_KEY_REQ},
    {HOMEPLUG_CM_SET_KEY_CNF, L_SET_KEY_CNF},      {HOMEPLUG_CM_AMP_MAP_REQ, L_AMP_MAP_REQ_MIN},
    {HOMEPLUG_CM_AMP_MAP_CNF, L_AMP_MAP_CNF},
};

static int s_fixed_len(uint16_t type)
{
    for (size_t i = 0; i < sizeof s_fixed / sizeof s_fixed[0]; i++) {
        if (s_fixed[i].type == type) {
            return s_fixed[i].min_len;
        }
    }
    return -1;
}

static void s_decode_match(const uint8_t *f, struct homeplug_slac_match *x, bool cnf)
{
    x->app_type = f[E(5)];
    x->sec_type = f[E(6)];
    memcpy(x->pev_id, &f[E(9)], HOMEPLUG_STATION_ID_LEN);
    memcpy(x->pev_mac, &f[E(26)], 6);
    memcpy(x->evse_id, &f[E(32)], HOMEPLUG_STATION_ID_LEN);
    memcpy(x->evse_mac, &f[E(49)], 6);
    memcpy(x->run_id, &f[E(55)], HOMEPLUG_RUN_ID_LEN);
    if (cnf) {
        memcpy(x->nid, &f[E(71)], HOMEPLUG_NID_LEN);
        memcpy(x->nmk, &f[E(79)], HOMEPLUG_NMK_LEN);
    } else {
        memset(x->nid, 0, sizeof x->nid);
        memset(x->nmk, 0, sizeof x->nmk);
    }
}

static void s_decode_atten_ids(const uint8_t *f, uint8_t *app, uint8_t *sec, uint8_t src[6],
                               uint8_t run[8], uint8_t sid[17], uint8_t rid[17])
{
    *app = f[E(5)];
    *sec = f[E(6)];
    memcpy(src, &f[E(7)], 6);
    memcpy(run, &f[E(13)], HOMEPLUG_RUN_ID_LEN);
    memcpy(sid, &f[E(21)], HOMEPLUG_STATION_ID_LEN);
    memcpy(rid, &f[E(38)], HOMEPLUG_STATION_ID_LEN);
}

int homeplug_decode(const uint8_t *f, size_t len, struct homeplug_msg *m,
                    enum homeplug_reason *reason)
{
    if (f == NULL || m == NULL) {
        return HAL_EINVAL;
    }
    if (reason != NULL) {
        *reason = HOMEPLUG_R_OK;
    }
    if (len > HOMEPLUG_FRAME_MAX) {
        return s_refuse(reason, HOMEPLUG_R_OVERSIZE);
    }
    if (len < E(3)) {
        return s_refuse(reason, HOMEPLUG_R_SHORT);
    }
    if (((unsigned)f[12] << 8 | f[13]) != HOMEPLUG_ETHERTYPE) {
        return s_refuse(reason, HOMEPLUG_R_ETHERTYPE);
    }
    memset(m, 0, sizeof *m);
    memcpy(m->dst, f, 6);
    memcpy(m->src, &f[6], 6);
    m->mmv = f[E(0)];
    m->mmtype = s_le16(&f[E(1)]);

    if (m->mmtype >= 0xA000u && m->mmtype <= 0xBFFFu) {
        if (m->mmv > 1u) {
            return s_refuse(reason, HOMEPLUG_R_MMV);
        }
        return s_decode_vendor(f, len, m, reason);
    }
    int fixed = s_fixed_len(m->mmtype);
    if (fixed < 0) {
        return s_refuse(reason, HOMEPLUG_R_UNKNOWN);
    }
    if (m->mmv != 1u) {
        return s_refuse(reason, HOMEPLUG_R_MMV);
    }
    if (len < E(5)) {
        return s_refuse(reason, HOMEPLUG_R_SHORT);
    }
    if (f[E(3)] != 0 || f[E(4)] != 0) {
        return s_refuse(reason, HOMEPLUG_R_FMI);
    }
    if (len < E((size_t)fixed)) {
        return s_refuse(reason, HOMEPLUG_R_SHORT);
    }

    switch (m->mmtype) {
    case HOMEPLUG_CM_SLAC_PARM_REQ:
        m->u.parm_req.app_type = f[E(5)];
        m->u.parm_req.sec_type = f[E(6)];
        memcpy(m->u.parm_req.run_id, &f[E(7)], HOMEPLUG_RUN_ID_LEN);
        break;
    case HOMEPLUG_CM_SLAC_PARM_CNF: {
        struct homeplug_slac_parm_cnf *c = &m->u.parm_cnf;
        memcpy(c->msound_target, &f[E(5)], 6);
        c->num_sounds = f[E(11)];
        c->time_out = f[E(12)];
        c->resp_type = f[E(13)];
        memcpy(c->forwarding_sta, &f[E(14)], 6);
        c->app_type = f[E(20)];
        c->sec_type = f[E(21)];
        memcpy(c->run_id, &f[E(22)], HOMEPLUG_RUN_ID_LEN);
        break;
    }
    case HOMEPLUG_CM_START_ATTEN_CHAR_IND: {
        struct homeplug_start_atten_char_ind *s = &m->u.start_atten;
        s->app_type = f[E(5)];
        s->sec_type = f[E(6)];
        s->num_sounds = f[E(7)];
        s->time_out = f[E(8)];
        s->resp_type = f[E(9)];
        memcpy(s->forwarding_sta, &f[E(10)], 6);
        memcpy(s->run_id, &f[E(16)], HOMEPLUG_RUN_ID_LEN);
        break;
    }
    case HOMEPLUG_CM_MNBC_SOUND_IND: {
        struct homeplug_mnbc_sound_ind *s = &m->u.sound;
        s->app_type = f[E(5)];
        s->sec_type = f[E(6)];
        memcpy(s->sender_id, &f[E(7)], HOMEPLUG_STATION_ID_LEN);
        s->cnt = f[E(24)];
        memcpy(s->run_id, &f[E(25)], HOMEPLUG_RUN_ID_LEN);
        memcpy(s->rnd, &f[E(41)], 16);
        break;
    }
    case HOMEPLUG_CM_ATTEN_PROFILE_IND: {
        struct homeplug_atten_profile_ind *p = &m->u.profile;
        memcpy(p->pev_mac, &f[E(5)], 6);
        p->num_groups = f[E(11)];
        if (p->num_groups > HOMEPLUG_GROUPS) {
            return s_refuse(reason, HOMEPLUG_R_FIELD);
        }
        if (len < E(L_PROFILE_MIN + (size_t)p->num_groups)) {
            return s_refuse(reason, HOMEPLUG_R_SHORT);
        }
        memcpy(p->aag, &f[E(13)], p->num_groups);
        break;
    }
    case HOMEPLUG_CM_ATTEN_CHAR_IND: {
        struct homeplug_atten_char_ind *a = &m->u.atten_ind;
        s_decode_atten_ids(f, &a->app_type, &a->sec_type, a->source_address, a->run_id,
                           a->source_id, a->resp_id);
        a->num_sounds = f[E(55)];
        a->num_groups = f[E(56)];
        if (a->num_groups == 0 || a->num_groups > HOMEPLUG_GROUPS) {
            return s_refuse(reason, HOMEPLUG_R_FIELD);
        }
        memcpy(a->aag, &f[E(57)], HOMEPLUG_GROUPS);
        break;
    }
    case HOMEPLUG_CM_ATTEN_CHAR_RSP: {
        struct homeplug_atten_char_rsp *a = &m->u.atten_rsp;
        s_decode_atten_ids(f, &a->app_type, &a->sec_type, a->source_address, a->run_id,
                           a->source_id, a->resp_id);
        a->result = f[E(55)];
        break;
    }
    case HOMEPLUG_CM_VALIDATE_REQ:
    case HOMEPLUG_CM_VALIDATE_CNF:
        m->u.validate.signal_type = f[E(5)];
        m->u.validate.timer_or_toggles = f[E(6)];
        m->u.validate.result = f[E(7)];
        break;
    case HOMEPLUG_CM_SLAC_MATCH_REQ:
        if (s_le16(&f[E(7)]) != MVF_MATCH_REQ) {
            return s_refuse(reason, HOMEPLUG_R_FIELD);
        }
        s_decode_match(f, &m->u.match, false);
        break;
    case HOMEPLUG_CM_SLAC_MATCH_CNF:
        if (s_le16(&f[E(7)]) != MVF_MATCH_CNF) {
            return s_refuse(reason, HOMEPLUG_R_FIELD);
        }
        s_decode_match(f, &m->u.match, true);
        break;
    case HOMEPLUG_CM_SET_KEY_REQ: {
        struct homeplug_set_key_req *k = &m->u.set_key_req;
        k->key_type = f[E(5)];
        k->my_nonce = s_le32(&f[E(6)]);
        k->your_nonce = s_le32(&f[E(10)]);
        k->pid = f[E(14)];
        k->prn = s_le16(&f[E(15)]);
        k->pmn = f[E(17)];
        k->cco_cap = f[E(18)];
        memcpy(k->nid, &f[E(19)], HOMEPLUG_NID_LEN);
        k->new_eks = f[E(26)];
        memcpy(k->new_key, &f[E(27)], HOMEPLUG_NMK_LEN);
        break;
    }
    case HOMEPLUG_CM_SET_KEY_CNF: {
        struct homeplug_set_key_cnf *k = &m->u.set_key_cnf;
        k->result = f[E(5)];
        k->my_nonce = s_le32(&f[E(6)]);
        k->your_nonce = s_le32(&f[E(10)]);
        k->pid = f[E(14)];
        k->prn = s_le16(&f[E(15)]);
        k->pmn = f[E(17)];
        k->cco_cap = f[E(18)];
        break;
    }
    case HOMEPLUG_CM_AMP_MAP_REQ: {
        uint16_t n = s_le16(&f[E(5)]);
        size_t bytes = ((size_t)n + 1u) / 2u;
        if (n == 0 || n > CFG_HOMEPLUG_AMP_MAP_MAX) {
            return s_refuse(reason, HOMEPLUG_R_FIELD);
        }
        if (len < E(L_AMP_MAP_REQ_MIN + bytes)) {
            return s_refuse(reason, HOMEPLUG_R_SHORT);
        }
        m->u.amp_map_req.amlen = n;
        memcpy(m->u.amp_map_req.amdata, &f[E(7)], bytes);
        break;
    }
    case HOMEPLUG_CM_AMP_MAP_CNF:
        m->u.amp_map_cnf_restype = f[E(5)];
        break;
    default:
        return s_refuse(reason, HOMEPLUG_R_UNKNOWN);
    }
    return HAL_OK;
}

static void s_encode_atten_ids(uint8_t *f, uint8_t app, uint8_t sec, const uint8_t src[6],
                               const uint8_t run[8], const uint8_t sid[17], const uint8_t rid[17])
{
    f[E(5)] = app;
    f[E(6)] = sec;
    memcpy(&f[E(7)], src, 6);
    memcpy(&f[E(13)], run, HOMEPLUG_RUN_ID_LEN);
    memcpy(&f[E(21)], sid, HOMEPLUG_STATION_ID_LEN);
    memcpy(&f[E(38)], rid, HOMEPLUG_STATION_ID_LEN);
}

static size_t s_encode_vendor(const struct homeplug_msg *m, uint8_t *f, uint8_t *payload_cap_ok)
{
    /* MMV 0 vendor header: OUI at 3, payload at 6. */
    f[E(0)] = 0;
    memcpy(&f[E(3)], s_qca_oui, 3);
    *payload_cap_ok = 1;
    switch (m->mmtype) {
    case HOMEPLUG_VS_SW_VER_REQ:
        s_put32(&f[E(6)], m->u.sw_ver_req_cookie);
        return 10u;
    case HOMEPLUG_VS_SW_VER_CNF: {
        size_t n = 0;
        while (n < HOMEPLUG_SW_VER_MAX - 1u && m->u.sw_ver_cnf.version[n] != '\0') {
            n++;
        }
        f[E(6)] = m->u.sw_ver_cnf.mstatus;
        f[E(7)] = m->u.sw_ver_cnf.device_class;
        f[E(8)] = (uint8_t)(n + 1u);
        memcpy(&f[E(9)], m->u.sw_ver_cnf.version, n);
        f[E(9) + n] = 0;
        return 9u + HOMEPLUG_SW_VER_MAX;
    }
    case HOMEPLUG_VS_RS_DEV_REQ:
    case HOMEPLUG_VS_PL_LNK_STATUS_REQ:
        return 6u;
    case HOMEPLUG_VS_RS_DEV_CNF:
        f[E(6)] = m->u.vs_status;
        return 7u;
    case HOMEPLUG_VS_PL_LNK_STATUS_CNF:
        f[E(6)] = 0;
        f[E(7)] = m->u.link_status;
        return 8u;
    default:
        *payload_cap_ok = 0;
        return 0;
    }
}

int homeplug_encode(const struct homeplug_msg *m, uint8_t *buf, size_t cap, size_t *len)
{
    /* Built in a local frame first so a short @p cap never sees a partial message. */
    uint8_t f[E(9u + HOMEPLUG_SW_VER_MAX) > E(L_AMP_MAP_REQ_MIN + (CFG_HOMEPLUG_AMP_MAP_MAX + 1u) / 2u)
                  ? E(9u + HOMEPLUG_SW_VER_MAX)
                  : E(L_AMP_MAP_REQ_MIN + (CFG_HOMEPLUG_AMP_MAP_MAX + 1u) / 2u)];
    size_t n;
    if (m == NULL || buf == NULL || len == NULL) {
        return HAL_EINVAL;
    }
    memset(f, 0, sizeof f);
    memcpy(f, m->dst, 6);
    memcpy(&f[6], m->src, 6);
    f[12] = (uint8_t)(HOMEPLUG_ETHERTYPE >> 8);
    f[13] = (uint8_t)HOMEPLUG_ETHERTYPE;
    s_put16(&f[E(1)], m->mmtype);

    if (m->mmtype >= 0xA000u && m->mmtype <= 0xBFFFu) {
        uint8_t ok;
        n = s_encode_vendor(m, f, &ok);
        if (!ok) {
            return HAL_ENOTSUP;
        }
    } else {
        f[E(0)] = 1;
        switch (m->mmtype) {
        case HOMEPLUG_CM_SLAC_PARM_REQ:
            f[E(5)] = m->u.parm_req.app_type;
            f[E(6)] = m->u.parm_req.sec_type;
            memcpy(&f[E(7)], m->u.parm_req.run_id, HOMEPLUG_RUN_ID_LEN);
            n = L_PARM_REQ;
            break;
        case HOMEPLUG_CM_SLAC_PARM_CNF: {
            const struct homeplug_slac_parm_cnf *c = &m->u.parm_cnf;
            memcpy(&f[E(5)], c->msound_target, 6);
            f[E(11)] = c->num_sounds;
            f[E(12)] = c->time_out;
            f[E(13)] = c->resp_type;
            memcpy(&f[E(14)], c->forwarding_sta, 6);
            f[E(20)] = c->app_type;
            f[E(21)] = c->sec_type;
            memcpy(&f[E(22)], c->run_id, HOMEPLUG_RUN_ID_LEN);
            n = L_PARM_CNF;
            break;
        }
        case HOMEPLUG_CM_START_ATTEN_CHAR_IND: {
            const struct homeplug_start_atten_char_ind *s = &m->u.start_atten;
            f[E(5)] = s->app_type;
            f[E(6)] = s->sec_type;
            f[E(7)] = s->num_sounds;
            f[E(8)] = s->time_out;
            f[E(9)] = s->resp_type;
            memcpy(&f[E(10)], s->forwarding_sta, 6);
            memcpy(&f[E(16)], s->run_id, HOMEPLUG_RUN_ID_LEN);
            n = L_START_ATTEN;
            break;
        }
        case HOMEPLUG_CM_MNBC_SOUND_IND: {
            const struct homeplug_mnbc_sound_ind *s = &m->u.sound;
            f[E(5)] = s->app_type;
            f[E(6)] = s->sec_type;
            memcpy(&f[E(7)], s->sender_id, HOMEPLUG_STATION_ID_LEN);
            f[E(24)] = s->cnt;
            memcpy(&f[E(25)], s->run_id, HOMEPLUG_RUN_ID_LEN);
            memcpy(&f[E(41)], s->rnd, 16);
            n = L_SOUND;
            break;
        }
        case HOMEPLUG_CM_ATTEN_PROFILE_IND: {
            const struct homeplug_atten_profile_ind *p = &m->u.profile;
            if (p->num_groups > HOMEPLUG_GROUPS) {
                return HAL_EINVAL;
            }
            memcpy(&f[E(5)], p->pev_mac, 6);
            f[E(11)] = p->num_groups;
            memcpy(&f[E(13)], p->aag, p->num_groups);
            n = L_PROFILE_MIN + p->num_groups;
            break;
        }
        case HOMEPLUG_CM_ATTEN_CHAR_IND: {
            const struct homeplug_atten_char_ind *a = &m->u.atten_ind;
            if (a->num_groups == 0 || a->num_groups > HOMEPLUG_GROUPS) {
                return HAL_EINVAL;
            }
            s_encode_atten_ids(f, a->app_type, a->sec_type, a->source_address, a->run_id,
                               a->source_id, a->resp_id);
            f[E(55)] = a->num_sounds;
            f[E(56)] = a->num_groups;
            memcpy(&f[E(57)], a->aag, HOMEPLUG_GROUPS);
            n = L_ATTEN_IND;
            break;
        }
        case HOMEPLUG_CM_ATTEN_CHAR_RSP: {
            const struct homeplug_atten_char_rsp *a = &m->u.atten_rsp;
            s_encode_atten_ids(f, a->app_type, a->sec_type, a->source_address, a->run_id,
                               a->source_id, a->resp_id);
            f[E(55)] = a->result;
            n = L_ATTEN_RSP;
            break;
        }
        case HOMEPLUG_CM_VALIDATE_REQ:
        case HOMEPLUG_CM_VALIDATE_CNF:
            f[E(5)] = m->u.validate.signal_type;
            f[E(6)] = m->u.validate.timer_or_toggles;
            f[E(7)] = m->u.validate.result;
            n = L_VALIDATE;
            break;
        case HOMEPLUG_CM_SLAC_MATCH_REQ:
        case HOMEPLUG_CM_SLAC_MATCH_CNF: {
            const struct homeplug_slac_match *x = &m->u.match;
            bool cnf = m->mmtype == HOMEPLUG_CM_SLAC_MATCH_CNF;
            f[E(5)] = x->app_type;
            f[E(6)] = x->sec_type;
            s_put16(&f[E(7)], (uint16_t)(cnf ? MVF_MATCH_CNF : MVF_MATCH_REQ));
            memcpy(&f[E(9)], x->pev_id, HOMEPLUG_STATION_ID_LEN);
            memcpy(&f[E(26)], x->pev_mac, 6);
            memcpy(&f[E(32)], x->evse_id, HOMEPLUG_STATION_ID_LEN);
            memcpy(&f[E(49)], x->evse_mac, 6);
            memcpy(&f[E(55)], x->run_id, HOMEPLUG_RUN_ID_LEN);
            if (cnf) {
                memcpy(&f[E(71)], x->nid, HOMEPLUG_NID_LEN);
                memcpy(&f[E(79)], x->nmk, HOMEPLUG_NMK_LEN);
            }
            n = cnf ? L_MATCH_CNF : L_MATCH_REQ;
            break;
        }
        case HOMEPLUG_CM_SET_KEY_REQ: {
            const struct homeplug_set_key_req *k = &m->u.set_key_req;
            f[E(5)] = k->key_type;
            s_put32(&f[E(6)], k->my_nonce);
            s_put32(&f[E(10)], k->your_nonce);
            f[E(14)] = k->pid;
            s_put16(&f[E(15)], k->prn);
            f[E(17)] = k->pmn;
            f[E(18)] = k->cco_cap;
            memcpy(&f[E(19)], k->nid, HOMEPLUG_NID_LEN);
            f[E(26)] = k->new_eks;
            memcpy(&f[E(27)], k->new_key, HOMEPLUG_NMK_LEN);
            n = L_SET_KEY_REQ;
            break;
        }
        case HOMEPLUG_CM_SET_KEY_CNF: {
            const struct homeplug_set_key_cnf *k = &m->u.set_key_cnf;
            f[E(5)] = k->result;
            s_put32(&f[E(6)], k->my_nonce);
            s_put32(&f[E(10)], k->your_nonce);
            f[E(14)] = k->pid;
            s_put16(&f[E(15)], k->prn);
            f[E(17)] = k->pmn;
            f[E(18)] = k->cco_cap;
            n = L_SET_KEY_CNF;
            break;
        }
        case HOMEPLUG_CM_AMP_MAP_REQ: {
            uint16_t am = m->u.amp_map_req.amlen;
            if (am == 0 || am > CFG_HOMEPLUG_AMP_MAP_MAX) {
                return HAL_EINVAL;
            }
            s_put16(&f[E(5)], am);
            memcpy(&f[E(7)], m->u.amp_map_req.amdata, ((size_t)am + 1u) / 2u);
            n = L_AMP_MAP_REQ_MIN + ((size_t)am + 1u) / 2u;
            break;
        }
        case HOMEPLUG_CM_AMP_MAP_CNF:
            f[E(5)] = m->u.amp_map_cnf_restype;
            n = L_AMP_MAP_CNF;
            break;
        default:
            return HAL_ENOTSUP;
        }
    }
    n = E(n);
    if (n < HOMEPLUG_FRAME_MIN) {
        n = HOMEPLUG_FRAME_MIN;
    }
    if (n > cap) {
        return HAL_EOVERFLOW;
    }
    memcpy(buf, f, n);
    *len = n;
    return HAL_OK;
}

const char *homeplug_reason_str(enum homeplug_reason r)
{
    switch (r) {
    case HOMEPLUG_R_OK:
        return "ok";
    case HOMEPLUG_R_SHORT:
        return "frame shorter than the message";
    case HOMEPLUG_R_ETHERTYPE:
        return "not EtherType 0x88E1";
    case HOMEPLUG_R_MMV:
        return "wrong MMV for the message type";
    case HOMEPLUG_R_FMI:
        return "fragmented MME";
    case HOMEPLUG_R_OUI:
        return "vendor MME without the Qualcomm OUI";
    case HOMEPLUG_R_FIELD:
        return "length or count field out of range";
    case HOMEPLUG_R_UNKNOWN:
        return "message type not handled";
    case HOMEPLUG_R_OVERSIZE:
        return "larger than an Ethernet frame";
    }
    return "?";
}

const char *homeplug_mmtype_name(uint16_t t)
{
    switch (t) {
    case HOMEPLUG_CM_SET_KEY_REQ:
        return "CM_SET_KEY.REQ";
    case HOMEPLUG_CM_SET_KEY_CNF:
        return "CM_SET_KEY.CNF";
    case HOMEPLUG_CM_AMP_MAP_REQ:
        return "CM_AMP_MAP.REQ";
    case HOMEPLUG_CM_AMP_MAP_CNF:
        return "CM_AMP_MAP.CNF";
    case HOMEPLUG_CM_SLAC_PARM_REQ:
        return "CM_SLAC_PARM.REQ";
    case HOMEPLUG_CM_SLAC_PARM_CNF:
        return "CM_SLAC_PARM.CNF";
    case HOMEPLUG_CM_START_ATTEN_CHAR_IND:
        return "CM_START_ATTEN_CHAR.IND";
    case HOMEPLUG_CM_ATTEN_CHAR_IND:
        return "CM_ATTEN_CHAR.IND";
    case HOMEPLUG_CM_ATTEN_CHAR_RSP:
        return "CM_ATTEN_CHAR.RSP";
    case HOMEPLUG_CM_MNBC_SOUND_IND:
        return "CM_MNBC_SOUND.IND";
    case HOMEPLUG_CM_VALIDATE_REQ:
        return "CM_VALIDATE.REQ";
    case HOMEPLUG_CM_VALIDATE_CNF:
        return "CM_VALIDATE.CNF";
    case HOMEPLUG_CM_SLAC_MATCH_REQ:
        return "CM_SLAC_MATCH.REQ";
    case HOMEPLUG_CM_SLAC_MATCH_CNF:
        return "CM_SLAC_MATCH.CNF";
    case HOMEPLUG_CM_ATTEN_PROFILE_IND:
        return "CM_ATTEN_PROFILE.IND";
    case HOMEPLUG_VS_SW_VER_REQ:
        return "VS_SW_VER.REQ";
    case HOMEPLUG_VS_SW_VER_CNF:
        return "VS_SW_VER.CNF";
    case HOMEPLUG_VS_RS_DEV_REQ:
        return "VS_RS_DEV.REQ";
    case HOMEPLUG_VS_RS_DEV_CNF:
        return "VS_RS_DEV.CNF";
    case HOMEPLUG_VS_PL_LNK_STATUS_REQ:
        return "VS_PL_LNK_STATUS.REQ";
    case HOMEPLUG_VS_PL_LNK_STATUS_CNF:
        return "VS_PL_LNK_STATUS.CNF";
    default:
        return "?";
    }
}

void homeplug_nid_from_nmk(const uint8_t nmk[HOMEPLUG_NMK_LEN], uint8_t nid[HOMEPLUG_NID_LEN])
{
    uint8_t d[32];
    sha256_digest(nmk, HOMEPLUG_NMK_LEN, d);
    for (int i = 0; i < 4; i++) {
        sha256_digest(d, sizeof d, d);
    }
    memcpy(nid, d, HOMEPLUG_NID_LEN);
    /* security level 0 (simple connect) in bits 5:4, bits 7:6 zero */
    nid[6] = (uint8_t)(nid[6] >> 4);
}
