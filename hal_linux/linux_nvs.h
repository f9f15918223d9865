/**
 * @file linux_nvs.h
 * @brief Non-volatile store in a directory: one file per record, replaced atomically
 *        (write a temporary file, fsync, rename over the old one, fsync the directory).
 *
 * The fsyncs take milliseconds (11 ms measured for an OCMF record on an SD card class
 * medium), so writes and erases run on one worker thread per store, as linux_modbus does:
 * submit hands the operation over under a mutex the worker never holds across I/O, the
 * worker signals completion through an eventfd that the board registers with
 * linux_loop_watch(POLLIN), and the task that submitted polls for the result. Reads stay
 * on the caller's thread (the page cache answers them). The thread stays inside hal_linux/.
 */
#ifndef LINUX_NVS_H
#define LINUX_NVS_H

#include <pthread.h>
#include <stdbool.h>

#include "hal_nvs.h"

/** Longest directory path accepted. */
#define LINUX_NVS_DIR_MAX 200

/** What the worker is asked to do. */
enum linux_nvs_op {
    LINUX_NVS_OP_WRITE = 1,
    LINUX_NVS_OP_ERASE,
};

/** The Linux store port. */
struct linux_nvs {
    struct hal_nvs base;
    char dir[LINUX_NVS_DIR_MAX];
    int efd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started;
    bool pending; /**< an operation waits for the worker */
    bool busy;    /**< submitted, completion not yet polled */
    bool done;    /**< the worker finished it */
    bool stop;
    enum linux_nvs_op op;
    char key[HAL_NVS_KEY_MAX];
    const uint8_t *data; /**< the caller's buffer: the contract keeps it valid until polled */
    size_t len;
    int status;
};

/**
 * @brief Use @p dir (created if missing, mode 0700) as the store and start its worker.
 * @retval HAL_OK ready; watch linux_nvs_fd() for POLLIN
 * @retval HAL_EINVAL the path is empty or too long
 * @retval HAL_EIO the directory cannot be created or is not a directory, or the eventfd
 *         or the thread could not be created
 */
int linux_nvs_init(struct linux_nvs *n, const char *dir);

/** @brief The descriptor that becomes readable when an operation completes. */
int linux_nvs_fd(const struct linux_nvs *n);

/**
 * @brief Start-up and tools only (never from the superloop): block until the operation in
 *        flight completes and take its outcome, as hal_nvs_poll() would.
 * @retval HAL_OK completed; @p status set
 * @retval HAL_ESTATE nothing was submitted
 */
int linux_nvs_wait(struct linux_nvs *n, int *status);

/** @brief Stop the worker (finishes the operation in flight first), close the eventfd. */
void linux_nvs_close(struct linux_nvs *n);

#endif /* LINUX_NVS_H */
