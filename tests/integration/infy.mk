# InfyPower power stage (issue 3): module emulator, bring-up tool, vcan integration test,
# fuzzer and benchmark. Included by the top Makefile after LINUX_PORT_OBJS, CORE_LIB and
# friends are defined.
#
#   make integration-infy      driver against infysim on vcan (one VM boot)
#   $(BUILD)/bin/infysim, $(BUILD)/bin/psu-ctl   host tools (also in `make`)

INFYSIM     := $(BUILD)/bin/infysim
PSU_CTL     := $(BUILD)/bin/psu-ctl
INFY_BENCH  := $(BUILD)/bin/bench_infy

INFY_TOOL_CFLAGS := $(HOST_CFLAGS_COMMON) -Ihal -Iprotocols -Ifirmware -Ihal_linux -Iboard/sim

$(BUILD)/tools-san/%.o: %.c | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(INFY_TOOL_CFLAGS) -c $< -o $@

$(INFYSIM): $(BUILD)/tools-san/tools/infysim/infysim.o $(BUILD)/tools-san/board/sim/sim_infy.o \
            $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

$(PSU_CTL): $(BUILD)/tools-san/tools/psu-ctl/psu_ctl.o $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

$(INFY_BENCH): tests/bench/bench_infy.c $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_REL) -Ihal -Iprotocols -o $@ $^

-include $(patsubst %.o,%.d,$(wildcard $(BUILD)/tools-san/tools/infysim/*.o $(BUILD)/tools-san/tools/psu-ctl/*.o $(BUILD)/tools-san/board/sim/*.o))

HOST_BINS += $(INFYSIM) $(PSU_CTL)
INTEGRATION_TESTS += infy
INTEGRATION_PREREQS += $(INFYSIM) $(PSU_CTL)
BENCHES += bench-infy

.PHONY: integration-infy bench-infy
integration-infy: $(INFYSIM) $(PSU_CTL)
	$(Q)tests/integration/infy_test.sh $(INFYSIM) $(PSU_CTL)

bench-infy: $(INFY_BENCH)
	$(Q)$(INFY_BENCH)
