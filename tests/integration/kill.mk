# The charger firmware SIGKILLed at 50 random instants and restarted on its store, on real
# transports in one tools/vcan-run VM (tests/integration/kill_test.sh, issue 12 item 16).
#
#   make integration-kill    the test (PASS/FAIL lines, "N passed, N failed", a FIGURE line)
#                            KILLS=N (default 50), KILL_MAX_MS=MS (default 5000)
INTEGRATION_TESTS += kill
KILL_BINS := $(BIN)/charger $(EVSIM) $(INFYSIM) $(METERSIM) $(METER_CTL) $(IMDSIM)
INTEGRATION_PREREQS += $(KILL_BINS)

.PHONY: integration-kill
integration-kill: $(KILL_BINS)
	$(Q)BUILD=$(BUILD) tests/integration/kill_test.sh $(BUILD)
