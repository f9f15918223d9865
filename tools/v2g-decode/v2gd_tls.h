/**
 * @file v2gd_tls.h
 * @brief TLS 1.2 / 1.3 record decryption from an SSLKEYLOGFILE key log, for v2g-decode
 *        (host tool, heap allowed, OpenSSL's EVP and HMAC for the cryptography).
 *
 * The key log (NSS format: `LABEL <client random hex> <secret hex>`) comes from a file,
 * from key-log lines sent in-band over UDP (the dsV2Gshark captures) or from a pcapng
 * Decryption Secrets block. A connection is fed the in-order bytes of each direction;
 * the plaintext handshake gives the client random, the cipher suite and the version,
 * the key log the secrets. Application data comes out through a callback.
 *
 * Cipher suites: TLS 1.3 AES-128/256-GCM, CHACHA20-POLY1305, AES-128-CCM; TLS 1.2
 * ECDHE/RSA with AES-CBC (HMAC-SHA1/SHA256/SHA384, with or without encrypt-then-MAC),
 * AES-GCM, AES-CCM (16-byte tag) and CHACHA20-POLY1305. Not handled (reported):
 * other suites, renegotiation, TLS 1.3 0-RTT data, session resumption without the key
 * log line of the resumed session, record compression.
 */
#ifndef V2GD_TLS_H
#define V2GD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Labels of the key log lines used. */
enum v2gd_key_label {
    V2GD_KEY_CLIENT_RANDOM = 0, /* TLS 1.2 master secret */
    V2GD_KEY_CLIENT_HS,         /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
    V2GD_KEY_SERVER_HS,         /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
    V2GD_KEY_CLIENT_AP,         /* CLIENT_TRAFFIC_SECRET_0 */
    V2GD_KEY_SERVER_AP,         /* SERVER_TRAFFIC_SECRET_0 */
    V2GD_KEY_LABELS
};

struct v2gd_key {
    uint8_t label; /* enum v2gd_key_label */
    uint8_t random[32];
    uint8_t secret[64];
    uint8_t len;
};

/** All key log lines seen so far. */
struct v2gd_keylog {
    struct v2gd_key *v;
    size_t n, cap;
    unsigned long bad_lines; /**< lines that look like key log lines but do not parse */
};

/**
 * @brief Add the lines of @p text (one or more, '\n' separated; comments and unknown
 *        labels skipped). @return the number of keys added, -1 when out of memory
 */
int v2gd_keylog_add(struct v2gd_keylog *k, const char *text, size_t len);

/** @brief true when @p text starts like a key log line (in-band over UDP). */
bool v2gd_keylog_looks_like(const uint8_t *text, size_t len);

/** @brief Free the entries. */
void v2gd_keylog_free(struct v2gd_keylog *k);

/** Plaintext application data of one direction. */
typedef int (*v2gd_tls_data_fn)(void *ctx, bool from_client, const uint8_t *p, size_t n);

struct v2gd_tls_dir {
    uint8_t *rec;           /* bytes of an incomplete record */
    size_t rlen, rcap;
    uint8_t *hs;            /* handshake bytes of an incomplete message */
    size_t hlen, hcap;
    bool encrypted;         /* records are protected */
    int phase;              /* TLS 1.3: 0 plaintext, 1 handshake keys, 2 application keys */
    bool keyed;             /* key and iv are set for the current phase */
    bool failed;            /* an error was reported: the rest of this direction is dropped */
    uint64_t seq;
    uint8_t key[32], iv[16], mac_key[48];
    uint8_t secret[64];     /* TLS 1.3 traffic secret of the current phase (KeyUpdate) */
};

/** One TLS connection. */
struct v2gd_tls {
    struct v2gd_tls_dir dir[2]; /* [0] server, [1] client */
    bool have_client_random, have_server_hello;
    uint8_t client_random[32], server_random[32];
    uint16_t version;           /* 0x0303 TLS 1.2, 0x0304 TLS 1.3 */
    uint16_t suite;
    bool etm;                   /* encrypt-then-MAC (TLS 1.2 CBC) */
    unsigned long records;      /**< records decrypted */
};

/**
 * @brief Feed in-order bytes of one direction.
 * @param err receives the reason when the direction cannot be decrypted (reported once;
 *        the direction's later bytes are dropped)
 * @retval 0 fine (also after an error of this direction was already reported)
 * @retval 1 an error, reason in @p err
 * @retval other what @p fn returned (non-zero stops)
 */
int v2gd_tls_feed(struct v2gd_tls *c, const struct v2gd_keylog *k, bool from_client, const uint8_t *p, size_t n,
                  v2gd_tls_data_fn fn, void *ctx, char *err, size_t errcap);

/** @brief Name of a cipher suite ("TLS_AES_256_GCM_SHA384", or "0xNNNN"). */
const char *v2gd_tls_suite_name(uint16_t suite, char buf[8]);

/** @brief Free the buffers of a connection. */
void v2gd_tls_free(struct v2gd_tls *c);

#endif /* V2GD_TLS_H */
