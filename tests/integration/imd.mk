# Insulation monitors (issue 4, item 6/7): Bender isoCHA425HV and Dold RN5893 drivers on the
# real Linux Modbus port, against imdsim over a socat pty pair (RTU) and TCP, and mbpoll
# reading imdsim. Included by the top Makefile (before meter.mk, alphabetically), so it has
# its own compile rule and port archive; the libmodbus/OpenSSL libraries meter.mk adds to
# LINUX_LIBS are used in recipes only, which make expands after every fragment is read.
#
#   make integration-imd      the test (PASS/FAIL lines, "N passed, N failed")
#   $(BUILD)/bin/imdsim, $(BUILD)/bin/imd-ctl   host tools, release builds (also in `make`)
#   $(BUILD)/san/bin/imdsim, .../imd-ctl        their ASan/UBSan twins, for the tests

DEPS_TEST += socat mbpoll

IMDSIM  := $(BUILD)/bin/imdsim
IMD_CTL := $(BUILD)/bin/imd-ctl
IMDSIM_SAN  := $(BUILD)/san/bin/imdsim
IMD_CTL_SAN := $(BUILD)/san/bin/imd-ctl

IMD_INC    := $(INC_sim) -Itools/common
IMD_CFLAGS := $(HOST_CFLAGS_COMMON) $(IMD_INC)

$(BUILD)/imd-san/%.o: %.c | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(IMD_CFLAGS) -c $< -o $@
$(BUILD)/imd-rel/%.o: %.c | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_REL) $(IMD_INC) -c $< -o $@

# imdsim serves the simulation layer's device model (sim/sim_imd_dev.c, the one the simulator
# board reads with the real drivers).
IMDSIM_OBJS := tools/imdsim/imdsim.o tools/common/mbserve.o tools/common/tool_args.o
$(IMDSIM): $(addprefix $(BUILD)/imd-rel/,$(IMDSIM_OBJS)) $(SIM_LIB_REL) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ -lmodbus
$(IMDSIM_SAN): $(addprefix $(BUILD)/imd-san/,$(IMDSIM_OBJS)) $(SIM_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lmodbus

IMD_CTL_OBJS := tools/imd-ctl/imd_ctl.o tools/common/tool_args.o
$(IMD_CTL): $(addprefix $(BUILD)/imd-rel/,$(IMD_CTL_OBJS)) $(LINUX_PORT_LIB_REL) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINUX_LIBS)
$(IMD_CTL_SAN): $(addprefix $(BUILD)/imd-san/,$(IMD_CTL_OBJS)) $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

-include $(patsubst %.o,%.d,$(wildcard $(BUILD)/imd-san/tools/*/*.o $(BUILD)/imd-rel/tools/*/*.o))

HOST_BINS += $(IMDSIM) $(IMD_CTL)
INTEGRATION_TESTS += imd
INTEGRATION_PREREQS += $(IMDSIM_SAN) $(IMD_CTL_SAN)

.PHONY: integration-imd
integration-imd: $(IMDSIM_SAN) $(IMD_CTL_SAN)
	$(Q)tests/integration/imd_test.sh $(IMDSIM_SAN) $(IMD_CTL_SAN)
