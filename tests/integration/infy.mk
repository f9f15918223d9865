# InfyPower power stage (issue 3): module emulator, bring-up tool, vcan integration test,
# fuzzer and benchmark. Included by the top Makefile after LINUX_PORT_OBJS, CORE_LIB and
# friends are defined.
#
#   make integration-infy      driver against infysim on vcan (one VM boot)
#   $(BUILD)/bin/infysim, $(BUILD)/bin/psu-ctl   host tools, release builds (also in `make`)
#   $(BUILD)/san/bin/infysim, .../psu-ctl         their ASan/UBSan twins, for the tests

INFYSIM     := $(BUILD)/bin/infysim
PSU_CTL     := $(BUILD)/bin/psu-ctl
INFYSIM_SAN := $(BUILD)/san/bin/infysim
PSU_CTL_SAN := $(BUILD)/san/bin/psu-ctl
INFY_BENCH  := $(BUILD)/rel/bin/bench_infy

INFY_TOOL_INC    := $(INC_sim)
INFY_TOOL_CFLAGS := $(HOST_CFLAGS_COMMON) $(INFY_TOOL_INC)

$(BUILD)/tools-san/%.o: %.c | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(INFY_TOOL_CFLAGS) -c $< -o $@
$(BUILD)/tools-rel/%.o: %.c | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_REL) $(INFY_TOOL_INC) -c $< -o $@

INFYSIM_OBJS := tools/infysim/infysim.o
$(INFYSIM): $(addprefix $(BUILD)/tools-rel/,$(INFYSIM_OBJS)) $(SIM_LIB_REL) $(LINUX_PORT_LIB_REL) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINUX_LIBS)
$(INFYSIM_SAN): $(addprefix $(BUILD)/tools-san/,$(INFYSIM_OBJS)) $(SIM_LIB) $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

PSU_CTL_OBJS := tools/psu-ctl/psu_ctl.o tools/psu-ctl/psu_ctl_huawei.o
$(PSU_CTL): $(addprefix $(BUILD)/tools-rel/,$(PSU_CTL_OBJS)) $(LINUX_PORT_LIB_REL) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINUX_LIBS)
$(PSU_CTL_SAN): $(addprefix $(BUILD)/tools-san/,$(PSU_CTL_OBJS)) $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

$(INFY_BENCH): tests/bench/bench_infy.c $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_REL) -Ihal -Iprotocols -o $@ $^

-include $(patsubst %.o,%.d,$(wildcard $(BUILD)/tools-san/tools/infysim/*.o $(BUILD)/tools-san/tools/psu-ctl/*.o \
                                      $(BUILD)/tools-rel/tools/*/*.o))

HOST_BINS += $(INFYSIM) $(PSU_CTL)
INTEGRATION_TESTS += infy
INTEGRATION_PREREQS += $(INFYSIM_SAN) $(PSU_CTL_SAN)
BENCHES += bench-infy

.PHONY: integration-infy bench-infy
integration-infy: $(INFYSIM_SAN) $(PSU_CTL_SAN)
	$(Q)tests/integration/infy_test.sh $(INFYSIM_SAN) $(PSU_CTL_SAN)

bench-infy: $(INFY_BENCH)
	$(Q)$(INFY_BENCH)
