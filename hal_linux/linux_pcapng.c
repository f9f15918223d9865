/* linux_pcapng.c - owns the pcapng writer (struct linux_pcapng): section header, one
 * Ethernet interface, enhanced packet blocks. The file form of every capture this project
 * writes (the Linux board's --capture, the simulator's --out). */
#include "linux_pcapng.h"

#include <string.h>

static void linux_pcapng_put(struct linux_pcapng *w, const void *p, size_t n)
{
    if (n > 0) {
        w->bytes += fwrite(p, 1, n, w->f);
    }
}

static void linux_pcapng_pad(struct linux_pcapng *w, size_t n)
{
    static const uint8_t zero[4];
    linux_pcapng_put(w, zero, (4u - n % 4u) % 4u);
}

static uint32_t linux_pcapng_optlen(const char *s)
{
    return s != NULL ? 4u + (uint32_t)(strlen(s) + 3u) / 4u * 4u : 0u;
}

static void linux_pcapng_opt(struct linux_pcapng *w, uint16_t code, const void *val, size_t len)
{
    uint16_t h[2] = {code, (uint16_t)len};
    linux_pcapng_put(w, h, sizeof h);
    linux_pcapng_put(w, val, len);
    linux_pcapng_pad(w, len);
}

static void linux_pcapng_str(struct linux_pcapng *w, uint16_t code, const char *s)
{
    if (s != NULL) {
        linux_pcapng_opt(w, code, s, strlen(s));
    }
}

int linux_pcapng_open(struct linux_pcapng *w, const char *path, const char *comment, const char *ifname,
                      const char *ifdescr)
{
    static const char appl[] = "dc-charger firmware (linux_pcapng)";
    w->bytes = 0;
    w->f = fopen(path, "wb");
    if (w->f == NULL) {
        return -1;
    }
    /* Section header: magic, version 1.0, section length unknown (-1), comment, application. */
    uint32_t shb_len = 28u + linux_pcapng_optlen(comment) + linux_pcapng_optlen(appl) + 4u;
    uint32_t shb[4] = {0x0A0D0D0Au, shb_len, 0x1A2B3C4Du, 0x00000001u};
    int64_t section = -1;
    linux_pcapng_put(w, shb, sizeof shb);
    linux_pcapng_put(w, &section, sizeof section);
    linux_pcapng_str(w, 1, comment); /* shb_comment */
    linux_pcapng_str(w, 4, appl);    /* shb_userappl */
    linux_pcapng_opt(w, 0, NULL, 0);
    linux_pcapng_put(w, &shb_len, sizeof shb_len);
    /* Interface description: LINKTYPE_ETHERNET, snap length, name, description, microseconds. */
    uint8_t tsresol = 6;
    /* type, length, link type, reserved, snap length (16) + options + end + trailing length */
    uint32_t idb_len = 16u + linux_pcapng_optlen(ifname) + linux_pcapng_optlen(ifdescr) + 8u + 4u + 4u;
    uint32_t idb[2] = {1u, idb_len};
    uint16_t link[2] = {1u, 0u};
    uint32_t snap = 65535u;
    linux_pcapng_put(w, idb, sizeof idb);
    linux_pcapng_put(w, link, sizeof link);
    linux_pcapng_put(w, &snap, sizeof snap);
    linux_pcapng_str(w, 2, ifname);  /* if_name */
    linux_pcapng_str(w, 3, ifdescr); /* if_description */
    linux_pcapng_opt(w, 9, &tsresol, 1);
    linux_pcapng_opt(w, 0, NULL, 0);
    linux_pcapng_put(w, &idb_len, sizeof idb_len);
    if (ferror(w->f)) {
        fclose(w->f);
        w->f = NULL;
        return -1;
    }
    return 0;
}

void linux_pcapng_packet(struct linux_pcapng *w, uint64_t t_us, enum linux_pcapng_dir dir, const uint8_t *data,
                         size_t len)
{
    if (w->f == NULL) {
        return;
    }
    size_t cap = len > 65535u ? 65535u : len;
    uint32_t flags = (uint32_t)dir;
    uint32_t blen = (uint32_t)(28u + (cap + 3u) / 4u * 4u + (dir != LINUX_PCAPNG_DIR_UNKNOWN ? 8u : 0u) + 4u + 4u);
    uint32_t h[7] = {6u, blen, 0u, (uint32_t)(t_us >> 32), (uint32_t)t_us, (uint32_t)cap, (uint32_t)len};
    linux_pcapng_put(w, h, sizeof h);
    linux_pcapng_put(w, data, cap);
    linux_pcapng_pad(w, cap);
    if (dir != LINUX_PCAPNG_DIR_UNKNOWN) {
        linux_pcapng_opt(w, 2, &flags, 4); /* epb_flags: inbound / outbound */
    }
    linux_pcapng_opt(w, 0, NULL, 0);
    linux_pcapng_put(w, &blen, sizeof blen);
}

int linux_pcapng_close(struct linux_pcapng *w)
{
    if (w->f == NULL) {
        return 0;
    }
    int bad = ferror(w->f);
    bad |= fclose(w->f);
    w->f = NULL;
    return bad != 0 ? -1 : 0;
}
