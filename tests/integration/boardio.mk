# Real board I/O (issue 20): the Charge SOM safety-controller protocol between the host
# side (protocols/chargesom over hal_linux's serial port) and a simulated co-processor
# (tools/cbsomsim) on a pseudo-terminal; no VM, no network.
#
#   make integration-boardio     the group (PASS/FAIL lines, FIGURE lines)
#   $(BUILD)/bin/cbsomsim        the simulated Charge SOM safety controller
#   $(BUILD)/bin/board-ctl       the bring-up tool (board-ctl --chargesom TTY ...)

CBSOMSIM  := $(BIN)/cbsomsim
BOARD_CTL := $(BIN)/board-ctl

$(CBSOMSIM): $(call rel,tools/cbsomsim/main.c) $(SIM_LIB_REL) $(CORE_LIB_REL) | $(DEPS_STAMP_BUILD)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ -lutil

$(BOARD_CTL): $(call rel,tools/board-ctl/main.c) $(LINUX_PORT_LIB_REL) $(CORE_LIB_REL) | $(DEPS_STAMP_BUILD)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^

# The kernel-interface port (hal_linux/linux_kio.c) against a fake sysfs tree and a GPIO
# fake (cmocka, sanitized; tests/integration/kio_test.c).
KIO_TEST := $(BUILD)/san/bin/kio_test
$(BUILD)/tests/integration/kio_test.o: tests/integration/kio_test.c | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_COMMON) -Ihal -Ihal_linux -c $< -o $@
$(KIO_TEST): $(BUILD)/tests/integration/kio_test.o $(LINUX_PORT_OBJS)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS) -lcmocka
-include $(BUILD)/tests/integration/kio_test.d

HOST_BINS += $(CBSOMSIM) $(BOARD_CTL)
INTEGRATION_TESTS += boardio
BOARDIO_BINS := $(CBSOMSIM) $(BOARD_CTL) $(BIN)/charger $(KIO_TEST)
INTEGRATION_PREREQS += $(BOARDIO_BINS)

.PHONY: integration-boardio
integration-boardio: $(BOARDIO_BINS)
	$(Q)rc=0; $(KIO_TEST) || rc=1; BUILD=$(BUILD) tests/integration/boardio_test.sh $(BUILD) || rc=1; exit $$rc
