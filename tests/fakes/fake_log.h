/**
 * @file fake_log.h
 * @brief Test fake log sink: keeps the last line and counts lines per level.
 */
#ifndef FAKE_LOG_H
#define FAKE_LOG_H

#include "hal_log.h"

struct fake_log {
    struct hal_log base;
    char last[CFG_HAL_LOG_LINE_MAX];
    unsigned count;
    unsigned errors;
    unsigned warnings;
    int echo; /**< print lines to stdout (debugging a test) */
    const char *watch; /**< count the lines that contain this text (NULL: none) */
    unsigned watched;
};

/** @brief Accept every level. */
void fake_log_init(struct fake_log *l);

#endif /* FAKE_LOG_H */
