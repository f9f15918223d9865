#include "isolation.h"

void isolation_limits_default(struct isolation_limits *lim)
{
    *lim = (struct isolation_limits){
        .rated_voltage_v = 1000,
        .warning_ohm_per_v = 500,
        .fault_ohm_per_v = 100,
        .stale_ms = 3000,
    };
}

enum isolation_status isolation_classify(const struct isolation_limits *lim, uint32_t resistance_ohm,
                                         enum isolation_device_alarm alarm)
{
    /* 64-bit: 1000 V x 500 Ohm/V fits 32 bits, but a configuration need not be sane. */
    uint64_t warn = (uint64_t)lim->rated_voltage_v * lim->warning_ohm_per_v;
    uint64_t fault = (uint64_t)lim->rated_voltage_v * lim->fault_ohm_per_v;
    enum isolation_status s = resistance_ohm <= fault  ? ISOLATION_FAULT
                              : resistance_ohm <= warn ? ISOLATION_WARNING
                                                       : ISOLATION_VALID;
    if (alarm == ISOLATION_ALARM_ALARM) {
        s = ISOLATION_FAULT;
    } else if (alarm == ISOLATION_ALARM_PREWARNING && s == ISOLATION_VALID) {
        s = ISOLATION_WARNING;
    }
    return s;
}

const char *isolation_error_name(enum isolation_error_type t)
{
    static const char *const names[ISOLATION_ERR_COUNT] = {"DeviceFault", "CommunicationFault",
                                                           "VendorError", "VendorWarning"};
    return (unsigned)t < (unsigned)ISOLATION_ERR_COUNT ? names[t] : "?";
}

const char *isolation_severity_name(enum isolation_severity s)
{
    return s == ISOLATION_SEV_HIGH ? "High" : s == ISOLATION_SEV_MEDIUM ? "Medium" : "Low";
}

const char *isolation_status_name(enum isolation_status s)
{
    switch (s) {
    case ISOLATION_INVALID:
        return "Invalid";
    case ISOLATION_VALID:
        return "Valid";
    case ISOLATION_WARNING:
        return "Warning";
    case ISOLATION_FAULT:
        return "Fault";
    }
    return "?";
}

const char *isolation_test_name(enum isolation_test t)
{
    switch (t) {
    case ISOLATION_TEST_NONE:
        return "none";
    case ISOLATION_TEST_RUNNING:
        return "running";
    case ISOLATION_TEST_PASSED:
        return "passed";
    case ISOLATION_TEST_FAILED:
        return "failed";
    }
    return "?";
}
