# Huawei FusionCharge power unit (issue 21): the unit emulator, psu-ctl's Huawei mode and
# the integration group (loopback TCP, GOOSE on a veth pair; root, no VM).
#
#   make integration-huawei    two dispensers on one emulated unit, and every bad input; beside
#                              them two `charger --sim-plant` (psu.type = huawei) as the two
#                              dispensers of one unit, a DIN session each, over TCP and over TLS
#   $(BUILD)/bin/huaweisim      release build (also in `make`); $(BUILD)/san/bin/huaweisim its ASan twin
# huaweisim is a front end over the unit model of sim/sim_huawei.c (the simulator has the other).
# psu-ctl itself is built by infy.mk; its Huawei mode lives in tools/psu-ctl/psu_ctl_huawei.c.

HUAWEISIM     := $(BUILD)/bin/huaweisim
HUAWEISIM_SAN := $(BUILD)/san/bin/huaweisim

$(HUAWEISIM): $(BUILD)/tools-rel/tools/huaweisim/huaweisim.o $(SIM_LIB_REL) $(LINUX_PORT_LIB_REL) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINUX_LIBS)
$(HUAWEISIM_SAN): $(BUILD)/tools-san/tools/huaweisim/huaweisim.o $(SIM_LIB) $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

-include $(wildcard $(BUILD)/tools-san/tools/huaweisim/*.d $(BUILD)/tools-rel/tools/huaweisim/*.d)

HOST_BINS += $(HUAWEISIM)
INTEGRATION_TESTS += huawei
# the board session (huawei_board_test.sh) runs the release binaries, as e2e does
HUAWEI_BOARD_BINS := $(BIN)/charger $(BIN)/evsim $(BIN)/imdsim $(HUAWEISIM)
INTEGRATION_PREREQS += $(HUAWEISIM_SAN) $(PSU_CTL_SAN) $(HUAWEI_BOARD_BINS)

.PHONY: integration-huawei
integration-huawei: $(HUAWEISIM_SAN) $(PSU_CTL_SAN) $(HUAWEI_BOARD_BINS)
	$(Q)tests/integration/huawei_test.sh $(HUAWEISIM_SAN) $(PSU_CTL_SAN) $(BIN)
