# SocketCAN integration test of the hal_linux CAN port (tests/integration/can_vcan_test.c).
# Included by the top Makefile, after it has defined BUILD, HOST_CC, HOST_CFLAGS_COMMON,
# HOST_LDFLAGS_SAN and LINUX_PORT_OBJS (prerequisites are expanded when this is read);
# DEPS_STAMP_LINUX / DEPS_STAMP_TEST are used when defined.
# `make integration-can_vcan` boots one VM through tools/vcan-run unless the host has vcan
# (see tests/integration/test_can_vcan.sh).

ifeq ($(strip $(LINUX_PORT_OBJS)),)
$(error tests/integration/can.mk: include it after LINUX_PORT_OBJS is defined)
endif

CAN_VCAN_TEST := $(BUILD)/san/bin/can_vcan_test
CAN_VCAN_TEST_OBJ := $(BUILD)/tests/integration/can_vcan_test.o

$(CAN_VCAN_TEST_OBJ): tests/integration/can_vcan_test.c | $(DEPS_STAMP_LINUX) $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_COMMON) -MMD -MP -Ihal -Ihal_linux -c $< -o $@

$(CAN_VCAN_TEST): $(CAN_VCAN_TEST_OBJ) $(LINUX_PORT_OBJS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

-include $(CAN_VCAN_TEST_OBJ:.o=.d)

INTEGRATION_TESTS += can_vcan
INTEGRATION_PREREQS += $(CAN_VCAN_TEST)

.PHONY: integration-can_vcan
integration-can_vcan: $(CAN_VCAN_TEST)
	$(Q)tests/integration/test_can_vcan.sh $(CAN_VCAN_TEST)
