/**
 * @file fuzz_em580.c
 * @brief libFuzzer harness for the EM580/EM300 meter driver: every Modbus reply hostile.
 *
 * The input drives the fuzz Modbus port (fuzz_modbus.h): each reply, exception, timeout
 * and bad frame comes from the bytes, so detection, live reads, starts, stops and OCMF
 * record collection see arbitrary register contents. Between steps a byte chooses the
 * time step and a caller action (start, stop, confirm, time sync). Checked: no sanitizer
 * report; the driver's answers stay inside their definitions (live energy never
 * negative, an OCMF record never longer than its buffer, a txid always terminated).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "em580/em580.h"
#include "fuzz_modbus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct em580 s_em;
static struct fuzz_modbus s_mb;

static void fuzz_em580_check(void)
{
    struct em580_live lv;
    if (em580_live(&s_em, &lv) == HAL_OK && (lv.import_wh < 0 || lv.export_wh < 0)) {
        abort(); /* energy registers are range-checked: a negative total is never published */
    }
    size_t len = 0;
    const char *rec = em580_ocmf(&s_em, &len);
    if (rec != NULL && len > 0 && strlen(rec) != len) {
        abort();
    }
    if (strlen(em580_txid(&s_em)) > 36u) {
        abort();
    }
    (void)em580_strerror(em580_error(&s_em));
    uint8_t pub[HAL_CRYPTO_PUB_MAX];
    size_t pl;
    enum hal_crypto_curve curve;
    (void)em580_pubkey(&s_em, pub, sizeof pub, &pl, &curve);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct em580_config cfg;
    em580_config_default(&cfg);
    fuzz_modbus_init(&s_mb, data, size);
    if (em580_init(&s_em, &s_mb.base, &cfg) != HAL_OK) {
        abort();
    }
    uint32_t now = 0xFFFF0000u; /* crosses the wrap */
    unsigned steps = 0;
    while (s_mb.left > 0 && steps++ < 4000u) {
        uint8_t act = fuzz_modbus_byte(&s_mb);
        uint32_t next = em580_step(&s_em, now);
        fuzz_em580_check();
        switch (act >> 5) {
        case 1: {
            struct em580_tx tx = {.txid = "tx-1", .evse_id = "DE*ABC*E1", .id_data = "04A1B2C3",
                                  .tariff_text = "0.39 EUR/kWh", .assigned = (act & 1u) != 0,
                                  .level = (uint8_t)(act & 7u), .type = (uint8_t)(act & 3u)};
            (void)em580_start(&s_em, &tx);
            break;
        }
        case 2:
            (void)em580_stop(&s_em, (act & 1u) ? "" : "tx-1");
            break;
        case 3:
            (void)em580_confirm(&s_em);
            break;
        case 4:
            (void)em580_time_sync(&s_em, 1700000000 + (int64_t)act, (int16_t)(act & 0x1Fu) * 15);
            break;
        case 5: {
            struct em580_result r;
            (void)em580_result(&s_em, &r);
            break;
        }
        default:
            break;
        }
        /* Either jump to the driver's own deadline or move a little, so both paths run. */
        now = (act & 0x10u) ? next : now + (uint32_t)(act & 0x0Fu) * 50u;
    }
    return 0;
}
