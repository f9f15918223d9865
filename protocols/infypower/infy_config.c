/* infy_config.c - owns the InfyPower driver's constant tables (error names, the status
 * bits each raise) and its configuration: defaults and the start-up check. */
#include "infypower/infy_driver.h"

#include <string.h>

static const char *const s_error_names[INFY_E_COUNT] = {
    "CommunicationFault", "HardwareFault", "OverTemperature", "UnderVoltageAC", "UnderVoltageDC",
    "OverVoltageDC",      "OverCurrentDC", "VendorError",     "VendorWarning"};

/* Section 4 of the fact sheet, EVerest's treatment (kept, including its questionable
 * input under-voltage -> UnderVoltageDC, so both drivers raise the same errors). The
 * address clash is raised as a configuration error (VendorError), as the sheet advises. */
static const struct infy_status_map s_status_map[] = {
    {INFY_ST_SHORT_CIRCUIT, INFY_E_OVER_CURRENT_DC, true, "output short circuit"},
    {INFY_ST_DISCHARGE_ABNORMAL, INFY_E_HARDWARE, true, "discharge abnormal"},
    {INFY_ST_FAULT_ALARM, INFY_E_HARDWARE, true, "module fault"},
    {INFY_ST_PROTECTION, INFY_E_HARDWARE, true, "module protection"},
    {INFY_ST_FAN_FAULT, INFY_E_VENDOR_WARNING, false, "fan fault"},
    {INFY_ST_OVER_TEMP, INFY_E_OVER_TEMPERATURE, true, "over-temperature"},
    {INFY_ST_OUTPUT_OVER_VOLTAGE, INFY_E_OVER_VOLTAGE_DC, true, "output over-voltage"},
    {INFY_ST_COMM_INTERRUPT, INFY_E_COMMUNICATION, true, "communication interrupted"},
    {INFY_ST_ID_REPEATED, INFY_E_VENDOR_ERROR, true, "module address repeated"},
    {INFY_ST_LOAD_SHARING, INFY_E_HARDWARE, true, "load-sharing alarm"},
    {INFY_ST_PHASE_LOST, INFY_E_VENDOR_ERROR, true, "input phase lost"},
    {INFY_ST_INPUT_UNBALANCED, INFY_E_UNDER_VOLTAGE_AC, true, "input unbalanced"},
    {INFY_ST_INPUT_UNDER_VOLTAGE, INFY_E_UNDER_VOLTAGE_DC, true, "input under-voltage"},
    {INFY_ST_INPUT_OVER_VOLTAGE, INFY_E_UNDER_VOLTAGE_AC, true, "input over-voltage"},
};

const struct infy_status_map *infy_status_table(size_t *count)
{
    *count = sizeof s_status_map / sizeof s_status_map[0];
    return s_status_map;
}

const char *infy_error_name(enum infy_error e)
{
    return (unsigned)e < (unsigned)INFY_E_COUNT ? s_error_names[e] : "?";
}

bool infy_error_high(enum infy_error e)
{
    return e != INFY_E_VENDOR_WARNING;
}

void infy_default_config(struct infy_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->controller = INFY_ADDR_CONTROLLER;
    cfg->addressing = INFY_ADDRESSING_FIXED;
    cfg->poll_period_ms = 900;
    cfg->frame_spacing_ms = 50;
    cfg->offline_timeout_ms = 15000;
    cfg->power_down_timeout_ms = 1500;
    cfg->safe_current_ma = 2000;
    cfg->min_current_ma = 1000;
    cfg->efficiency_permille = 950;
}

int infy_config_check(const struct infy_config *cfg, const char **why)
{
    const char *w = NULL;
    if (cfg->controller < 0xF0u || cfg->controller > 0xF7u) {
        w = "controller address must be 0xF0..0xF7 (0xF8 and up belong to the modules' internal traffic)";
    } else if (cfg->addressing == INFY_ADDRESSING_FIXED &&
               (cfg->count == 0 || cfg->count > CFG_INFY_MAX_MODULES)) {
        w = "fixed addressing needs 1..CFG_INFY_MAX_MODULES module addresses";
    } else if (cfg->addressing != INFY_ADDRESSING_FIXED && cfg->addressing != INFY_ADDRESSING_GROUP) {
        w = "addressing must be fixed or group";
    } else if (cfg->addressing == INFY_ADDRESSING_GROUP && cfg->group > 0x3Fu) {
        w = "group number must be 0..63";
    } else if (cfg->offline_timeout_ms <= INFY_MODULE_WATCHDOG_MS) {
        w = "offline timeout must be longer than the modules' own 10 s watchdog, or a module "
            "would be dropped from the capability sum while it may still deliver current";
    } else if (cfg->offline_timeout_ms > 600000u) {
        w = "offline timeout must be at most 600 s";
    } else if (cfg->poll_period_ms < 100u || cfg->poll_period_ms > 1000u) {
        w = "poll period must be 100..1000 ms (every module is polled at least every 1 s)";
    } else if (cfg->frame_spacing_ms < 50u || cfg->frame_spacing_ms > 200u) {
        w = "frame spacing must be 50..200 ms";
    } else if (cfg->power_down_timeout_ms == 0 || cfg->power_down_timeout_ms > 60000u) {
        w = "power-down timeout must be 1..60000 ms";
    } else if (cfg->safe_current_ma == 0) {
        w = "safe current must be above 0";
    } else if (cfg->min_current_ma == 0) {
        w = "minimum current must be above 0 (modules reject 0 A)";
    } else if (cfg->efficiency_permille > 1000u) {
        w = "efficiency must be 0..1000 per mille";
    }
    if (w == NULL && cfg->addressing == INFY_ADDRESSING_FIXED) {
        for (unsigned i = 0; i < cfg->count && w == NULL; i++) {
            if (cfg->addresses[i] > INFY_ADDR_MODULE_MAX) {
                w = "module addresses must be 0x00..0x3B";
            }
            for (unsigned j = 0; j < i && w == NULL; j++) {
                if (cfg->addresses[j] == cfg->addresses[i]) {
                    w = "a module address is listed twice";
                }
            }
        }
    }
    if (why != NULL) {
        *why = w != NULL ? w : "";
    }
    return w == NULL ? HAL_OK : HAL_EINVAL;
}

