/* Unit tests of the HomePlug AV MME codec: layouts at the byte offsets of the fact
 * sheet, round trips of every message, and refusal of malformed frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "homeplug/homeplug.h"
#include "sha256/sha256.h"

static const uint8_t s_ev[6] = {0x98, 0xed, 0x5c, 0xda, 0xd9, 0x98};
static const uint8_t s_evse[6] = {0xdc, 0x0e, 0xa1, 0x11, 0x67, 0x08};
static const uint8_t s_run[8] = {'T', 'E', 'S', 'L', 'A', ' ', 'E', 'V'};

static void s_hdr(struct homeplug_msg *m, const uint8_t *dst, const uint8_t *src, uint16_t t)
{
    memset(m, 0, sizeof *m);
    memcpy(m->dst, dst, 6);
    memcpy(m->src, src, 6);
    m->mmtype = t;
}

static size_t s_enc(const struct homeplug_msg *m, uint8_t *f)
{
    size_t n = 0;
    assert_int_equal(homeplug_encode(m, f, HOMEPLUG_FRAME_MAX, &n), HAL_OK);
    return n;
}

static void test_parm_req_layout(void **st)
{
    (void)st;
    struct homeplug_msg m, d;
    uint8_t f[HOMEPLUG_FRAME_MAX];
    s_hdr(&m, homeplug_mac_broadcast, s_ev, HOMEPLUG_CM_SLAC_PARM_REQ);
    memcpy(m.u.parm_req.run_id, s_run, 8);
    size_t n = s_enc(&m, f);
    assert_int_equal(n, 60); /* padded */
    assert_int_equal(f[12], 0x88);
    assert_int_equal(f[13], 0xE1);
    assert_int_equal(f[14], 0x01); /* MMV */
    assert_int_equal(f[15], 0x64); /* MMTYPE little endian */
    assert_int_equal(f[16], 0x60);
    assert_int_equal(f[17], 0);
    assert_int_equal(f[18], 0);
    assert_memory_equal(&f[14 + 7], s_run, 8);
    assert_int_equal(homeplug_decode(f, n, &d, NULL), HAL_OK);
    assert_int_equal(d.mmtype, HOMEPLUG_CM_SLAC_PARM_REQ);
    assert_memory_equal(d.u.parm_req.run_id, s_run, 8);
    assert_memory_equal(d.src, s_ev, 6);
}

static void test_match_cnf_layout(void **st)
{
    (void)st;
    struct homeplug_msg m, d;
    uint8_t f[HOMEPLUG_FRAME_MAX];
    s_hdr(&m, s_ev, s_evse, HOMEPLUG_CM_SLAC_MATCH_CNF);
    memcpy(m.u.match.pev_mac, s_ev, 6);
    memcpy(m.u.match.evse_mac, s_evse, 6);
    memcpy(m.u.match.run_id, s_run, 8);
    for (int i = 0; i < 16; i++) {
        m.u.match.nmk[i] = (uint8_t)(0xA0 + i);
    }
    for (int i = 0; i < 7; i++) {
        m.u.match.nid[i] = (uint8_t)(0x10 + i);
    }
    size_t n = s_enc(&m, f);
    assert_int_equal(n, 14 + 95);
    assert_int_equal(f[14 + 7], 0x56); /* MVFLength 86 LE */
    assert_int_equal(f[14 + 8], 0x00);
    assert_memory_equal(&f[14 + 26], s_ev, 6);
    assert_memory_equal(&f[14 + 49], s_evse, 6);
    assert_memory_equal(&f[14 + 55], s_run, 8);
    assert_int_equal(f[14 + 71], 0x10);
    assert_int_equal(f[14 + 79], 0xA0);
    assert_int_equal(homeplug_decode(f, n, &d, NULL), HAL_OK);
    assert_memory_equal(d.u.match.nmk, m.u.match.nmk, 16);
    assert_memory_equal(d.u.match.nid, m.u.match.nid, 7);
    /* the REQ's MVFLength (62) in a CNF is refused */
    f[14 + 7] = 0x3E;
    enum homeplug_reason why;
    assert_int_equal(homeplug_decode(f, n, &d, &why), HAL_EPROTO);
    assert_int_equal(why, HOMEPLUG_R_FIELD);
}

/* Every message type survives encode -> decode -> encode unchanged. */
static void test_round_trip_every_type(void **st)
{
    (void)st;
    static const uint16_t types[] = {
        HOMEPLUG_CM_SET_KEY_REQ, HOMEPLUG_CM_SET_KEY_CNF, HOMEPLUG_CM_AMP_MAP_REQ,
        HOMEPLUG_CM_AMP_MAP_CNF, HOMEPLUG_CM_SLAC_PARM_REQ, HOMEPLUG_CM_SLAC_PARM_CNF,
        HOMEPLUG_CM_START_ATTEN_CHAR_IND, HOMEPLUG_CM_ATTEN_CHAR_IND, HOMEPLUG_CM_ATTEN_CHAR_RSP,
        HOMEPLUG_CM_MNBC_SOUND_IND, HOMEPLUG_CM_VALIDATE_REQ, HOMEPLUG_CM_VALIDATE_CNF,
        HOMEPLUG_CM_SLAC_MATCH_REQ, HOMEPLUG_CM_SLAC_MATCH_CNF, HOMEPLUG_CM_ATTEN_PROFILE_IND,
        HOMEPLUG_VS_SW_VER_REQ, HOMEPLUG_VS_SW_VER_CNF, HOMEPLUG_VS_RS_DEV_REQ,
        HOMEPLUG_VS_RS_DEV_CNF, HOMEPLUG_VS_PL_LNK_STATUS_REQ, HOMEPLUG_VS_PL_LNK_STATUS_CNF};
    static struct homeplug_msg m, d;
    static uint8_t f1[HOMEPLUG_FRAME_MAX], f2[HOMEPLUG_FRAME_MAX];
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        s_hdr(&m, s_ev, s_evse, types[i]);
        /* fill the union with a pattern, then fix the fields that have rules */
        uint8_t *u = (uint8_t *)&m.u;
        for (size_t k = 0; k < sizeof m.u; k++) {
            u[k] = (uint8_t)(k * 7u + i);
        }
        if (types[i] == HOMEPLUG_CM_ATTEN_PROFILE_IND) {
            m.u.profile.num_groups = 58;
        } else if (types[i] == HOMEPLUG_CM_ATTEN_CHAR_IND) {
            m.u.atten_ind.num_groups = 58;
        } else if (types[i] == HOMEPLUG_CM_AMP_MAP_REQ) {
            m.u.amp_map_req.amlen = 917;
        } else if (types[i] == HOMEPLUG_VS_SW_VER_CNF) {
            strcpy(m.u.sw_ver_cnf.version, "MAC-QCA7000-1.1.0.727-02-20130826-FINAL");
        }
        size_t n1 = s_enc(&m, f1);
        assert_int_equal(homeplug_decode(f1, n1, &d, NULL), HAL_OK);
        assert_int_equal(d.mmtype, types[i]);
        size_t n2 = s_enc(&d, f2);
        assert_int_equal(n1, n2);
        assert_memory_equal(f1, f2, n1);
    }
}

static void test_set_key_cnf_result_one(void **st)
{
    (void)st;
    struct homeplug_msg m, d;
    uint8_t f[HOMEPLUG_FRAME_MAX];
    s_hdr(&m, s_evse, homeplug_mac_localcast, HOMEPLUG_CM_SET_KEY_CNF);
    m.u.set_key_cnf.result = 1;
    m.u.set_key_cnf.your_nonce = 0xAAAAAAAAu;
    m.u.set_key_cnf.pid = 4;
    m.u.set_key_cnf.pmn = 0xFF;
    size_t n = s_enc(&m, f);
    assert_int_equal(n, 60);
    assert_int_equal(homeplug_decode(f, n, &d, NULL), HAL_OK);
    assert_int_equal(d.u.set_key_cnf.result, 1);
    assert_int_equal(d.u.set_key_cnf.your_nonce, 0xAAAAAAAAu);
    assert_int_equal(d.u.set_key_cnf.pmn, 0xFF);
}

static void test_vendor_sw_ver(void **st)
{
    (void)st;
    struct homeplug_msg m, d;
    uint8_t f[HOMEPLUG_FRAME_MAX];
    s_hdr(&m, homeplug_mac_localcast, s_evse, HOMEPLUG_VS_SW_VER_REQ);
    size_t n = s_enc(&m, f);
    assert_int_equal(f[14], 0x00); /* MMV 0 */
    assert_int_equal(f[15], 0x00);
    assert_int_equal(f[16], 0xA0);
    assert_int_equal(f[17], 0x00); /* OUI 00 B0 52 */
    assert_int_equal(f[18], 0xB0);
    assert_int_equal(f[19], 0x52);
    assert_int_equal(homeplug_decode(f, n, &d, NULL), HAL_OK);
    /* a CNF with MMV 1 (FMI, then the OUI at 5) is read too */
    s_hdr(&m, s_evse, s_ev, HOMEPLUG_VS_PL_LNK_STATUS_CNF);
    m.u.link_status = 1;
    n = s_enc(&m, f);
    memmove(&f[14 + 5], &f[14 + 3], n - (14 + 5));
    f[14] = 1;
    f[14 + 3] = 0;
    f[14 + 4] = 0;
    assert_int_equal(homeplug_decode(f, n, &d, NULL), HAL_OK);
    assert_int_equal(d.u.link_status, 1);
    /* wrong OUI */
    f[14 + 5] = 0x00;
    f[14 + 6] = 0x16;
    f[14 + 7] = 0xE8;
    enum homeplug_reason why;
    assert_int_equal(homeplug_decode(f, n, &d, &why), HAL_EPROTO);
    assert_int_equal(why, HOMEPLUG_R_OUI);
}

static void test_malformed_rejected(void **st)
{
    (void)st;
    struct homeplug_msg m, d;
    uint8_t f[HOMEPLUG_FRAME_MAX + 8];
    enum homeplug_reason why;
    s_hdr(&m, s_ev, s_evse, HOMEPLUG_CM_SLAC_MATCH_REQ);
    size_t n = s_enc(&m, f);
    /* short: one byte less than the fixed part */
    assert_int_equal(homeplug_decode(f, 14 + 70, &d, &why), HAL_EPROTO);
    assert_int_equal(why, HOMEPLUG_R_SHORT);
    assert_int_equal(homeplug_decode(f, 10, &d, &why), HAL_EPROTO);
    assert_int_equal(why, HOMEPLUG_R_SHORT);
    /* wrong MMV */
    f[14] = 0;
    assert_int_equal(homeplug_decode(f, n, &d, &why), HAL_EPROTO);
    assert_int_equal(why, HOMEPLUG_R_MMV);
    f[14] = 2;
    assert_int_equal(homeplug_decode(f, n, &d, &why), HAL_EPROTO);
    f[14] = 1;
    /* fragmented */
    f[17] = 0x11;
    assert_int_equal(homeplug_decode(f, n, &d, &why), HAL_EPROTO);
    assert_int_equal(why, HOMEPLUG_R_FMI);
    f[17] = 0;
    /* wrong EtherType */
    f[13] = 0xDD;
    assert_int_equal(homeplug_decode(f, n, &d, &why), HAL_EPROTO);
    assert_int_equal(why, HOMEPLUG_R_ETHERTYPE);
    f[13] = 0xE1;
    /* oversize */
    memset(&f[n], 0, sizeof f - n);
    assert_int_equal(homeplug_decode(f, HOMEPLUG_FRAME_MAX + 1, &d, &why), HAL_EPROTO);
    assert_int_equal(why, HOMEPLUG_R_OVERSIZE);
    /* unknown type: not an error, but not decoded */
    f[15] = 0x38; /* CM_NW_INFO.REQ 0x6038 */
    assert_int_equal(homeplug_decode(f, n, &d, &why), HAL_ENOTSUP);
    assert_int_equal(why, HOMEPLUG_R_UNKNOWN);
    /* attenuation profile claiming more groups than exist */
    s_hdr(&m, homeplug_mac_broadcast, s_evse, HOMEPLUG_CM_ATTEN_PROFILE_IND);
    m.u.profile.num_groups = 58;
    n = s_enc(&m, f);
    f[14 + 11] = 59;
    assert_int_equal(homeplug_decode(f, n, &d, &why), HAL_EPROTO);
    assert_int_equal(why, HOMEPLUG_R_FIELD);
    /* 58 groups announced but the frame holds fewer */
    f[14 + 11] = 58;
    assert_int_equal(homeplug_decode(f, 14 + 13 + 40, &d, &why), HAL_EPROTO);
    assert_int_equal(why, HOMEPLUG_R_SHORT);
    /* the QCA7420's empty profile (0 groups, padded to 60) is well-formed */
    f[14 + 11] = 0;
    assert_int_equal(homeplug_decode(f, 60, &d, &why), HAL_OK);
    assert_int_equal(d.u.profile.num_groups, 0);
    /* encoder refuses out-of-range fields and small buffers */
    m.u.profile.num_groups = 59;
    assert_int_equal(homeplug_encode(&m, f, sizeof f, &n), HAL_EINVAL);
    m.u.profile.num_groups = 1;
    assert_int_equal(homeplug_encode(&m, f, 59, &n), HAL_EOVERFLOW);
}

static void test_sha256_and_nid(void **st)
{
    (void)st;
    uint8_t d[32];
    sha256_digest((const uint8_t *)"abc", 3, d);
    static const uint8_t abc[4] = {0xba, 0x78, 0x16, 0xbf};
    assert_memory_equal(d, abc, 4);
    assert_int_equal(d[31], 0xad);
    /* NMK -> NID pairs observed in real sessions (fact sheet 2.13) */
    static const struct {
        uint8_t nmk[16], nid[7];
    } v[] = {
        {{0x9e, 0xd1, 0xf8, 0xa5, 0xb5, 0x66, 0xe8, 0x3d, 0xc4, 0xf1, 0x70, 0x0e, 0x4a, 0x89, 0xaf, 0xec},
         {0xb4, 0x68, 0xac, 0xe9, 0xff, 0x56, 0x03}},
        {{0xb5, 0x93, 0x19, 0xd7, 0xe8, 0x15, 0x7b, 0xa0, 0x01, 0xb0, 0x18, 0x66, 0x9c, 0xce, 0xe3, 0x0d},
         {0x02, 0x6b, 0xcb, 0xa5, 0x35, 0x4e, 0x08}},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t nid[7];
        homeplug_nid_from_nmk(v[i].nmk, nid);
        assert_memory_equal(nid, v[i].nid, 7);
    }
    /* more than one SHA-256 block */
    uint8_t big[200];
    memset(big, 'a', sizeof big);
    sha256_digest(big, sizeof big, d);
    assert_int_equal(d[0], 0xc2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parm_req_layout),     cmocka_unit_test(test_match_cnf_layout),
        cmocka_unit_test(test_round_trip_every_type), cmocka_unit_test(test_set_key_cnf_result_one),
        cmocka_unit_test(test_vendor_sw_ver),        cmocka_unit_test(test_malformed_rejected),
        cmocka_unit_test(test_sha256_and_nid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
