# The host-only simulation layer (sim/): register- and frame-level device models over
# in-memory transports (InfyPower on CAN, Bender/Dold on Modbus, EM580, the meter, the
# over-voltage monitor, the PLC link between charger and car, the EV plant: car, cable,
# contactors, lock) and the safety judge shared by the simulator and the real-transport
# scenarios. The simulator board (board/sim) only wires them. Never linked into firmware:
# firmware may not include sim/ (layer rules in the Makefile, INC_sim); sim may include
# hal, protocols, firmware and hal_linux. Included by the top Makefile.
#
#   $(BUILD)/san/libsim.a   sanitized, for the simulator's test twin, the tools' twins and tests
#   $(BUILD)/rel/libsim.a   release, for the programs in $(BUILD)/bin

SIM_LAYER_SRCS := $(sort $(wildcard sim/*.c))
SIM_LIB        := $(BUILD)/san/libsim.a
SIM_LIB_REL    := $(BUILD)/rel/libsim.a

# The simulator board links the layer (board/sim/board.mk reads these).
SIM_LAYER_REL += $(SIM_LIB_REL)
SIM_LAYER_SAN += $(SIM_LIB)

$(SIM_LIB): $(call san,$(SIM_LAYER_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^
$(SIM_LIB_REL): $(call rel,$(SIM_LAYER_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

# Unit tests of the layer (tests/unit/test_sim_*.c) see its headers and link it (this rule
# is more specific than the Makefile's test_% one, so it wins for them).
$(BUILD)/san/tests/unit/test_sim_%.o: HOST_CFLAGS_COMMON += -Isim
$(BUILD)/san/tests/test_sim_%: $(BUILD)/san/tests/unit/test_sim_%.o $(call san,$(FAKE_SRCS)) $(SIM_LIB) \
                                $(CORE_LIB) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka

-include $(wildcard $(BUILD)/san/sim/*.d $(BUILD)/rel/sim/*.d)
