# board/linux/board.mk - the firmware for a Linux charger computer (SocketCAN, libmodbus,
# libpcap, sockets, OpenSSL). Read by the top Makefile like every board/*/board.mk.
#
#   make BOARD=linux    build/bin/charger and the host tools
#
# From the top Makefile: CORE_LIB(_REL), LINUX_SRCS, LINUX_PORT_OBJS_REL, LINUX_LIBS (the
# fragments append the libraries of the ports they use), rel/san, BIN, BUILD, HOST_CC.

LINUXB_SRCS := $(sort $(wildcard board/linux/*.c))

$(BIN)/charger: $(call rel,$(LINUXB_SRCS)) $(LINUX_PORT_OBJS_REL) $(CORE_LIB_REL) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINUX_LIBS)

$(BUILD)/san/bin/charger: $(call san,$(LINUXB_SRCS) $(LINUX_SRCS)) $(CORE_LIB) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

$(call rel,$(LINUXB_SRCS) $(LINUX_SRCS)) $(call san,$(LINUXB_SRCS) $(LINUX_SRCS)): | $(DEPS_STAMP_LINUX)

BOARD_ALL_linux := $(BIN)/charger host-bins

INTEGRATION_TESTS += config linux_board
# infysim: one InfyPower module for the station's commands with a car (pilot-level session)
integration-linux_board: $(BUILD)/san/bin/charger $(INFYSIM)
	$(Q)tests/integration/test_linux_board.sh $(BUILD)/san/bin/charger $(INFYSIM)
integration-config: $(BUILD)/san/bin/charger
	$(Q)tests/integration/test_config.sh $(BUILD)/san/bin/charger
