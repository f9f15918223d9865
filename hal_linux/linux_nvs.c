#include "linux_nvs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

static int linux_nvs_write(struct hal_nvs *base, const char *key, const uint8_t *data, size_t len)
{
    struct linux_nvs *n = (struct linux_nvs *)base;
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

static int linux_nvs_erase(struct hal_nvs *base, const char *key)
{
    struct linux_nvs *n = (struct linux_nvs *)base;
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

static const struct hal_nvs_ops s_linux_nvs_ops = {
    .read = linux_nvs_read,
    .write = linux_nvs_write,
    .erase = linux_nvs_erase,
};

int linux_nvs_init(struct linux_nvs *n, const char *dir)
{
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof n->dir) {
        return HAL_EINVAL;
    }
    memcpy(n->dir, dir, len + 1);
    n->base.ops = &s_linux_nvs_ops;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return HAL_EIO;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return HAL_EIO;
    }
    return HAL_OK;
}
