/* Huawei FusionCharge GOOSE codec: owns the byte layout of the three frames of the sheet
 * (§5, §6): Ethernet and 802.1Q header, the goosePdu with its fixed field order, the
 * reserved2 CRC and the HMAC-SHA256 trailer. The parser is strict on order and sizes:
 * whatever does not look exactly like the sheet's frames is refused with a reason. */
#include "huawei/huawei_goose.h"

#include <string.h>

#include "sha256/hmac_sha256.h"

#define SEC_TRAILER 35u /* AD 00 20 + 32 bytes */
#define TIME_QUALITY 0x0Au

static const char *const s_goid[] = {"CC/0$GO$PowerRequest", "CC/0$GO$PowerRequestReply",
                                     "CC/0$GO$ShutdownRequest"};
static const uint16_t s_appid[] = {HUAWEI_APPID_POWER_REQUEST, HUAWEI_APPID_POWER_REPLY,
                                   HUAWEI_APPID_SHUTDOWN};
static const uint8_t s_entries[] = {8u, 9u, 5u};

uint16_t huawei_crc16(const uint8_t *data, size_t len)
{
    uint16_t crc = 0xFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc & 1u) != 0u ? (uint16_t)((crc >> 1) ^ 0xA001u) : (uint16_t)(crc >> 1);
        }
    }
    return crc;
}

/* ---------------------------------------------------------------- encoding */

struct wr {
    uint8_t *p;
    size_t cap;
    size_t n;
    bool over;
};

static void put(struct wr *w, const void *src, size_t len)
{
    if (w->over || len > w->cap - w->n) {
        w->over = true;
        return;
    }
    memcpy(w->p + w->n, src, len);
    w->n += len;
}

static void put8(struct wr *w, uint32_t v)
{
    uint8_t b = (uint8_t)v;
    put(w, &b, 1u);
}

static void put16(struct wr *w, uint32_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(w, b, 2u);
}

static void put32(struct wr *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(w, b, 4u);
}

/* BER definite length; our PDUs stay below 64 KiB. */
static void put_len(struct wr *w, size_t len)
{
    if (len < 0x80u) {
        put8(w, (uint32_t)len);
    } else if (len <= 0xFFu) {
        put8(w, 0x81u);
        put8(w, (uint32_t)len);
    } else {
        put8(w, 0x82u);
        put16(w, (uint32_t)len);
    }
}

static size_t len_size(size_t len)
{
    return len < 0x80u ? 1u : len <= 0xFFu ? 2u : 3u;
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* The data entries of one message, encoded into @p w; returns their count. */
static unsigned put_entries(struct wr *w, const struct huawei_goose_msg *m)
{
    uint16_t u[6];
    unsigned nu = 0;
    u[nu++] = m->connector;
    u[nu++] = m->serial;
    if (m->kind == HUAWEI_GOOSE_SHUTDOWN) {
        u[nu++] = m->reason;
    } else {
        u[nu++] = m->req_type;
        if (m->kind == HUAWEI_GOOSE_POWER_REPLY) {
            u[nu++] = m->result;
        }
        u[nu++] = m->mode;
    }
    for (unsigned i = 0; i < nu; i++) {
        put8(w, 0x86u);
        put8(w, 2u);
        put16(w, u[i]);
    }
    unsigned n = nu;
    if (m->kind != HUAWEI_GOOSE_SHUTDOWN) {
        put8(w, 0x87u);
        put8(w, 4u);
        put32(w, f32_bits(m->voltage_v));
        put8(w, 0x87u);
        put8(w, 4u);
        put32(w, f32_bits(m->current_a));
        n += 2u;
    }
    for (unsigned i = 0; i < 2u; i++) { /* the two reserved entries */
        put8(w, 0x86u);
        put8(w, 2u);
        put16(w, 0xFFFFu);
    }
    return n + 2u;
}

static void put_str(struct wr *w, uint32_t tag, const char *s)
{
    size_t n = strlen(s) + 1u; /* the sheet: ASCII including the trailing NUL */
    put8(w, tag);
    put_len(w, n);
    put(w, s, n);
}

static void put_u32_field(struct wr *w, uint32_t tag, uint32_t v)
{
    put8(w, tag);
    put8(w, 4u);
    put32(w, v);
}

int huawei_goose_encode(const struct huawei_goose_msg *m, const struct huawei_goose_eth *eth,
                        const uint8_t *key, uint8_t *out, size_t cap, size_t *len)
{
    if ((unsigned)m->kind > (unsigned)HUAWEI_GOOSE_SHUTDOWN || eth->vlan_id > 4094u) {
        return HAL_EINVAL;
    }
    /* allData first, into a scratch buffer, so the outer lengths are known */
    uint8_t data[96];
    struct wr dw = {data, sizeof data, 0u, false};
    unsigned entries = put_entries(&dw, m);
    if (dw.over) {
        return HAL_EOVERFLOW;
    }
    const char *id = s_goid[m->kind];
    size_t sl = strlen(id) + 1u;
    size_t body = 3u * (1u + len_size(sl) + sl) + 6u /*ttl*/ + 10u /*T*/ + 6u + 6u + 3u + 6u + 3u +
                  6u + 1u + len_size(dw.n) + dw.n;
    size_t pdu = 1u + len_size(body) + body;

    struct wr w = {out, cap, 0u, false};
    put(&w, eth->dst, 6u);
    put(&w, eth->src, 6u);
    if (eth->tagged) {
        put16(&w, 0x8100u);
        put16(&w, (HUAWEI_GOOSE_PCP << 13) | eth->vlan_id);
    }
    size_t hdr = w.n;
    put16(&w, HUAWEI_GOOSE_ETHERTYPE);
    put16(&w, s_appid[m->kind]);
    put16(&w, (uint32_t)(8u + pdu));
    put16(&w, key != NULL ? SEC_TRAILER : 0u);
    uint16_t crc = 0u;
    if (key != NULL && !w.over) {
        crc = huawei_crc16(out + hdr, 8u);
    }
    put16(&w, crc); /* high byte first, as the sheet says */

    put8(&w, 0x61u);
    put_len(&w, body);
    put_str(&w, 0x80u, id);
    put_u32_field(&w, 0x81u, m->ttl_ms);
    put_str(&w, 0x82u, id);
    put_str(&w, 0x83u, id);
    put8(&w, 0x84u);
    put8(&w, 8u);
    put32(&w, (uint32_t)(m->time_ms / 1000u));
    uint32_t frac = (uint32_t)(((m->time_ms % 1000u) << 24) / 1000u);
    put8(&w, frac >> 16);
    put16(&w, frac & 0xFFFFu);
    put8(&w, TIME_QUALITY);
    put_u32_field(&w, 0x85u, m->st_num);
    put_u32_field(&w, 0x86u, m->sq_num);
    put8(&w, 0x87u);
    put8(&w, 1u);
    put8(&w, 0u);
    put_u32_field(&w, 0x88u, 1u);
    put8(&w, 0x89u);
    put8(&w, 1u);
    put8(&w, 0u);
    put_u32_field(&w, 0x8Au, entries);
    put8(&w, 0xABu);
    put_len(&w, dw.n);
    put(&w, data, dw.n);
    if (w.over) {
        return HAL_EOVERFLOW;
    }
    if (key != NULL) {
        uint8_t mac[HUAWEI_GOOSE_HMAC_LEN];
        hmac_sha256(key, HUAWEI_GOOSE_KEY_LEN, out + hdr, w.n - hdr, mac);
        put8(&w, 0xADu);
        put8(&w, 0x00u);
        put8(&w, 0x20u);
        put(&w, mac, sizeof mac);
        if (w.over) {
            return HAL_EOVERFLOW;
        }
    }
    *len = w.n;
    return HAL_OK;
}

/* ---------------------------------------------------------------- parsing */

struct rd {
    const uint8_t *p;
    size_t n;
    size_t i;
    bool bad;
};

static uint32_t get8(struct rd *r)
{
    if (r->bad || r->i >= r->n) {
        r->bad = true;
        return 0u;
    }
    return r->p[r->i++];
}

static uint32_t get16(const uint8_t *p)
{
    return ((uint32_t)p[0] << 8) | p[1];
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* One TLV with the expected tag: its value stays in the frame, *vlen its length. */
static const uint8_t *get_tlv(struct rd *r, uint32_t tag, size_t *vlen)
{
    if (get8(r) != tag) {
        r->bad = true;
        return NULL;
    }
    uint32_t l = get8(r);
    if (l == 0x81u) {
        l = get8(r);
    } else if (l == 0x82u) {
        l = get8(r) << 8;
        l |= get8(r);
    } else if (l > 0x7Fu) {
        r->bad = true; /* indefinite or longer forms: never in these frames */
    }
    if (r->bad || l > r->n - r->i) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *v = r->p + r->i;
    r->i += l;
    *vlen = l;
    return v;
}

/* An unsigned field of 1..4 bytes. */
static uint32_t get_uint(struct rd *r, uint32_t tag)
{
    size_t l = 0;
    const uint8_t *v = get_tlv(r, tag, &l);
    if (v == NULL || l == 0u || l > 4u) {
        r->bad = true;
        return 0u;
    }
    uint32_t x = 0;
    for (size_t i = 0; i < l; i++) {
        x = (x << 8) | v[i];
    }
    return x;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static enum huawei_goose_reject parse_entries(const uint8_t *d, size_t n, struct huawei_goose_msg *m)
{
    uint16_t u[7];
    float f[2];
    unsigned nu = 0, nf = 0, count = 0;
    size_t want = s_entries[m->kind];
    /* which positions are floats: entries 4,5 of PowerRequest and 5,6 of the reply */
    unsigned fpos = m->kind == HUAWEI_GOOSE_POWER_REQUEST ? 4u : m->kind == HUAWEI_GOOSE_POWER_REPLY ? 5u : 99u;
    struct rd r = {d, n, 0u, false};
    while (r.i < r.n) {
        size_t l = 0;
        bool is_float = count == fpos || count == fpos + 1u;
        const uint8_t *v = get_tlv(&r, is_float ? 0x87u : 0x86u, &l);
        if (v == NULL || l != (is_float ? 4u : 2u) || count >= want) {
            return HUAWEI_RX_ENTRIES;
        }
        if (is_float) {
            f[nf++] = bits_f32(get32(v));
        } else {
            u[nu++] = (uint16_t)get16(v);
        }
        count++;
    }
    if (count != want) {
        return HUAWEI_RX_ENTRIES;
    }
    m->connector = u[0];
    m->serial = u[1];
    if (m->kind == HUAWEI_GOOSE_SHUTDOWN) {
        m->reason = u[2];
        return HUAWEI_RX_OK;
    }
    m->req_type = u[2];
    unsigned k = 3;
    if (m->kind == HUAWEI_GOOSE_POWER_REPLY) {
        m->result = u[k++];
    }
    m->mode = u[k];
    m->voltage_v = f[0];
    m->current_a = f[1];
    return HUAWEI_RX_OK;
}

static enum huawei_goose_reject parse_pdu(const uint8_t *p, size_t n, uint16_t appid, struct huawei_goose_msg *m)
{
    struct rd r = {p, n, 0u, false};
    size_t bl = 0;
    const uint8_t *body = get_tlv(&r, 0x61u, &bl);
    if (body == NULL) {
        return HUAWEI_RX_BER;
    }
    if (r.i != n) {
        return HUAWEI_RX_LENGTH; /* bytes after the goosePdu inside Length */
    }
    struct rd b = {body, bl, 0u, false};
    size_t l = 0;
    const uint8_t *gocb = get_tlv(&b, 0x80u, &l);
    int kind = -1;
    for (int k = 0; gocb != NULL && k < 3; k++) {
        if (l == strlen(s_goid[k]) + 1u && memcmp(gocb, s_goid[k], l) == 0) {
            kind = k;
        }
    }
    if (b.bad) {
        return HUAWEI_RX_BER;
    }
    if (kind < 0 || s_appid[kind] != appid) {
        return HUAWEI_RX_UNKNOWN;
    }
    m->kind = (enum huawei_goose_kind)kind;
    m->ttl_ms = get_uint(&b, 0x81u);
    const uint8_t *ds = get_tlv(&b, 0x82u, &l);
    if (ds != NULL && (l != strlen(s_goid[kind]) + 1u || memcmp(ds, s_goid[kind], l) != 0)) {
        return HUAWEI_RX_UNKNOWN;
    }
    const uint8_t *gi = get_tlv(&b, 0x83u, &l);
    if (gi != NULL && (l != strlen(s_goid[kind]) + 1u || memcmp(gi, s_goid[kind], l) != 0)) {
        return HUAWEI_RX_UNKNOWN;
    }
    const uint8_t *t = get_tlv(&b, 0x84u, &l);
    if (t != NULL && l == 8u) {
        uint32_t frac = ((uint32_t)t[4] << 16) | get16(t + 5);
        m->time_ms = (uint64_t)get32(t) * 1000u + (((uint64_t)frac * 1000u) >> 24);
    } else {
        b.bad = true;
    }
    m->st_num = get_uint(&b, 0x85u);
    m->sq_num = get_uint(&b, 0x86u);
    (void)get_uint(&b, 0x87u); /* simulation */
    (void)get_uint(&b, 0x88u); /* confRev: EVerest sends 1, hardware 0 */
    (void)get_uint(&b, 0x89u); /* ndsCom */
    uint32_t count = get_uint(&b, 0x8Au);
    const uint8_t *all = get_tlv(&b, 0xABu, &l);
    if (b.bad || all == NULL || b.i != b.n) {
        return HUAWEI_RX_BER;
    }
    if (count != s_entries[kind]) {
        return HUAWEI_RX_ENTRIES;
    }
    return parse_entries(all, l, m);
}

int huawei_goose_parse(const uint8_t *f, size_t len, uint16_t vlan_id, struct huawei_goose_msg *m,
                       struct huawei_goose_sec *sec, enum huawei_goose_reject *why)
{
    enum huawei_goose_reject rej = HUAWEI_RX_OK;
    memset(m, 0, sizeof *m);
    memset(sec, 0, sizeof *sec);
    size_t i = 12u;
    if (len < 14u || len > HUAWEI_GOOSE_FRAME_MAX) {
        rej = len < 14u ? HUAWEI_RX_SHORT : HUAWEI_RX_LENGTH;
        goto out;
    }
    memcpy(sec->src, f + 6, 6u);
    if (get16(f + 12) == 0x8100u) {
        if (len < 18u) {
            rej = HUAWEI_RX_SHORT;
            goto out;
        }
        sec->tagged = true;
        sec->vlan_id = (uint16_t)(get16(f + 14) & 0x0FFFu);
        if (sec->vlan_id != vlan_id) {
            rej = HUAWEI_RX_VLAN;
            goto out;
        }
        i = 16u;
    }
    if (len - i < 10u) {
        rej = HUAWEI_RX_SHORT;
        goto out;
    }
    if (get16(f + i) != HUAWEI_GOOSE_ETHERTYPE) {
        rej = HUAWEI_RX_ETHERTYPE;
        goto out;
    }
    const uint8_t *pl = f + i + 2u; /* payload after the EtherType */
    size_t avail = len - i - 2u;
    sec->appid = (uint16_t)get16(pl);
    size_t length = get16(pl + 2);
    uint32_t res1 = get16(pl + 4);
    uint32_t res2 = get16(pl + 6);
    size_t ext = res1 & 0xFFu;
    if (length < 8u || length > avail) {
        rej = length < 8u ? HUAWEI_RX_LENGTH : HUAWEI_RX_SHORT;
        goto out;
    }
    if (ext != 0u) {
        if (ext != SEC_TRAILER || (res1 >> 8) != 0u) {
            rej = HUAWEI_RX_LENGTH; /* only the sheet's one trailer: AD 00 20 + 32 bytes */
            goto out;
        }
        if (length + ext > avail) {
            rej = HUAWEI_RX_SHORT;
            goto out;
        }
        if (huawei_crc16(f + i, 8u) != res2) {
            rej = HUAWEI_RX_CRC;
            goto out;
        }
        const uint8_t *tr = pl + length;
        if (tr[0] != 0xADu || tr[1] != 0x00u || tr[2] != 0x20u) {
            rej = HUAWEI_RX_BER;
            goto out;
        }
        sec->secure = true;
        sec->auth_off = i;
        sec->auth_len = 2u + length;
        sec->mac_off = i + 2u + length + 3u;
    } else if (res2 != 0u) {
        rej = HUAWEI_RX_CRC;
        goto out;
    }
    rej = parse_pdu(pl + 8, length - 8u, sec->appid, m);
out:
    if (why != NULL) {
        *why = rej;
    }
    return rej == HUAWEI_RX_OK ? HAL_OK : HAL_EPROTO;
}

bool huawei_goose_verify(const uint8_t *f, const struct huawei_goose_sec *sec, const uint8_t *key)
{
    if (!sec->secure || key == NULL) {
        return false;
    }
    uint8_t mac[HUAWEI_GOOSE_HMAC_LEN];
    hmac_sha256(key, HUAWEI_GOOSE_KEY_LEN, f + sec->auth_off, sec->auth_len, mac);
    return hmac_sha256_equal(mac, f + sec->mac_off);
}

const char *huawei_goose_reject_name(enum huawei_goose_reject why)
{
    static const char *const names[HUAWEI_RX_REJECT_COUNT] = {
        "ok",          "frame too short", "not GOOSE",        "wrong VLAN",        "wrong length",
        "bad CRC",     "malformed PDU",   "unknown message",  "bad data entries",  "unsecured frame",
        "bad HMAC",    "no key yet",      "replayed sequence", "own frame"};
    return (unsigned)why < (unsigned)HUAWEI_RX_REJECT_COUNT ? names[why] : "?";
}
