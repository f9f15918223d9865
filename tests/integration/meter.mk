# Modbus devices (issue 4): linux_modbus, EM580/EM300 + OCMF + journal, emulators and tools.
# Included by the top Makefile after LINUX_PORT_OBJS, CORE_LIB and friends are defined.
#
#   make integration-meter      linux_modbus vs pymodbus, driver vs metersim (pty RTU + TCP),
#                               mbpoll vs metersim, OCMF/openssl checks, journal under SIGKILL
#   make bench-meter            figures: stop -> verified OCMF at 9600/115200 Bd, loop pauses
#   $(BUILD)/bin/metersim, $(BUILD)/bin/meter-ctl   host tools (also in `make`)

LINUX_LIBS += -lmodbus -lcrypto -lpthread
DEPS_LINUX += libmodbus-dev libssl-dev
DEPS_TEST  += socat mbpoll python3-pymodbus python3-serial python3-serial-asyncio openssl xxd

METERSIM   := $(BUILD)/bin/metersim
METER_CTL  := $(BUILD)/bin/meter-ctl
METER_MBT  := $(BUILD)/bin/meter_modbus_test
METER_BENCH := $(BUILD)/bin/bench_meter

METER_CFLAGS := $(HOST_CFLAGS_COMMON) -Ihal -Iprotocols -Ifirmware -Ihal_linux -Itools/common

$(BUILD)/meter-san/%.o: %.c | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(METER_CFLAGS) -c $< -o $@

$(METERSIM): $(BUILD)/meter-san/tools/metersim/metersim.o $(BUILD)/meter-san/tools/common/mbserve.o
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lmodbus -lcrypto

$(METER_CTL): $(BUILD)/meter-san/tools/meter-ctl/meter_ctl.o $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

$(METER_MBT): $(BUILD)/meter-san/tests/integration/meter_modbus_test.o $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

$(METER_BENCH): tests/bench/bench_meter.c $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_REL) -Ihal -Iprotocols -Ifirmware -o $@ $^

-include $(patsubst %.o,%.d,$(wildcard $(BUILD)/meter-san/tools/*/*.o $(BUILD)/meter-san/tests/integration/*.o))

HOST_BINS += $(METERSIM) $(METER_CTL)
INTEGRATION_TESTS += meter
INTEGRATION_PREREQS += $(METERSIM) $(METER_CTL) $(METER_MBT)
BENCHES += bench-meter

.PHONY: integration-meter bench-meter
integration-meter: $(METERSIM) $(METER_CTL) $(METER_MBT)
	$(Q)tests/integration/meter_test.sh $(METERSIM) $(METER_CTL) $(METER_MBT)

bench-meter: $(METERSIM) $(METER_CTL) $(METER_BENCH)
	$(Q)$(METER_BENCH)
	$(Q)tests/integration/meter_figures.sh $(METERSIM) $(METER_CTL)
