# Real board I/O (issue 20): the Charge SOM safety-controller protocol between the host
# side (protocols/chargesom over hal_linux's serial port) and a simulated co-processor
# (tools/cbsomsim) on a pseudo-terminal; no VM, no network.
#
#   make integration-boardio     the group (PASS/FAIL lines, FIGURE lines)
#   $(BUILD)/bin/cbsomsim        the simulated Charge SOM safety controller
#   $(BUILD)/bin/board-ctl       the bring-up tool (board-ctl --chargesom TTY ...)

CBSOMSIM  := $(BIN)/cbsomsim
BOARD_CTL := $(BIN)/board-ctl

$(CBSOMSIM): $(call rel,tools/cbsomsim/main.c) $(CORE_LIB_REL) | $(DEPS_STAMP_BUILD)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ -lutil

$(BOARD_CTL): $(call rel,tools/board-ctl/main.c) $(LINUX_PORT_LIB_REL) $(CORE_LIB_REL) | $(DEPS_STAMP_BUILD)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^

HOST_BINS += $(CBSOMSIM) $(BOARD_CTL)
INTEGRATION_TESTS += boardio
BOARDIO_BINS := $(CBSOMSIM) $(BOARD_CTL) $(BIN)/charger
INTEGRATION_PREREQS += $(BOARDIO_BINS)

.PHONY: integration-boardio
integration-boardio: $(BOARDIO_BINS)
	$(Q)BUILD=$(BUILD) tests/integration/boardio_test.sh $(BUILD)
