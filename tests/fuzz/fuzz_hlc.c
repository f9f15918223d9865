/* fuzz_hlc.c - the input format and the flag-drawn charger status of the V2G backend
 * harnesses (fuzz_hlc.h), once for DIN and ISO-2. */
#include "fuzz_hlc.h"

#include <string.h>

bool fuzz_hlc_next(const uint8_t *data, size_t size, size_t *pos, struct fuzz_hlc_chunk *c)
{
    if (*pos + 2 > size) {
        return false;
    }
    c->flags = data[*pos];
    c->len = data[*pos + 1];
    *pos += 2;
    if (c->len > size - *pos) {
        c->len = size - *pos;
    }
    c->msg = data + *pos;
    *pos += c->len;
    return true;
}

void fuzz_hlc_status(uint8_t f, struct hlc_evse *st, uint8_t max_schedule)
{
    memset(st, 0, sizeof *st);
    st->present_voltage_mv = (int32_t)f * 2000;
    st->present_current_ma = (int32_t)(f & 0x3F) * 1000;
    st->max_voltage_mv = 500000;
    st->max_current_ma = 200000;
    st->max_power_w = (f & 0x80) ? 400000 : 50000;
    st->min_voltage_mv = 50000;
    st->current_regulation_tolerance_ma = (f & 0x10) ? 5000 : -1;
    st->peak_current_ripple_ma = 5000;
    st->energy_to_deliver_wh = (f & 0x20) ? 20000 : -1;
    st->isolation = (enum hlc_isolation)((f >> 1) & 3);
    st->status = (f & 0x40) ? (enum hlc_evse_status)(f % HLC_EVSE_STATUS_COUNT) : HLC_EVSE_READY;
    st->notification = (enum hlc_notification)((f >> 3) % HLC_NOTIFY_COUNT);
    st->authorization = f == 0xFF ? HLC_PROCESSING_FAILED
                        : (f & 0x02) ? HLC_PROCESSING_FINISHED : HLC_PROCESSING_ONGOING;
    st->charge_parameters = (f & 0x04) ? HLC_PROCESSING_FINISHED : HLC_PROCESSING_ONGOING;
    st->cable_check = f == 0xFE ? HLC_PROCESSING_FAILED
                      : (f & 0x08) ? HLC_PROCESSING_FINISHED : HLC_PROCESSING_ONGOING;
    st->unix_time_s = (f & 0x01) ? 1700000000 : 0;
    st->schedule_tuple_id = (uint8_t)(f & 0x30); /* only ISO-2 reads it */
    if (f & 0x20) {
        uint8_t n = (uint8_t)(1u + (f & 3u));
        st->schedule.count = n < max_schedule ? n : max_schedule;
        for (uint8_t i = 0; i < st->schedule.count; i++) {
            st->schedule.entry[i].start_s = (uint32_t)i * 3600u * (f & 0x0Fu);
            st->schedule.entry[i].pmax_w = (uint32_t)f * 500u * (i + 1u);
        }
    }
}
