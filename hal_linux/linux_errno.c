#include "linux_errno.h"

#include <errno.h>

#include "hal_err.h"

int linux_errno_to_hal(int err)
{
    switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINPROGRESS:
    case EINTR:
        return HAL_EAGAIN;
    case EINVAL:
    case ERANGE:
    case EDOM:
    case EMSGSIZE:
        return HAL_EINVAL;
    case ENOMEM:
    case ENOBUFS:
    case ENOSPC:
        return HAL_ENOMEM;
    case ETIMEDOUT:
        return HAL_ETIMEDOUT;
    case ENOTSUP:
#if EOPNOTSUPP != ENOTSUP
    case EOPNOTSUPP:
#endif
    case ENOSYS:
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
        return HAL_ENOTSUP;
    case EPROTO:
    case EBADMSG:
        return HAL_EPROTO;
    case EBUSY:
    case EADDRINUSE:
        return HAL_EBUSY;
    case ENOENT:
    case ENODEV:
    case ENXIO:
        return HAL_ENOENT;
    case ENETDOWN:
    case ECONNRESET:
    case EPIPE:
    case ENOTCONN:
    case ECONNREFUSED:
        return HAL_ECLOSED;
    case EOVERFLOW:
        return HAL_EOVERFLOW;
    default:
        return HAL_EIO;
    }
}
