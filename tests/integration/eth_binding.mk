# The libpcap port bound to one EtherType and VLAN on a veth pair made by the test (root,
# as the link group): tests/integration/eth_binding_test.c.
ETH_BINDING_TEST := $(BUILD)/san/bin/eth_binding_test

$(BUILD)/tests/integration/eth_binding_test.o: tests/integration/eth_binding_test.c | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_COMMON) -Ihal -Ihal_linux -c $< -o $@

$(ETH_BINDING_TEST): $(BUILD)/tests/integration/eth_binding_test.o $(LINUX_PORT_OBJS)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS) -lcmocka

-include $(BUILD)/tests/integration/eth_binding_test.d

INTEGRATION_TESTS += eth_binding
INTEGRATION_PREREQS += $(ETH_BINDING_TEST)

.PHONY: integration-eth_binding
integration-eth_binding: $(ETH_BINDING_TEST)
	$(Q)$(ETH_BINDING_TEST)
