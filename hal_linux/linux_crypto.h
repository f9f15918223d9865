/**
 * @file linux_crypto.h
 * @brief hal_crypto on OpenSSL 3 (libcrypto): ECDSA verification on every OCMF curve.
 */
#ifndef LINUX_CRYPTO_H
#define LINUX_CRYPTO_H

#include "hal_crypto.h"

#include <pthread.h>
#include <stdbool.h>

/** The last key a verifier used, kept for the next record of the same meter. */
struct linux_crypto_key {
    struct evp_pkey_st *key;
    enum hal_crypto_curve curve;
    size_t len;
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
};

/** One verification handed to the worker: copies of every input. */
struct linux_crypto_job {
    enum hal_crypto_curve curve;
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    size_t pub_len;
    uint8_t digest[64];
    size_t digest_len;
    uint8_t sig[HAL_CRYPTO_SIG_MAX];
    size_t sig_len;
};

/** Private keys a port holds for hal_crypto_ecdsa_sign() (PnC: contract key, provider key). */
#define LINUX_CRYPTO_SIGN_KEYS 4u

/** The OpenSSL crypto port. */
struct linux_crypto {
    struct hal_crypto base;
    int selftest;                 /**< HAL_OK: the known-answer signature verified at init */
    struct linux_crypto_key sync_key;   /**< used by the loop's synchronous verifications */
    /* the worker (linux_crypto_start_worker): submit/poll run the verification beside the
     * loop, so a record's check never costs a loop pass (docs/architecture.md) */
    struct linux_crypto_key job_key;    /**< used only by the worker thread */
    struct linux_crypto_job job;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int efd;                      /**< readable when a result is ready; -1 without a worker */
    bool started, pending, busy, done, stop;
    int result;
    /* ---- signing (issue 15): the keys behind the handles of hal_crypto_ecdsa_sign() ---- */
    struct evp_pkey_st *sign_key[LINUX_CRYPTO_SIGN_KEYS];
    enum hal_crypto_curve sign_curve[LINUX_CRYPTO_SIGN_KEYS];
};

/**
 * @brief Fill the ops (synchronous only) and verify a known-answer P-256 signature, which
 *        also moves OpenSSL's first-use set-up out of the loop; the outcome is in `selftest`.
 */
void linux_crypto_init(struct linux_crypto *c);

/**
 * @brief Start the worker thread and offer submit/poll: a caller that uses them (the meter
 *        session) then never verifies inside a loop pass. Watch linux_crypto_fd() for POLLIN.
 * @retval HAL_OK running
 * @retval HAL_EIO the eventfd or the thread could not be created (the port stays synchronous)
 */
int linux_crypto_start_worker(struct linux_crypto *c);

/** @brief The descriptor that becomes readable when a submitted check ends (-1 without worker). */
int linux_crypto_fd(const struct linux_crypto *c);

/** @brief Stop the worker (after the running check) and free the kept keys. */
void linux_crypto_close(struct linux_crypto *c);

/**
 * @brief OpenSSL's name of a curve ("prime256v1", "brainpoolP384r1", ...).
 * @return a static string, or NULL for an unknown value
 */
const char *linux_crypto_curve_name(enum hal_crypto_curve curve);

/* ---- signing (issue 15) -------------------------------------------------------------- */

/**
 * @brief Load an EC private key (PEM: "EC PRIVATE KEY" or PKCS#8, unencrypted) for
 *        hal_crypto_ecdsa_sign(); the handle it answers names it there.
 * @retval HAL_OK loaded, *handle set
 * @retval HAL_EINVAL not a PEM EC private key, or a curve hal_crypto has no name for
 * @retval HAL_ENOMEM all LINUX_CRYPTO_SIGN_KEYS slots are in use
 */
int linux_crypto_add_key_pem(struct linux_crypto *c, const char *pem, size_t len, uint32_t *handle);

/**
 * @brief linux_crypto_add_key_pem() from a file.
 * @retval HAL_ENOENT the file cannot be read; otherwise as linux_crypto_add_key_pem()
 */
int linux_crypto_add_key_file(struct linux_crypto *c, const char *path, uint32_t *handle);

#endif /* LINUX_CRYPTO_H */
