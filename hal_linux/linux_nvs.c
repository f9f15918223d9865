#include "linux_nvs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_errno.h"

static int linux_nvs_path(const struct linux_nvs *n, const char *prefix, const char *key, char *out,
                          size_t cap)
{
    int rc = hal_nvs_key_check(key);
    if (rc != HAL_OK) {
        return rc;
    }
    int len = snprintf(out, cap, "%s/%s%s", n->dir, prefix, key);
    return len > 0 && (size_t)len < cap ? HAL_OK : HAL_EINVAL;
}

static int linux_nvs_sync_dir(const struct linux_nvs *n)
{
    int fd = open(n->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return linux_errno_to_hal(errno);
    }
    int rc = fsync(fd) == 0 ? HAL_OK : linux_errno_to_hal(errno);
    close(fd);
    return rc;
}

static int linux_nvs_read(struct hal_nvs *base, const char *key, uint8_t *buf, size_t cap,
                          size_t *len)
{
    struct linux_nvs *n = (struct linux_nvs *)base;
    char path[LINUX_NVS_DIR_MAX + HAL_NVS_KEY_MAX + 8];
    int rc = linux_nvs_path(n, "", key, path, sizeof path);
    if (rc != HAL_OK) {
        return rc;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? HAL_ENOENT : linux_errno_to_hal(errno);
    }
    size_t got = 0;
    for (;;) {
        if (got == cap) {
            /* Full buffer: the record fits only if the file ends exactly here. */
            uint8_t probe;
            ssize_t r = read(fd, &probe, 1);
            rc = r == 0 ? HAL_OK : r > 0 ? HAL_EOVERFLOW : linux_errno_to_hal(errno);
            break;
        }
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            rc = linux_errno_to_hal(errno);
            break;
        }
        if (r == 0) {
            rc = HAL_OK;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    *len = rc == HAL_OK ? got : 0;
    return rc;
}

/* Runs on the worker: the whole durable replace. */
static int linux_nvs_do_write(const struct linux_nvs *n, const char *key, const uint8_t *data,
                              size_t len)
{
    char path[LINUX_NVS_DIR_MAX + HAL_NVS_KEY_MAX + 8];
    char tmp[LINUX_NVS_DIR_MAX + HAL_NVS_KEY_MAX + 8];
    int rc = linux_nvs_path(n, "", key, path, sizeof path);
    if (rc == HAL_OK) {
        rc = linux_nvs_path(n, ".tmp.", key, tmp, sizeof tmp);
    }
    if (rc != HAL_OK) {
        return rc;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return linux_errno_to_hal(errno);
    }
    size_t done = 0;
    while (done < len && rc == HAL_OK) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno != EINTR) {
            rc = linux_errno_to_hal(errno);
        } else if (w > 0) {
            done += (size_t)w;
        }
    }
    /* The data must be on the medium before the rename makes it the record. */
    if (rc == HAL_OK && fsync(fd) != 0) {
        rc = linux_errno_to_hal(errno);
    }
    if (close(fd) != 0 && rc == HAL_OK) {
        rc = linux_errno_to_hal(errno);
    }
    if (rc == HAL_OK && rename(tmp, path) != 0) {
        rc = linux_errno_to_hal(errno);
    }
    if (rc != HAL_OK) {
        unlink(tmp);
        return rc == HAL_EAGAIN ? HAL_EIO : rc;
    }
    return linux_nvs_sync_dir(n);
}

/* Runs on the worker. */
static int linux_nvs_do_erase(const struct linux_nvs *n, const char *key)
{
    char path[LINUX_NVS_DIR_MAX + HAL_NVS_KEY_MAX + 8];
    int rc = linux_nvs_path(n, "", key, path, sizeof path);
    if (rc != HAL_OK) {
        return rc;
    }
    if (unlink(path) != 0) {
        return errno == ENOENT ? HAL_OK : linux_errno_to_hal(errno);
    }
    return linux_nvs_sync_dir(n);
}

static void *linux_nvs_worker(void *arg)
{
    struct linux_nvs *n = arg;
    pthread_mutex_lock(&n->mu);
    for (;;) {
        while (!n->pending && !n->stop) {
            pthread_cond_wait(&n->cv, &n->mu);
        }
        if (n->pending) {
            /* Finish what was accepted even when asked to stop: it may be a record the
             * caller is about to acknowledge. */
            enum linux_nvs_op op = n->op;
            char key[HAL_NVS_KEY_MAX];
            memcpy(key, n->key, sizeof key);
            const uint8_t *data = n->data;
            size_t len = n->len;
            n->pending = false;
            pthread_mutex_unlock(&n->mu);

            int rc = op == LINUX_NVS_OP_WRITE ? linux_nvs_do_write(n, key, data, len)
                                              : linux_nvs_do_erase(n, key);
            /* The contract's outcomes: a full medium, or a failed one (whatever errno). */
            if (rc != HAL_OK && !(rc == HAL_ENOMEM && op == LINUX_NVS_OP_WRITE)) {
                rc = HAL_EIO;
            }

            pthread_mutex_lock(&n->mu);
            n->status = rc;
            n->done = true;
            uint64_t one = 1;
            ssize_t w = write(n->efd, &one, sizeof one);
            (void)w; /* an eventfd write only fails on counter overflow: still readable */
            pthread_cond_broadcast(&n->cv);
            continue;
        }
        break;
    }
    pthread_mutex_unlock(&n->mu);
    return NULL;
}

static int linux_nvs_submit(struct linux_nvs *n, enum linux_nvs_op op, const char *key,
                            const uint8_t *data, size_t len)
{
    if (hal_nvs_key_check(key) != HAL_OK || (data == NULL && len != 0)) {
        return HAL_EINVAL;
    }
    pthread_mutex_lock(&n->mu);
    if (n->busy) {
        pthread_mutex_unlock(&n->mu);
        return HAL_EBUSY;
    }
    n->op = op;
    memcpy(n->key, key, strlen(key) + 1u);
    n->data = data;
    n->len = len;
    n->busy = true;
    n->pending = true;
    n->done = false;
    pthread_cond_broadcast(&n->cv);
    pthread_mutex_unlock(&n->mu);
    return HAL_OK;
}

static int linux_nvs_submit_write(struct hal_nvs *base, const char *key, const uint8_t *data,
                                  size_t len)
{
    return linux_nvs_submit((struct linux_nvs *)base, LINUX_NVS_OP_WRITE, key, data, len);
}

static int linux_nvs_submit_erase(struct hal_nvs *base, const char *key)
{
    return linux_nvs_submit((struct linux_nvs *)base, LINUX_NVS_OP_ERASE, key, NULL, 0);
}

/* Called with the lock held. */
static int linux_nvs_take(struct linux_nvs *n, int *status)
{
    if (!n->busy) {
        return HAL_ESTATE;
    }
    if (!n->done) {
        return HAL_EAGAIN;
    }
    uint64_t v;
    ssize_t r = read(n->efd, &v, sizeof v); /* clear the wake-up */
    (void)r;
    *status = n->status;
    n->busy = false;
    n->done = false;
    n->data = NULL;
    return HAL_OK;
}

static int linux_nvs_poll(struct hal_nvs *base, int *status)
{
    struct linux_nvs *n = (struct linux_nvs *)base;
    pthread_mutex_lock(&n->mu);
    int rc = linux_nvs_take(n, status);
    pthread_mutex_unlock(&n->mu);
    return rc;
}

int linux_nvs_wait(struct linux_nvs *n, int *status)
{
    pthread_mutex_lock(&n->mu);
    while (n->busy && !n->done) {
        pthread_cond_wait(&n->cv, &n->mu);
    }
    int rc = linux_nvs_take(n, status);
    pthread_mutex_unlock(&n->mu);
    return rc;
}

int linux_nvs_fd(const struct linux_nvs *n)
{
    return n->efd;
}

static const struct hal_nvs_ops s_linux_nvs_ops = {
    .read = linux_nvs_read,
    .submit_write = linux_nvs_submit_write,
    .submit_erase = linux_nvs_submit_erase,
    .poll = linux_nvs_poll,
};

int linux_nvs_init(struct linux_nvs *n, const char *dir)
{
    memset(n, 0, sizeof *n);
    n->efd = -1;
    n->base.ops = &s_linux_nvs_ops;
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof n->dir) {
        return HAL_EINVAL;
    }
    memcpy(n->dir, dir, len + 1);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return HAL_EIO;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return HAL_EIO;
    }
    n->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (n->efd < 0) {
        return HAL_EIO;
    }
    pthread_mutex_init(&n->mu, NULL);
    pthread_cond_init(&n->cv, NULL);
    if (pthread_create(&n->thread, NULL, linux_nvs_worker, n) != 0) {
        pthread_cond_destroy(&n->cv);
        pthread_mutex_destroy(&n->mu);
        close(n->efd);
        n->efd = -1;
        return HAL_EIO;
    }
    n->started = true;
    return HAL_OK;
}

void linux_nvs_close(struct linux_nvs *n)
{
    if (n->started) {
        pthread_mutex_lock(&n->mu);
        n->stop = true;
        pthread_cond_broadcast(&n->cv);
        pthread_mutex_unlock(&n->mu);
        pthread_join(n->thread, NULL);
        pthread_cond_destroy(&n->cv);
        pthread_mutex_destroy(&n->mu);
        n->started = false;
    }
    if (n->efd >= 0) {
        close(n->efd);
        n->efd = -1;
    }
}
