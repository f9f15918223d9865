# Insulation monitors (issue 4, item 6/7): Bender isoCHA425HV and Dold RN5893 drivers on the
# real Linux Modbus port, against imdsim over a socat pty pair (RTU) and TCP, and mbpoll
# reading imdsim. Included by the top Makefile (before meter.mk, alphabetically), so it has
# its own compile rule and port archive; the libmodbus/OpenSSL libraries meter.mk adds to
# LINUX_LIBS are used in recipes only, which make expands after every fragment is read.
#
#   make integration-imd      the test (PASS/FAIL lines, "N passed, N failed")
#   $(BUILD)/bin/imdsim, $(BUILD)/bin/imd-ctl   host tools (also in `make`)

DEPS_TEST += socat mbpoll

IMDSIM  := $(BUILD)/bin/imdsim
IMD_CTL := $(BUILD)/bin/imd-ctl

IMD_CFLAGS := $(HOST_CFLAGS_COMMON) -Ihal -Iprotocols -Ifirmware -Ihal_linux -Itests/fakes -Itools/common

$(BUILD)/imd-san/%.o: %.c | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(IMD_CFLAGS) -c $< -o $@

# imdsim serves the device model of tests/fakes/fake_imd.c (the one the unit tests use).
$(IMDSIM): $(BUILD)/imd-san/tools/imdsim/imdsim.o $(BUILD)/imd-san/tools/common/mbserve.o $(call san,tests/fakes/fake_imd.c tests/fakes/fake_modbus.c) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lmodbus

$(IMD_CTL): $(BUILD)/imd-san/tools/imd-ctl/imd_ctl.o $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

-include $(patsubst %.o,%.d,$(wildcard $(BUILD)/imd-san/tools/*/*.o))

HOST_BINS += $(IMDSIM) $(IMD_CTL)
INTEGRATION_TESTS += imd
INTEGRATION_PREREQS += $(IMDSIM) $(IMD_CTL)

.PHONY: integration-imd
integration-imd: $(IMDSIM) $(IMD_CTL)
	$(Q)tests/integration/imd_test.sh $(IMDSIM) $(IMD_CTL)
