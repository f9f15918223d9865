/* The emulators' Modbus server loop: see mbserve.h. */
#include "mbserve.h"
#include "tool_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int mbserve_open(struct mbserve *m, const char *who, const char *rtu, long baud, char parity, const char *tcp_host,
                 int tcp_port, uint32_t wait_us)
{
    memset(m, 0, sizeof *m);
    m->server = -1;
    m->wait_us = wait_us;
    FD_ZERO(&m->all);
    if (rtu != NULL) {
        char dev[256];
        snprintf(dev, sizeof dev, "%s", rtu);
        char *comma = strchr(dev, ',');
        if (comma != NULL) {
            *comma = '\0';
            char *c2 = strchr(comma + 1, ',');
            if (c2 != NULL) {
                *c2 = '\0';
                if (strlen(c2 + 1) != 1 || strchr("NEO", c2[1]) == NULL) {
                    fprintf(stderr, "%s: --rtu %s: parity must be N, E or O\n", who, rtu);
                    return -1;
                }
                parity = c2[1];
            }
            if (tool_number(who, "--rtu BAUD", comma + 1, 50, 4000000, &baud) != 0) {
                return -1;
            }
        }
        if (tool_must_exist(who, "serial device", dev) != 0) {
            return -1;
        }
        m->ctx = modbus_new_rtu(dev, (int)baud, parity, 8, 1);
        if (m->ctx == NULL || modbus_connect(m->ctx) != 0) {
            fprintf(stderr, "%s: %s: %s\n", who, dev, modbus_strerror(errno));
            mbserve_close(m);
            return -1;
        }
        return 0;
    }
    char service[8];
    snprintf(service, sizeof service, "%d", tcp_port);
    m->ctx = modbus_new_tcp_pi(tcp_host, service);
    m->server = m->ctx != NULL ? modbus_tcp_pi_listen(m->ctx, 4) : -1;
    if (m->server < 0) {
        fprintf(stderr, "%s: listen on %s port %d: %s\n", who, tcp_host, tcp_port, modbus_strerror(errno));
        mbserve_close(m);
        return -1;
    }
    FD_SET(m->server, &m->all);
    m->maxfd = m->server;
    return 0;
}

int mbserve_next(struct mbserve *m, uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH])
{
    if (m->server < 0) {
        modbus_set_indication_timeout(m->ctx, 0, m->wait_us);
        int rc = modbus_receive(m->ctx, q);
        return rc > 0 ? rc : 0;
    }
    fd_set rd = m->all;
    struct timeval tv = {.tv_sec = 0, .tv_usec = (suseconds_t)m->wait_us};
    if (select(m->maxfd + 1, &rd, NULL, NULL, &tv) <= 0) {
        return 0;
    }
    if (FD_ISSET(m->server, &rd)) {
        int fd = accept(m->server, NULL, NULL);
        if (fd >= 0) {
            FD_SET(fd, &m->all);
            m->maxfd = fd > m->maxfd ? fd : m->maxfd;
        }
        return 0;
    }
    for (int fd = 0; fd <= m->maxfd; fd++) {
        if (fd == m->server || !FD_ISSET(fd, &rd)) {
            continue;
        }
        modbus_set_socket(m->ctx, fd);
        int rc = modbus_receive(m->ctx, q);
        if (rc < 0) { /* the client went away */
            close(fd);
            FD_CLR(fd, &m->all);
        }
        return rc > 0 ? rc : 0;
    }
    return 0;
}

int mbserve_unit(const struct mbserve *m, const uint8_t *q)
{
    return m->server >= 0 ? q[modbus_get_header_length(m->ctx) - 1] : q[0];
}

void mbserve_close(struct mbserve *m)
{
    if (m->server >= 0) {
        close(m->server);
        m->server = -1;
    }
    if (m->ctx != NULL) {
        modbus_close(m->ctx);
        modbus_free(m->ctx);
        m->ctx = NULL;
    }
}
