# board/linux/board.mk - the firmware for a Linux charger computer (SocketCAN, libmodbus,
# libpcap, sockets, OpenSSL). Read by the top Makefile like every board/*/board.mk.
#
#   make BOARD=linux    build/bin/charger and the host tools
#
# From the top Makefile: CORE_LIB(_REL), LINUX_SRCS, LINUX_PORT_OBJS_REL, LINUX_LIBS (the
# fragments append the libraries of the ports they use), rel/san, BIN, BUILD, HOST_CC.

LINUXB_SRCS := $(sort $(wildcard board/linux/*.c))

# The --sim-plant test aid (sim_plant.c) adapts the host-only simulation layer's EV plant
# (sim/plant.c): this board is a host program, so it links that layer's archive (only the
# plant and what it calls are pulled in). A board for a charger without the test aid
# would leave sim_plant.c and the archive out.
$(BIN)/charger: $(call rel,$(LINUXB_SRCS) $(BOARDLIB_SRCS)) $(LINUX_PORT_OBJS_REL) $(SIM_LIB_REL) $(CORE_LIB_REL) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINUX_LIBS) $(BOARDLIB_LIBS)

$(BUILD)/san/bin/charger: $(call san,$(LINUXB_SRCS) $(BOARDLIB_SRCS) $(LINUX_SRCS)) $(SIM_LIB) $(CORE_LIB) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS) $(BOARDLIB_LIBS)

$(call rel,$(LINUXB_SRCS) $(BOARDLIB_SRCS) $(LINUX_SRCS)) $(call san,$(LINUXB_SRCS) $(BOARDLIB_SRCS) $(LINUX_SRCS)): | $(DEPS_STAMP_LINUX)

BOARD_ALL_linux := $(BIN)/charger host-bins

INTEGRATION_TESTS += config linux_board
# infysim: one InfyPower module for the station's commands with a car (pilot-level session)
integration-linux_board: $(BUILD)/san/bin/charger $(INFYSIM)
	$(Q)tests/integration/test_linux_board.sh $(BUILD)/san/bin/charger $(INFYSIM)
integration-config: $(BUILD)/san/bin/charger
	$(Q)tests/integration/test_config.sh $(BUILD)/san/bin/charger

# Unit tests of the board's OS-free parts (commands.c, events.c) over the core and the
# fakes. Kept in this folder, not in tests/unit/: they need the board's headers, and every
# test in tests/unit/ is also built for the Cortex-M target. Their include paths (the
# board's and the fakes) come from the Makefile's layer_inc, like every file's.
LINUXB_UNIT_SRCS := board/linux/commands.c board/linux/events.c
LINUXB_TESTS     := $(patsubst board/linux/tests/%.c,$(BUILD)/san/tests/%,$(wildcard board/linux/tests/test_*.c))
$(BUILD)/san/tests/test_board_linux: $(call san,board/linux/tests/test_board_linux.c $(LINUXB_UNIT_SRCS) $(FAKE_SRCS)) $(CORE_LIB) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka
# The systemd watchdog's decision (watchdog.c) over the real scheduler.
$(BUILD)/san/tests/test_watchdog: $(call san,board/linux/tests/test_watchdog.c board/linux/watchdog.c) $(CORE_LIB) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka
# The ocpp.* keys' checks (boardlib/board_ocpp_config.c: no network or TLS in it).
$(BUILD)/san/tests/test_board_ocpp: $(call san,board/linux/tests/test_board_ocpp.c boardlib/board_ocpp_config.c) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka
$(call san,$(wildcard board/linux/tests/*.c)): | $(DEPS_STAMP_TEST)
UNIT_BINS += $(LINUXB_TESTS)
unit: $(LINUXB_TESTS)

# Installing it: make install, make deb, the systemd units and the RAUC example.
include board/linux/dist/dist.mk
