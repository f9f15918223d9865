/**
 * @file linux_errno.h
 * @brief The one place where errno values become HAL result codes.
 */
#ifndef LINUX_ERRNO_H
#define LINUX_ERRNO_H

/**
 * @brief Map an errno value to a HAL result code.
 * @param err an errno value (positive)
 * @return the closest enum hal_err value; never HAL_OK
 */
int linux_errno_to_hal(int err);

#endif /* LINUX_ERRNO_H */
