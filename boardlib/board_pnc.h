/**
 * @file board_pnc.h
 * @brief Plug & Charge files of the host boards (docs/pnc.md "On the charger"): the
 *        mobility-operator roots of `pnc.mo_roots` read and parsed at start for the
 *        charger, and a car's contract chain (evsim, `sim --pnc`). PEM (several
 *        certificates per file) or DER; a directory is read in name order (*.pem, *.der,
 *        *.crt, *.cer). Every file is outside data: each refusal says which file and why.
 *        Host-only board library (boardlib/).
 */
#ifndef BOARD_PNC_H
#define BOARD_PNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_crypto.h"
#include "hal_rng.h"
#include "iso2/iso2_ev.h"
#include "linux_crypto.h"
#include "x509/x509.h"

/** Certificates one set holds (roots: several operators; a chain: leaf + 2 Sub-CAs + root). */
#define BOARD_PNC_CERTS_MAX 8u
/** Largest certificate kept (a root may exceed the 800 bytes of a chain certificate). */
#define BOARD_PNC_DER_MAX 2048u
/** Largest file read. */
#define BOARD_PNC_FILE_MAX 65536u

/** Parsed certificates over their own DER copies (static storage of the caller). */
struct board_pnc_certs {
    uint8_t der[BOARD_PNC_CERTS_MAX][BOARD_PNC_DER_MAX];
    size_t len[BOARD_PNC_CERTS_MAX];
    struct x509_cert cert[BOARD_PNC_CERTS_MAX];
    size_t n;
};

/**
 * @brief Append every certificate of one file's bytes (PEM blocks, or one DER certificate).
 * @param name for the reason ("roots.pem")
 * @retval HAL_OK     at least one certificate appended, each parsed
 * @retval HAL_EINVAL empty, neither PEM nor DER, bad base64, a block without END, a
 *                    certificate that does not parse or is too large; @p why says which
 * @retval HAL_ENOMEM more than BOARD_PNC_CERTS_MAX certificates
 */
int board_pnc_parse(struct board_pnc_certs *s, const uint8_t *data, size_t len, const char *name, char *why,
                    size_t cap);

/** Longest path of a certificate file in a directory of them. */
#define BOARD_PNC_PATH_MAX 512u

/** One certificate of a file as board_pnc_each() finds it: @p der is the DER (PEM decoded,
 *  or the file itself), @p too_large when a PEM block did not fit the scratch (then @p der
 *  holds its first @p len bytes). Return HAL_OK to go on; else fill @p why and stop. */
typedef int (*board_pnc_cert_fn)(void *arg, const uint8_t *der, size_t len, unsigned block, bool too_large,
                                 char *why, size_t cap);

/**
 * @brief The one walker of certificate files (the charger, evsim, sim and v2g-pki): every
 *        "CERTIFICATE" PEM block of @p data decoded into @p scratch, or @p data itself when it
 *        is one DER certificate, handed to @p fn in file order.
 * @retval HAL_EINVAL empty, neither PEM nor DER, a block without its END line, bad base64
 *         (@p why names @p name and the block); or what @p fn returned
 */
int board_pnc_each(const uint8_t *data, size_t len, const char *name, uint8_t *scratch, size_t scap,
                   board_pnc_cert_fn fn, void *arg, char *why, size_t cap);

/** @brief Read a whole file into @p buf (NUL after the data); HAL_EINVAL when it needs @p cap bytes or more. */
int board_pnc_read(const char *path, uint8_t *buf, size_t cap, size_t *len, char *why, size_t wcap);

/** @brief The certificate files (*.pem, *.der, *.crt, *.cer) of a directory, full paths in name
 *         order (HAL_EINVAL: none; HAL_ENOMEM: more than @p max). */
int board_pnc_list_dir(const char *path, char (*names)[BOARD_PNC_PATH_MAX], size_t max, size_t *count, char *why,
                       size_t cap);

/** @brief board_pnc_parse() of a file (HAL_ENOENT: unreadable; HAL_EINVAL also above BOARD_PNC_FILE_MAX). */
int board_pnc_load_file(struct board_pnc_certs *s, const char *path, char *why, size_t cap);

/**
 * @brief Load trust anchors for contract chains: a file or a directory of them. Each must
 *        be a self-issued CA of the ISO-2 root profile (EC P-256, ecdsa-with-SHA256, cA,
 *        keyCertSign): a leaf or an RSA root given by mistake is refused here, at start,
 *        not at the first car.
 * @retval HAL_OK at least one root; otherwise as board_pnc_load_file(), @p why says which
 */
int board_pnc_load_roots(struct board_pnc_certs *s, const char *path, char *why, size_t cap);

/**
 * @brief Check a car's contract key handle against its leaf: sign a test digest with the
 *        key through @p crypto and verify it with the leaf's public key.
 * @retval HAL_OK the key belongs to the leaf
 * @retval HAL_EINVAL it does not (another key, another curve), or the leaf is not P-256
 * @retval other the port cannot sign or verify
 */
int board_pnc_key_matches(struct hal_crypto *crypto, uint32_t key, const struct x509_cert *leaf);

/** A car's contract as evsim and `sim --pnc` load it: the chain, and the contract the ISO-2
 *  car machine is lent (cfg.iso2.contract = &car.contract). */
struct board_pnc_car {
    struct board_pnc_certs chain;  /**< leaf first, then its Sub-CAs */
    struct iso2_ev_contract contract;
    uint8_t buf[1024];             /**< the signature's scratch */
};

/**
 * @brief Load a car's contract: the chain file (PEM/DER, leaf first, at most the Sub-CAs a
 *        PaymentDetailsReq holds, each at most 800 bytes), the eMAID from the leaf's CN, the
 *        private key file into @p crypto, and the check that the key is the leaf's.
 * @retval HAL_OK @p car->contract is ready
 * @retval other  @p why names the file and the reason
 */
int board_pnc_load_car(struct board_pnc_car *car, struct linux_crypto *crypto, const char *chain_path,
                       const char *key_path, char *why, size_t cap);

#endif /* BOARD_PNC_H */
