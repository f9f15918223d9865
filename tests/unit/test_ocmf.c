/* Unit tests of the OCMF parser and verifier: well-formed records, every malformation
 * with its reason, algorithms, signature encodings, keys, SHA-256 known answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_crypto.h"
#include "ocmf/ocmf.h"
#include "sha256/sha256.h"

#define PAYLOAD                                                                                  \
    "{\"FV\":\"1.2\",\"GI\":\"SEAL AG\",\"GS\":\"1\",\"GV\":\"1.0\",\"PG\":\"T12\",\"MV\":"      \
    "\"Carlo Gavazzi Controls\",\"MM\":\"EM580\",\"MS\":\"KX123\",\"MF\":\"1.1\",\"IS\":true,"   \
    "\"IL\":\"VERIFIED\",\"IF\":[\"RFID_PLAIN\",\"OCPP_RS_TLS\"],\"IT\":\"ISO14443\",\"ID\":"    \
    "\"04A1B2C3\",\"TT\":\"0.39 EUR/kWh<=>tx-42\",\"CT\":\"EVSEID\",\"CI\":\"DE*ABC*E1\","      \
    "\"LC\":{\"LN\":\"cable\",\"LI\":99,\"LR\":3.5e1,\"LU\":\"mOhm\"},\"RD\":[{\"TM\":"          \
    "\"2026-01-01T10:00:00,000+0100 S\",\"TX\":\"B\",\"RV\":2935.600,\"RI\":\"1-b:1.8.0\","     \
    "\"RU\":\"kWh\",\"RT\":\"AC\",\"ST\":\"G\"},{\"TM\":\"2026-01-01T11:00:00,000+0100 S\","    \
    "\"TX\":\"E\",\"RV\":2945.612,\"ST\":\"G\"}]}"

/* 64 bytes r||s as DER: r has its top bit set (needs the 00 pad), s is short (30 bytes). */
#define SIG_DER                                                                                  \
    "3043022100" "8111111111111111111111111111111111111111111111111111111111111111"            \
    "021e" "222222222222222222222222222222222222222222222222222222222222"

static char s_buf[8192];

static const char *mk(const char *payload, const char *sig)
{
    snprintf(s_buf, sizeof s_buf, "OCMF|%s|%s", payload, sig);
    return s_buf;
}

static int parse(struct ocmf_record *r, const char *t)
{
    return ocmf_parse(r, t, strlen(t));
}

static void test_sha256_known_answers(void **state)
{
    (void)state;
    static const struct {
        const char *msg;
        const char *hex;
    } kat[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < 3; i++) {
        struct sha256 h;
        uint8_t d[32];
        char hex[65];
        sha256_init(&h);
        /* feed byte by byte to exercise the block buffering */
        for (size_t k = 0; k < strlen(kat[i].msg); k++) {
            sha256_update(&h, (const uint8_t *)kat[i].msg + k, 1);
        }
        sha256_final(&h, d);
        for (int k = 0; k < 32; k++) {
            snprintf(hex + 2 * k, 3, "%02x", d[k]);
        }
        assert_string_equal(hex, kat[i].hex);
    }
    /* one million 'a' in uneven pieces */
    struct sha256 h;
    uint8_t d[32];
    static uint8_t a[1000];
    memset(a, 'a', sizeof a);
    sha256_init(&h);
    for (int k = 0; k < 1000; k++) {
        sha256_update(&h, a, 1000);
    }
    sha256_final(&h, d);
    assert_int_equal(d[0], 0xcd);
    assert_int_equal(d[1], 0xc7);
    assert_int_equal(d[31], 0xd0);
}

static void test_parse_good_record(void **state)
{
    (void)state;
    struct ocmf_record r;
    const char *t = mk(PAYLOAD, "{\"SA\":\"ECDSA-brainpoolP256r1-SHA256\",\"SD\":\"" SIG_DER "\"}");
    assert_int_equal(parse(&r, t), HAL_OK);
    char v[64];
    assert_int_equal(ocmf_copy(&r, r.pg, v, sizeof v), HAL_OK);
    assert_string_equal(v, "T12");
    assert_int_equal(ocmf_copy(&r, r.ms, v, sizeof v), HAL_OK);
    assert_string_equal(v, "KX123");
    assert_int_equal(ocmf_copy(&r, r.ci, v, sizeof v), HAL_OK);
    assert_string_equal(v, "DE*ABC*E1");
    assert_int_equal(ocmf_copy(&r, r.ms, v, 3), HAL_EOVERFLOW);
    assert_string_equal(v, "KX");
    assert_int_equal(ocmf_copy(&r, r.gv, v, sizeof v), HAL_OK);
    assert_true(r.is_present && r.is);
    assert_int_equal(r.nreadings, 2);
    /* RU/RI/RT carry over to the second reading */
    assert_int_equal(ocmf_copy(&r, r.rd[1].ru, v, sizeof v), HAL_OK);
    assert_string_equal(v, "kWh");
    assert_int_equal(ocmf_copy(&r, r.rd[1].tx, v, sizeof v), HAL_OK);
    assert_string_equal(v, "E");
    int64_t m, wh;
    assert_int_equal(ocmf_rv_milli(&r, 0, &m), HAL_OK);
    assert_true(m == 2935600);
    assert_int_equal(ocmf_reading_wh(&r, 1, &wh), HAL_OK);
    assert_true(wh == 2945612);
    assert_int_equal(ocmf_reading_wh(&r, 2, &wh), HAL_ENOENT);
    assert_int_equal(ocmf_txid(&r, v, sizeof v), HAL_OK);
    assert_string_equal(v, "tx-42");
    assert_int_equal(r.curve, HAL_CRYPTO_BRAINPOOL256R1);
    assert_int_equal(r.sig_len, 64);
    assert_int_equal(r.sig[0], 0x81);       /* the DER pad byte is gone */
    assert_int_equal(r.sig[32], 0x00);      /* 30-byte s left-padded to 32 */
    assert_int_equal(r.sig[33], 0x00);
    assert_int_equal(r.sig[34], 0x22);
    /* the payload slice is exactly the bytes between the bars */
    assert_int_equal(r.payload.len, strlen(PAYLOAD));
    assert_memory_equal(t + r.payload.off, PAYLOAD, strlen(PAYLOAD));
    assert_string_equal(ocmf_strerror(OCMF_E_JSON), "section is not well-formed JSON");
}

static void test_algorithms_and_spellings(void **state)
{
    (void)state;
    static const struct {
        const char *sa;
        enum hal_crypto_curve c;
    } t[] = {
        {"ECDSA-secp192k1-SHA256", HAL_CRYPTO_SECP192K1},
        {"ECDSA-secp256k1-SHA256", HAL_CRYPTO_SECP256K1},
        {"ECDSA-secp192r1-SHA256", HAL_CRYPTO_SECP192R1},
        {"ECDSA-secp256r1-SHA256", HAL_CRYPTO_SECP256R1},
        {"ECDSA-brainpool256r1-SHA256", HAL_CRYPTO_BRAINPOOL256R1},
        {"ECDSA-brainpoolP256r1-SHA256", HAL_CRYPTO_BRAINPOOL256R1},
        {"ECDSA-secp384r1-SHA256", HAL_CRYPTO_SECP384R1},
        {"ECDSA-brainpool384r1-SHA256", HAL_CRYPTO_BRAINPOOL384R1},
        {"ECDSA-brainpoolP384r1-SHA256", HAL_CRYPTO_BRAINPOOL384R1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        enum hal_crypto_curve c;
        assert_int_equal(ocmf_algorithm(t[i].sa, strlen(t[i].sa), &c), HAL_OK);
        assert_int_equal(c, t[i].c);
        /* a raw r||s of the right size for each curve parses */
        size_t fb = hal_crypto_curve_bytes(c);
        char sig[400];
        int n = snprintf(sig, sizeof sig, "{\"SA\":\"%s\",\"SD\":\"", t[i].sa);
        for (size_t k = 0; k < 2 * fb; k++) {
            n += snprintf(sig + n, sizeof sig - (size_t)n, "7f");
        }
        snprintf(sig + n, sizeof sig - (size_t)n, "\"}");
        struct ocmf_record r;
        assert_int_equal(parse(&r, mk(PAYLOAD, sig)), HAL_OK);
        assert_int_equal(r.sig_len, 2 * fb);
    }
    enum hal_crypto_curve c;
    assert_int_equal(ocmf_algorithm("ECDSA-secp521r1-SHA256", 22, &c), HAL_ENOTSUP);
    /* SA absent: the default curve */
    struct ocmf_record r;
    assert_int_equal(parse(&r, mk(PAYLOAD, "{\"SD\":\"" SIG_DER "\"}")), HAL_OK);
    assert_int_equal(r.curve, HAL_CRYPTO_SECP256R1);
}

struct bad {
    const char *name;
    const char *text;
    enum ocmf_err err;
};

static void test_malformed_records(void **state)
{
    (void)state;
    static char deep[512], many[4096];
    snprintf(deep, sizeof deep, "OCMF|{\"PG\":\"T1\",\"MS\":\"x\",\"IS\":false,\"IT\":\"NONE\","
                                "\"X\":[[[[[[[[[[1]]]]]]]]],\"RD\":[{\"TM\":\"t\",\"ST\":\"G\"}]}|"
                                "{\"SD\":\"" SIG_DER "\"}");
    int n = snprintf(many, sizeof many, "OCMF|{\"PG\":\"T1\",\"MS\":\"x\",\"IS\":false,\"IT\":"
                                        "\"NONE\",\"RD\":[");
    for (int i = 0; i < 9; i++) {
        n += snprintf(many + n, sizeof many - (size_t)n, "%s{\"TM\":\"t\",\"ST\":\"G\"}",
                      i ? "," : "");
    }
    snprintf(many + n, sizeof many - (size_t)n, "]}|{\"SD\":\"" SIG_DER "\"}");
#define MIN_OK "\"PG\":\"T1\",\"MS\":\"x\",\"IS\":false,\"IT\":\"NONE\""
#define RD1 "\"RD\":[{\"TM\":\"t\",\"ST\":\"G\"}]"
#define SIGOK "|{\"SD\":\"" SIG_DER "\"}"
    const struct bad cases[] = {
        {"empty", "", OCMF_E_LENGTH},
        {"no header", "OCMX|{}|{}", OCMF_E_HEADER},
        {"lower-case header", "ocmf|{}|{}", OCMF_E_HEADER},
        {"two sections", "OCMF|{" MIN_OK "," RD1 "}", OCMF_E_SECTIONS},
        {"four sections", "OCMF|{" MIN_OK "," RD1 "}" SIGOK "|{}", OCMF_E_SECTIONS},
        {"NUL inside", "OCMF|{\"PG\":\"T\0\"}|{}", OCMF_E_SECTIONS},
        {"payload not object", "OCMF|[1]" SIGOK, OCMF_E_JSON},
        {"trailing comma", "OCMF|{" MIN_OK "," RD1 ",}" SIGOK, OCMF_E_JSON},
        {"unterminated string", "OCMF|{\"PG\":\"T1}" SIGOK, OCMF_E_JSON},
        {"control char", "OCMF|{\"PG\":\"T\n1\",\"MS\":\"x\"," RD1 "}" SIGOK, OCMF_E_JSON},
        {"bad escape", "OCMF|{\"PG\":\"T\\x1\",\"MS\":\"x\"," RD1 "}" SIGOK, OCMF_E_JSON},
        {"bad unicode escape", "OCMF|{\"PG\":\"T\\u12G4\"," RD1 "}" SIGOK, OCMF_E_JSON},
        {"garbage after payload", "OCMF|{" MIN_OK "," RD1 "} x" SIGOK, OCMF_E_JSON},
        {"bad number", "OCMF|{" MIN_OK ",\"X\":01," RD1 "}" SIGOK, OCMF_E_JSON},
        {"bad literal", "OCMF|{" MIN_OK ",\"X\":tru," RD1 "}" SIGOK, OCMF_E_JSON},
        {"missing PG", "OCMF|{\"MS\":\"x\",\"IS\":false,\"IT\":\"NONE\"," RD1 "}" SIGOK,
         OCMF_E_MISSING},
        {"missing MS", "OCMF|{\"PG\":\"T1\",\"IS\":false,\"IT\":\"NONE\"," RD1 "}" SIGOK,
         OCMF_E_MISSING},
        {"transaction without IS", "OCMF|{\"PG\":\"T1\",\"MS\":\"x\",\"IT\":\"NONE\"," RD1 "}" SIGOK,
         OCMF_E_MISSING},
        {"no RD", "OCMF|{" MIN_OK "}" SIGOK, OCMF_E_READINGS},
        {"empty RD", "OCMF|{" MIN_OK ",\"RD\":[]}" SIGOK, OCMF_E_READINGS},
        {"too many readings", many, OCMF_E_READINGS},
        {"reading without TM", "OCMF|{" MIN_OK ",\"RD\":[{\"ST\":\"G\"}]}" SIGOK, OCMF_E_MISSING},
        {"reading without ST", "OCMF|{" MIN_OK ",\"RD\":[{\"TM\":\"t\"}]}" SIGOK, OCMF_E_MISSING},
        {"RV without RU", "OCMF|{" MIN_OK ",\"RD\":[{\"TM\":\"t\",\"ST\":\"G\",\"RV\":1}]}" SIGOK,
         OCMF_E_MISSING},
        {"RV a string", "OCMF|{" MIN_OK ",\"RD\":[{\"TM\":\"t\",\"ST\":\"G\",\"RV\":\"1\"}]}" SIGOK,
         OCMF_E_TYPE},
        {"IS a string", "OCMF|{\"PG\":\"T1\",\"MS\":\"x\",\"IS\":\"yes\"," RD1 "}" SIGOK,
         OCMF_E_TYPE},
        {"IF not an array", "OCMF|{" MIN_OK ",\"IF\":\"RFID_PLAIN\"," RD1 "}" SIGOK, OCMF_E_TYPE},
        {"PG a number", "OCMF|{\"PG\":1}" SIGOK, OCMF_E_TYPE},
        {"duplicate key", "OCMF|{" MIN_OK ",\"MS\":\"y\"," RD1 "}" SIGOK, OCMF_E_DUPLICATE},
        {"too deep", deep, OCMF_E_DEPTH},
        {"unknown SA", "OCMF|{" MIN_OK "," RD1 "}|{\"SA\":\"RSA-SHA1\",\"SD\":\"" SIG_DER "\"}",
         OCMF_E_ALGORITHM},
        {"SA brainpool with typo", "OCMF|{" MIN_OK "," RD1 "}|{\"SA\":\"ECDSA-brainpoolP256r1\",\"SD\":\"00\"}",
         OCMF_E_ALGORITHM},
        {"no SD", "OCMF|{" MIN_OK "," RD1 "}|{\"SA\":\"ECDSA-secp256r1-SHA256\"}", OCMF_E_MISSING},
        {"odd hex", "OCMF|{" MIN_OK "," RD1 "}|{\"SD\":\"abc\"}", OCMF_E_ENCODING},
        {"not hex", "OCMF|{" MIN_OK "," RD1 "}|{\"SD\":\"zz\"}", OCMF_E_ENCODING},
        {"unknown SE", "OCMF|{" MIN_OK "," RD1 "}|{\"SE\":\"rot13\",\"SD\":\"00\"}", OCMF_E_ENCODING},
        {"unknown SM", "OCMF|{" MIN_OK "," RD1 "}|{\"SM\":\"text/plain\",\"SD\":\"00\"}",
         OCMF_E_ENCODING},
        {"signature wrong size", "OCMF|{" MIN_OK "," RD1 "}|{\"SD\":\"00112233\"}", OCMF_E_SIGNATURE},
        {"DER r too long", "OCMF|{" MIN_OK "," RD1 "}|{\"SD\":\"3026022101" "1111111111111111111111111111111111111111111111111111111111111111" "020101\"}",
         OCMF_E_SIGNATURE},
        {"DER negative r", "OCMF|{" MIN_OK "," RD1 "}|{\"SD\":\"3006020181020101\"}", OCMF_E_SIGNATURE},
        {"sig section not object", "OCMF|{" MIN_OK "," RD1 "}|\"x\"", OCMF_E_JSON},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ocmf_record r;
        size_t len = strlen(cases[i].text);
        if (strcmp(cases[i].name, "NUL inside") == 0) {
            len = 19; /* the literal holds a NUL at 13 */
        }
        int rc = ocmf_parse(&r, cases[i].text, len);
        if (rc != HAL_EPROTO || r.err != cases[i].err) {
            fail_msg("case '%s': rc %d err %d (%s), expected err %d", cases[i].name, rc, r.err,
                     ocmf_strerror(r.err), cases[i].err);
        }
        assert_true(r.err_at <= len);
    }
    static char huge[CFG_OCMF_MAX_LEN + 10];
    memset(huge, ' ', sizeof huge);
    memcpy(huge, "OCMF|", 5);
    struct ocmf_record r;
    assert_int_equal(ocmf_parse(&r, huge, sizeof huge), HAL_EPROTO);
    assert_int_equal(r.err, OCMF_E_LENGTH);
    assert_int_equal(ocmf_parse(NULL, "x", 1), HAL_EINVAL);
}

static void test_trailing_nuls_and_base64(void **state)
{
    (void)state;
    struct ocmf_record r;
    static char t[4096];
    int n = snprintf(t, sizeof t, "%s", mk(PAYLOAD, "{\"SD\":\"" SIG_DER "\"}"));
    memset(t + n, 0, 6);
    assert_int_equal(ocmf_parse(&r, t, (size_t)n + 6), HAL_OK); /* register padding */
    /* base64 of 64 bytes 0x01..0x40 */
    const char *b64 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QA==";
    char sig[300];
    snprintf(sig, sizeof sig, "{\"SE\":\"base64\",\"SA\":\"ECDSA-secp256r1-SHA256\",\"SD\":\"%s\"}", b64);
    assert_int_equal(parse(&r, mk(PAYLOAD, sig)), HAL_OK);
    assert_int_equal(r.sig_len, 64);
    assert_int_equal(r.sig[0], 1);
    assert_int_equal(r.sig[63], 0x40);
    snprintf(sig, sizeof sig, "{\"SE\":\"base64\",\"SD\":\"A*==\"}");
    assert_int_equal(parse(&r, mk(PAYLOAD, sig)), HAL_EPROTO);
    assert_int_equal(r.err, OCMF_E_ENCODING);
}

static void digest_of(const char *s, size_t n, uint8_t d[32])
{
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, (const uint8_t *)s, n);
    sha256_final(&h, d);
}

static const uint8_t s_pub65[65] = {0x04, 1, 2, 3};

static void test_verify_exact_and_altered(void **state)
{
    (void)state;
    struct fake_crypto fc;
    fake_crypto_init(&fc);
    struct ocmf_record r;
    const char *t = mk(PAYLOAD, "{\"SA\":\"ECDSA-brainpool256r1-SHA256\",\"SD\":\"" SIG_DER "\"}");
    assert_int_equal(parse(&r, t), HAL_OK);
    digest_of(PAYLOAD, strlen(PAYLOAD), fc.good_digest);
    memcpy(fc.good_sig, r.sig, 64);
    fc.good_sig_len = 64;
    assert_int_equal(ocmf_verify(&r, &fc.base, s_pub65, 65), HAL_OK);
    assert_int_equal(fc.calls, 1);
    assert_int_equal(fc.last_curve, HAL_CRYPTO_BRAINPOOL256R1);
    /* one changed digit */
    static char alt[4096];
    strcpy(alt, t);
    char *p = strstr(alt, "2945.612");
    p[7] = '3';
    assert_int_equal(parse(&r, alt), HAL_OK);
    fc.calls = 0;
    assert_int_equal(ocmf_verify(&r, &fc.base, s_pub65, 65), HAL_EPROTO);
    assert_int_equal(fc.calls, 1); /* nothing to compact: one try only */
    /* wrong key size for the curve */
    assert_int_equal(ocmf_verify(&r, &fc.base, s_pub65, 64), HAL_EINVAL);
    fc.force = HAL_ENOTSUP;
    assert_int_equal(parse(&r, t), HAL_OK);
    assert_int_equal(ocmf_verify(&r, &fc.base, s_pub65, 65), HAL_ENOTSUP);
}

static void test_verify_compacted_payload(void **state)
{
    (void)state;
    /* the EM580 emits spaces inside LC but signs the compact form */
    const char *spaced = "{\"PG\":\"T1\", \"MS\":\"x y\",\"IS\":false,\"IT\":\"NONE\",\"LC\":{\"LN\":"
                         "\"a \\\" b\", \"LI\": 99},\"RD\":[{\"TM\":\"t\",\"ST\":\"G\"}]}";
    const char *compact = "{\"PG\":\"T1\",\"MS\":\"x y\",\"IS\":false,\"IT\":\"NONE\",\"LC\":{\"LN\":"
                          "\"a \\\" b\",\"LI\":99},\"RD\":[{\"TM\":\"t\",\"ST\":\"G\"}]}";
    struct fake_crypto fc;
    fake_crypto_init(&fc);
    struct ocmf_record r;
    assert_int_equal(parse(&r, mk(spaced, "{\"SD\":\"" SIG_DER "\"}")), HAL_OK);
    digest_of(compact, strlen(compact), fc.good_digest);
    memcpy(fc.good_sig, r.sig, 64);
    fc.good_sig_len = 64;
    assert_int_equal(ocmf_verify(&r, &fc.base, s_pub65, 65), HAL_OK);
    assert_int_equal(fc.calls, 2);
    /* the record itself was not modified */
    assert_non_null(strstr(s_buf, "\"LI\": 99"));
}

/* The check beside the loop gives the verdicts ocmf_verify() gives, with every
 * verification submitted (none inside the caller's pass) and the compacted form tried
 * only after the exact form's answer came back. */
static int check_async(struct ocmf_check *k, const struct ocmf_record *r, struct fake_crypto *fc,
                       unsigned *polls)
{
    int rc = ocmf_check_start(k, r, &fc->base, s_pub65, 65);
    *polls = 0;
    while (rc == HAL_EAGAIN && *polls < 100u) {
        (*polls)++;
        rc = ocmf_check_poll(k);
    }
    return rc;
}

static void test_check_beside_the_loop(void **state)
{
    (void)state;
    struct fake_crypto fc;
    fake_crypto_init(&fc);
    fake_crypto_set_async(&fc, 3);
    struct ocmf_record r;
    struct ocmf_check k;
    unsigned polls;
    const char *t = mk(PAYLOAD, "{\"SA\":\"ECDSA-brainpool256r1-SHA256\",\"SD\":\"" SIG_DER "\"}");
    assert_int_equal(parse(&r, t), HAL_OK);
    digest_of(PAYLOAD, strlen(PAYLOAD), fc.good_digest);
    memcpy(fc.good_sig, r.sig, 64);
    fc.good_sig_len = 64;
    assert_int_equal(check_async(&k, &r, &fc, &polls), HAL_OK);
    assert_int_equal(fc.submits, 1);
    assert_int_equal(fc.sync_calls, 0);
    assert_int_equal(polls, 4); /* 3 answered "running", the 4th the result */
    assert_int_equal(ocmf_check_poll(&k), HAL_ESTATE); /* over: nothing runs */
    /* altered: one try, the same EPROTO as the synchronous check */
    static char alt[4096];
    strcpy(alt, t);
    strstr(alt, "2945.612")[7] = '3';
    assert_int_equal(parse(&r, alt), HAL_OK);
    fc.submits = 0;
    assert_int_equal(check_async(&k, &r, &fc, &polls), HAL_EPROTO);
    assert_int_equal(fc.submits, 1);
    assert_int_equal(fc.sync_calls, 0);
    /* a port failure is passed on, not turned into a verdict on the record */
    fc.force = HAL_EIO;
    assert_int_equal(check_async(&k, &r, &fc, &polls), HAL_EIO);
    fc.force = 0;
    /* busy port (another check in flight): an error, never a hang or a sync fallback */
    assert_int_equal(parse(&r, t), HAL_OK);
    struct ocmf_check other;
    assert_int_equal(ocmf_check_start(&other, &r, &fc.base, s_pub65, 65), HAL_EAGAIN);
    assert_int_equal(ocmf_check_start(&k, &r, &fc.base, s_pub65, 65), HAL_EIO);
    unsigned n = 0;
    int rc;
    while ((rc = ocmf_check_poll(&other)) == HAL_EAGAIN && n++ < 10u) {
    }
    assert_int_equal(rc, HAL_OK);
    /* lengths are checked before anything is submitted */
    fc.submits = 0;
    assert_int_equal(ocmf_check_start(&k, &r, &fc.base, s_pub65, 64), HAL_EINVAL);
    assert_int_equal(fc.submits, 0);
}

static void test_check_beside_the_loop_compacted(void **state)
{
    (void)state;
    const char *spaced = "{\"PG\":\"T1\", \"MS\":\"x y\",\"IS\":false,\"IT\":\"NONE\",\"LC\":{\"LN\":"
                         "\"a \\\" b\", \"LI\": 99},\"RD\":[{\"TM\":\"t\",\"ST\":\"G\"}]}";
    const char *compact = "{\"PG\":\"T1\",\"MS\":\"x y\",\"IS\":false,\"IT\":\"NONE\",\"LC\":{\"LN\":"
                          "\"a \\\" b\",\"LI\":99},\"RD\":[{\"TM\":\"t\",\"ST\":\"G\"}]}";
    struct fake_crypto fc;
    fake_crypto_init(&fc);
    fake_crypto_set_async(&fc, 2);
    struct ocmf_record r;
    struct ocmf_check k;
    unsigned polls;
    assert_int_equal(parse(&r, mk(spaced, "{\"SD\":\"" SIG_DER "\"}")), HAL_OK);
    digest_of(compact, strlen(compact), fc.good_digest);
    memcpy(fc.good_sig, r.sig, 64);
    fc.good_sig_len = 64;
    assert_int_equal(check_async(&k, &r, &fc, &polls), HAL_OK);
    assert_int_equal(fc.submits, 2);
    assert_int_equal(fc.sync_calls, 0);
    assert_int_equal(polls, 6);
    /* a key that signed neither form: both tried, EPROTO */
    memset(fc.good_digest, 0xee, 32);
    fc.submits = 0;
    assert_int_equal(check_async(&k, &r, &fc, &polls), HAL_EPROTO);
    assert_int_equal(fc.submits, 2);
}

static void test_pubkey_forms(void **state)
{
    (void)state;
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    size_t len;
    char hex[400];
    int n = snprintf(hex, sizeof hex, "04");
    for (int i = 0; i < 64; i++) {
        n += snprintf(hex + n, sizeof hex - (size_t)n, "%02X", i);
    }
    assert_int_equal(ocmf_pubkey_from_hex(hex, strlen(hex), pub, sizeof pub, &len), HAL_OK);
    assert_int_equal(len, 65);
    assert_int_equal(pub[64], 63);
    /* EM580 register block: one unused 00 at the end */
    strcat(hex, "00");
    assert_int_equal(ocmf_pubkey_from_hex(hex, strlen(hex), pub, sizeof pub, &len), HAL_OK);
    assert_int_equal(len, 65);
    /* DER SubjectPublicKeyInfo for brainpoolP256r1 */
    char der[400];
    n = snprintf(der, sizeof der, "305a301406072a8648ce3d020106092b240303020801010703420004");
    for (int i = 0; i < 64; i++) {
        n += snprintf(der + n, sizeof der - (size_t)n, "%02x", i);
    }
    assert_int_equal(ocmf_pubkey_from_hex(der, strlen(der), pub, sizeof pub, &len), HAL_OK);
    assert_int_equal(len, 65);
    assert_int_equal(pub[0], 4);
    assert_int_equal(pub[1], 0);
    /* EM580 DER block is padded after the structure */
    strcat(der, "0000");
    assert_int_equal(ocmf_pubkey_from_hex(der, strlen(der), pub, sizeof pub, &len), HAL_OK);
    der[3] = 'b'; /* length no longer matches */
    assert_int_equal(ocmf_pubkey_from_hex(der, strlen(der), pub, sizeof pub, &len), HAL_EINVAL);
    assert_int_equal(ocmf_pubkey_from_hex("04zz", 4, pub, sizeof pub, &len), HAL_EINVAL);
    assert_int_equal(ocmf_pubkey_from_hex("0401", 4, pub, sizeof pub, &len), HAL_EINVAL);
}

static void test_rv_forms(void **state)
{
    (void)state;
    struct ocmf_record r;
    const char *t = "OCMF|{" MIN_OK ",\"RD\":[{\"TM\":\"t\",\"ST\":\"G\",\"RV\":12,\"RU\":\"Wh\"},"
                    "{\"TM\":\"t\",\"ST\":\"G\",\"RV\":1.2345,\"RU\":\"kWh\"},"
                    "{\"TM\":\"t\",\"ST\":\"G\",\"RV\":-0.5,\"RU\":\"mOhm\"}]}" SIGOK;
    assert_int_equal(parse(&r, t), HAL_OK);
    int64_t v;
    assert_int_equal(ocmf_rv_milli(&r, 0, &v), HAL_OK);
    assert_true(v == 12000);
    assert_int_equal(ocmf_reading_wh(&r, 0, &v), HAL_OK);
    assert_true(v == 12);
    assert_int_equal(ocmf_rv_milli(&r, 1, &v), HAL_EINVAL); /* 4 decimals */
    assert_int_equal(ocmf_rv_milli(&r, 2, &v), HAL_OK);
    assert_true(v == -500);
    assert_int_equal(ocmf_reading_wh(&r, 2, &v), HAL_EINVAL); /* not energy */
    char id[8];
    assert_int_equal(ocmf_txid(&r, id, sizeof id), HAL_ENOENT);
}

/* Issue 12 item 13: a reading is an outside number. Values whose milli form does not fit
 * an int64 (the fuzzer's "RV":90000000000000000 kWh), and forms without a digit, are a
 * clear HAL_EINVAL, never signed overflow (UBSan aborts this binary on any overflow). */
static void test_rv_out_of_range(void **state)
{
    (void)state;
    struct ocmf_record r;
    const char *t = "OCMF|{" MIN_OK ",\"RD\":[{\"TM\":\"t\",\"ST\":\"G\",\"RV\":90000000000000000,\"RU\":\"kWh\"},"
                    "{\"TM\":\"t\",\"ST\":\"G\",\"RV\":-9223372036854775.808,\"RU\":\"kWh\"},"
                    "{\"TM\":\"t\",\"ST\":\"G\",\"RV\":9223372036854775.807,\"RU\":\"kWh\"},"
                    "{\"TM\":\"t\",\"ST\":\"G\",\"RV\":9223372036854775.81,\"RU\":\"kWh\"},"
                    "{\"TM\":\"t\",\"ST\":\"G\",\"RV\":99999999999999999999,\"RU\":\"Wh\"}]}" SIGOK;
    assert_int_equal(parse(&r, t), HAL_OK);
    int64_t v = 7;
    assert_int_equal(ocmf_rv_milli(&r, 0, &v), HAL_EINVAL);
    assert_int_equal(ocmf_reading_wh(&r, 0, &v), HAL_EINVAL);
    assert_true(v == 7); /* untouched on error */
    assert_int_equal(ocmf_rv_milli(&r, 1, &v), HAL_EINVAL); /* INT64_MIN itself: refused */
    assert_int_equal(ocmf_rv_milli(&r, 2, &v), HAL_OK);     /* the largest that fits */
    assert_true(v == INT64_MAX);
    assert_int_equal(ocmf_rv_milli(&r, 3, &v), HAL_EINVAL); /* ...5810 is past INT64_MAX */
    assert_int_equal(ocmf_rv_milli(&r, 4, &v), HAL_EINVAL);
}

/* The SubjectPublicKeyInfo OCPP's signed values carry: the well-known DER headers of
 * id-ecPublicKey with P-256 and P-384 (RFC 5480), the point after them, and the meter's
 * own parser reading it back. */
static void test_spki_der(void **state)
{
    (void)state;
    static const uint8_t h256[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                   0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
    static const uint8_t h384[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
                                   0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};
    uint8_t pt[98], der[OCMF_SPKI_MAX], back[HAL_CRYPTO_PUB_MAX];
    size_t n = 0, bn = 0;
    pt[0] = 0x04;
    for (size_t i = 1; i < sizeof pt; i++) {
        pt[i] = (uint8_t)(i * 7u);
    }
    pt[65] = 0x00; /* the EM580's trailing byte after a P-256 point */
    assert_int_equal(ocmf_spki_der(HAL_CRYPTO_SECP256R1, pt, 66, der, sizeof der, &n), HAL_OK);
    assert_int_equal(n, sizeof h256 + 65u);
    assert_memory_equal(der, h256, sizeof h256);
    assert_memory_equal(der + sizeof h256, pt, 65);
    assert_int_equal(ocmf_pubkey_from_bytes(der, n, back, sizeof back, &bn), HAL_OK);
    assert_int_equal(bn, 65);
    assert_memory_equal(back, pt, 65);

    pt[65] = 0x11;
    assert_int_equal(ocmf_spki_der(HAL_CRYPTO_SECP256R1, pt, 66, der, sizeof der, &n), HAL_EINVAL); /* not padding */
    assert_int_equal(ocmf_spki_der(HAL_CRYPTO_SECP384R1, pt, 97, der, sizeof der, &n), HAL_OK);
    assert_int_equal(n, sizeof h384 + 97u);
    assert_memory_equal(der, h384, sizeof h384);
    assert_int_equal(ocmf_pubkey_from_bytes(der, n, back, sizeof back, &bn), HAL_OK);
    assert_int_equal(bn, 97);

    /* brainpoolP256r1's OID (RFC 5639) */
    assert_int_equal(ocmf_spki_der(HAL_CRYPTO_BRAINPOOL256R1, pt, 65, der, sizeof der, &n), HAL_OK);
    static const uint8_t bp[] = {0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07};
    assert_memory_equal(der + 13, bp, sizeof bp);

    assert_int_equal(ocmf_spki_der(HAL_CRYPTO_SECP256R1, pt, 64, der, sizeof der, &n), HAL_EINVAL);  /* short */
    assert_int_equal(ocmf_spki_der(HAL_CRYPTO_SECP256R1, pt, 97, der, sizeof der, &n), HAL_EINVAL);  /* P-384 size */
    pt[0] = 0x02;
    assert_int_equal(ocmf_spki_der(HAL_CRYPTO_SECP256R1, pt, 65, der, sizeof der, &n), HAL_EINVAL);  /* compressed */
    pt[0] = 0x04;
    assert_int_equal(ocmf_spki_der(HAL_CRYPTO_SECP256R1, pt, 65, der, 90, &n), HAL_EOVERFLOW);
    assert_int_equal(ocmf_spki_der((enum hal_crypto_curve)99, pt, 65, der, sizeof der, &n), HAL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_known_answers),
        cmocka_unit_test(test_rv_out_of_range),
        cmocka_unit_test(test_parse_good_record),
        cmocka_unit_test(test_algorithms_and_spellings),
        cmocka_unit_test(test_malformed_records),
        cmocka_unit_test(test_trailing_nuls_and_base64),
        cmocka_unit_test(test_verify_exact_and_altered),
        cmocka_unit_test(test_verify_compacted_payload),
        cmocka_unit_test(test_check_beside_the_loop),
        cmocka_unit_test(test_check_beside_the_loop_compacted),
        cmocka_unit_test(test_pubkey_forms),
        cmocka_unit_test(test_rv_forms),
        cmocka_unit_test(test_spki_der),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
