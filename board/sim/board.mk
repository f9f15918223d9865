# board/sim/board.mk - the simulator board: in-memory ports, plant model, virtual clock.
# Read by the top Makefile like every board/*/board.mk (BOARD_NAME=sim, BOARD_DIR=board/sim).
#
#   make sim            build build/bin/sim and run one whole simulated session
#   make BOARD=sim      build/bin/sim, build/bin/charger and the host tools (also plain `make`)
#
# From the top Makefile: CORE_LIB(_REL), rel/san, BIN, BUILD, HOST_CC, DEPS_STAMP_*.

# Every .c of the folder, so files can move in and out without an edit here.
SIM_SRCS := $(sort $(filter-out $(SIM_EXCLUDE),$(wildcard board/sim/*.c)))

# `sim --config FILE` reads the Linux board's configuration file with the same reader and
# checks (boardlib/board_config.c, the host boards' shared library: no -I into the other
# board; its bus specifications are parsed by the Linux Modbus port, hence that port and
# libmodbus in the simulator).
SIM_CONFIG_SRCS := $(BOARDLIB_SRCS)
SIM_PORT_SRCS   := hal_linux/linux_modbus.c hal_linux/linux_errno.c hal_linux/linux_pcapng.c
# sim --ocpp: the Linux network, TLS and random ports to reach a real CSMS.
SIM_PORT_SRCS   += hal_linux/linux_net.c hal_linux/linux_loop.c hal_linux/linux_tls.c hal_linux/linux_rng.c
# sim --ocpp-store: the journals on files, as the Linux board keeps them.
SIM_PORT_SRCS   += hal_linux/linux_nvs.c
# sim --pnc: OpenSSL for the contract chain checks and the car's signature.
SIM_PORT_SRCS   += hal_linux/linux_crypto.c
SIM_LIBS        := -lmodbus -lssl -lcrypto -lpthread $(BOARDLIB_LIBS)
# Host-only simulation layer (device models) linked into both simulator binaries: a
# fragment read before this one (sim/sim.mk) appends its archives here, release and
# sanitized. They come before the core library on the link line.
SIM_LAYER_REL ?=
SIM_LAYER_SAN ?=
$(BIN)/sim: $(call rel,$(SIM_SRCS) $(SIM_CONFIG_SRCS) $(SIM_PORT_SRCS)) $(SIM_LAYER_REL) $(CORE_LIB_REL) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(SIM_LIBS)

$(BUILD)/san/bin/sim: $(call san,$(SIM_SRCS) $(SIM_CONFIG_SRCS) $(SIM_PORT_SRCS)) $(SIM_LAYER_SAN) $(CORE_LIB) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(SIM_LIBS)

# What `make BOARD=sim` (and plain `make`) builds: the simulator, the Linux firmware and
# the host tools, so one command gives everything a desk needs.
BOARD_ALL_sim := $(BIN)/sim $(BIN)/charger host-bins

.PHONY: sim
sim: $(BIN)/sim
	$(BIN)/sim --out $(BUILD)/sim

INTEGRATION_TESTS += sim
integration-sim: $(BUILD)/san/bin/sim | $(DEPS_STAMP_TEST)
	$(Q)tests/integration/test_sim.sh $(BUILD)/san/bin/sim

# Unit test of the board's own parts (tests/unit/test_sim_board.c: the virtual clock and the
# station wiring). Named test_sim_* so the Cortex-M board leaves it out (host only); this
# explicit rule adds the board's objects to what sim/sim.mk's test_sim_% rule links.
SIM_BOARD_TEST_SRCS := board/sim/sim_clock.c board/sim/sim_station.c
$(BUILD)/san/tests/unit/test_sim_board.o: HOST_CFLAGS_COMMON += -Iboard/sim
$(BUILD)/san/tests/test_sim_board: $(BUILD)/san/tests/unit/test_sim_board.o $(call san,$(FAKE_SRCS) $(SIM_BOARD_TEST_SRCS)) \
                                   $(CORE_LIB) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka

# Unit test of the fault-scenario table's protocol halves (tests/unit/test_sim_faults.c:
# every DIN row's ISO-2 twin, the car and charger per scenario, ISO-2 requests changed and
# answers read); host only like test_sim_board.
$(BUILD)/san/tests/unit/test_sim_faults.o: HOST_CFLAGS_COMMON += -Iboard/sim
$(BUILD)/san/tests/test_sim_faults: $(BUILD)/san/tests/unit/test_sim_faults.o $(call san,$(FAKE_SRCS) board/sim/faults.c) \
                                    $(SIM_LIB) $(CORE_LIB) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka

# Unit test of the capture (tests/unit/test_sim_capture.c: the pcapng of every layer read
# back from a real in-memory link); host only like test_sim_board.
$(BUILD)/san/tests/unit/test_sim_capture.o: HOST_CFLAGS_COMMON += -Iboard/sim -Ihal_linux
$(BUILD)/san/tests/test_sim_capture: $(BUILD)/san/tests/unit/test_sim_capture.o $(call san,board/sim/sim_capture.c hal_linux/linux_pcapng.c) \
                                     $(SIM_LIB) $(CORE_LIB) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka
