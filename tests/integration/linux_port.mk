# Tests of the Linux port's store, random source, poll() idle, errno mapping, OpenSSL
# verifier (with its worker), serial port (on a pty pair) and TCP to IPv4 and names (on
# loopback) on the real OS (tests/integration/linux_port_test.c, cmocka).
LINUX_PORT_TEST := $(BUILD)/san/bin/linux_port_test

$(BUILD)/tests/integration/linux_port_test.o: tests/integration/linux_port_test.c | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_COMMON) -Ihal -Ihal_linux -c $< -o $@

$(LINUX_PORT_TEST): $(BUILD)/tests/integration/linux_port_test.o $(LINUX_PORT_OBJS)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS) -lcmocka

-include $(BUILD)/tests/integration/linux_port_test.d

INTEGRATION_TESTS += linux_port
INTEGRATION_PREREQS += $(LINUX_PORT_TEST)

.PHONY: integration-linux_port
integration-linux_port: $(LINUX_PORT_TEST)
	$(Q)$(LINUX_PORT_TEST)
