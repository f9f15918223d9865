# Modbus devices (issue 4): linux_modbus, EM580/EM300 + OCMF + journal, emulators and tools.
# Included by the top Makefile after LINUX_PORT_OBJS, CORE_LIB and friends are defined.
#
#   make integration-meter      linux_modbus vs pymodbus, driver vs metersim (pty RTU + TCP),
#                               mbpoll vs metersim, OCMF/openssl checks, journal under SIGKILL
#   make bench-meter            figures: stop -> verified OCMF at 9600/115200 Bd, loop pauses
#   $(BUILD)/bin/metersim, $(BUILD)/bin/meter-ctl   host tools, release builds (also in `make`)
#   $(BUILD)/san/bin/metersim, .../meter-ctl         their ASan/UBSan twins, for the tests

LINUX_LIBS += -lmodbus -lcrypto -lpthread
DEPS_LINUX += libmodbus-dev libssl-dev
DEPS_TEST  += socat mbpoll python3-pymodbus python3-serial python3-serial-asyncio openssl xxd

METERSIM   := $(BUILD)/bin/metersim
METER_CTL  := $(BUILD)/bin/meter-ctl
METERSIM_SAN  := $(BUILD)/san/bin/metersim
METER_CTL_SAN := $(BUILD)/san/bin/meter-ctl
METER_MBT  := $(BUILD)/san/bin/meter_modbus_test
METER_BENCH := $(BUILD)/rel/bin/bench_meter

METER_INC    := $(INC_sim) -Itools/common
METER_CFLAGS := $(HOST_CFLAGS_COMMON) $(METER_INC)

$(BUILD)/meter-san/%.o: %.c | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(METER_CFLAGS) -c $< -o $@
$(BUILD)/meter-rel/%.o: %.c | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_REL) $(METER_INC) -c $< -o $@

# metersim serves the simulation layer's device model (sim/sim_em580_dev.c, the one the
# simulator board reads with the real EM580 driver), with an OpenSSL key and a wall clock.
METERSIM_OBJS := tools/metersim/metersim.o tools/common/mbserve.o tools/common/tool_args.o
$(METERSIM): $(addprefix $(BUILD)/meter-rel/,$(METERSIM_OBJS)) $(SIM_LIB_REL) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ -lmodbus -lcrypto
$(METERSIM_SAN): $(addprefix $(BUILD)/meter-san/,$(METERSIM_OBJS)) $(SIM_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lmodbus -lcrypto

METER_CTL_OBJS := tools/meter-ctl/meter_ctl.o tools/common/tool_args.o
$(METER_CTL): $(addprefix $(BUILD)/meter-rel/,$(METER_CTL_OBJS)) $(LINUX_PORT_LIB_REL) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINUX_LIBS)
$(METER_CTL_SAN): $(addprefix $(BUILD)/meter-san/,$(METER_CTL_OBJS)) $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

$(METER_MBT): $(BUILD)/meter-san/tests/integration/meter_modbus_test.o $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

$(METER_BENCH): tests/bench/bench_meter.c $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_REL) -Ihal -Iprotocols -Ifirmware -o $@ $^

-include $(patsubst %.o,%.d,$(wildcard $(BUILD)/meter-san/tools/*/*.o $(BUILD)/meter-rel/tools/*/*.o \
                                      $(BUILD)/meter-san/tests/integration/*.o))

HOST_BINS += $(METERSIM) $(METER_CTL)
INTEGRATION_TESTS += meter
INTEGRATION_PREREQS += $(METERSIM_SAN) $(METER_CTL_SAN) $(METER_MBT)
BENCHES += bench-meter

.PHONY: integration-meter bench-meter
integration-meter: $(METERSIM_SAN) $(METER_CTL_SAN) $(METER_MBT)
	$(Q)tests/integration/meter_test.sh $(METERSIM_SAN) $(METER_CTL_SAN) $(METER_MBT)

# The figures come from the release builds: the sanitizers would be measured too.
bench-meter: $(METERSIM) $(METER_CTL) $(METER_BENCH)
	$(Q)$(METER_BENCH)
	$(Q)tests/integration/meter_figures.sh $(METERSIM) $(METER_CTL)
