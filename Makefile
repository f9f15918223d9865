# DC fast-charger controller firmware: top-level build.
#
#   make sim            build and run a whole simulated session (the main job)
#   make test           unit, integration, vcan, Cortex-M and static checks; ends "N passed, N failed"
#   make                the host binaries (simulator, Linux charger)
#   make BOARD=NAME     one board: sim, linux, mps2-an386 (Cortex-M4, prints flash/RAM)
#   make bench          benchmark programs print their figures
#   make fuzz           libFuzzer harnesses: committed corpus + FUZZ_SECONDS each; fails on any finding
#   make unit           build the unit tests (build/san/tests/test_*; run each binary)
#   make integration-NAME  one integration group (listed below), as `make test` runs it
#   make checks         static checks: no heap in the core, symbol prefixes, layering
#   make faults         every fault scenario, simulator and real transports, one report
#   make board-test     core unit tests on the Cortex-M4 under QEMU (board-run: the firmware)
#   make host-bins      the host tools in build/bin (release builds)
#   make clean          remove build/
#   make help           this list, then every group, benchmark, fuzzer and other target
#
# Layer rules (see docs/architecture.md): each layer is compiled with only the
# include paths it may use, so a forbidden #include fails to compile.

BOARD  ?= sim
BUILD  ?= build
SHARED ?= ../shared
V      ?= 0

HOST_CC ?= gcc
CORE_WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wconversion -Wundef -Wstrict-prototypes \
             -Wmissing-prototypes
HOST_CFLAGS_REL    := $(CORE_WARN) -D_DEFAULT_SOURCE -O2 -g -MMD -MP
HOST_CFLAGS_COMMON := $(CORE_WARN) -D_DEFAULT_SOURCE -O1 -g -fno-omit-frame-pointer \
                      -fsanitize=address,undefined -fno-sanitize-recover=undefined -MMD -MP
HOST_LDFLAGS_SAN   := -fsanitize=address,undefined

# Who may include whom. A file's layer is the first directory of its path.
INC_hal       := -Ihal
INC_protocols := -Ihal -Iprotocols
INC_firmware  := -Ihal -Iprotocols -Ifirmware
INC_hal_linux := -Ihal -Ihal_linux
INC_board     := -Ihal -Iprotocols -Ifirmware -Ihal_linux -Isim
INC_tests     := -Ihal -Iprotocols -Ifirmware -Itests/fakes
INC_tools     := -Ihal -Iprotocols -Ifirmware -Ihal_linux -Isim
INC_sim       := -Ihal -Iprotocols -Ifirmware -Ihal_linux -Isim
layer_inc = $(INC_$(firstword $(subst /, ,$(1)))) $(if $(filter board/%,$(1)),-I$(dir $(1)))

# Work in progress kept out of the core library until it builds clean (see git log).
PROTO_EXCLUDE ?=
HAL_SRCS   := $(sort $(wildcard hal/*.c))
PROTO_SRCS := $(sort $(filter-out $(PROTO_EXCLUDE),$(shell find protocols -name '*.c' 2>/dev/null)))
FW_SRCS    := $(sort $(wildcard firmware/*.c))
CORE_SRCS  := $(HAL_SRCS) $(PROTO_SRCS) $(FW_SRCS)
LINUX_SRCS := $(sort $(wildcard hal_linux/*.c))
FAKE_SRCS  := $(sort $(wildcard tests/fakes/*.c))
SIM_SRCS   := $(sort $(filter-out $(SIM_EXCLUDE),$(wildcard board/sim/*.c)))
LINUXB_SRCS:= $(sort $(wildcard board/linux/*.c))
UNIT_TESTS := $(sort $(basename $(notdir $(wildcard tests/unit/test_*.c))))

rel = $(patsubst %.c,$(BUILD)/rel/%.o,$(1))
san = $(patsubst %.c,$(BUILD)/san/%.o,$(1))

CORE_OBJS_REL := $(call rel,$(CORE_SRCS))
CORE_OBJS_SAN := $(call san,$(CORE_SRCS))
CORE_LIB      := $(BUILD)/san/libcore.a
CORE_LIB_REL  := $(BUILD)/rel/libcore.a
LINUX_PORT_OBJS := $(call san,$(LINUX_SRCS) hal/hal_err.c hal/hal_log.c hal/hal_nvs.c)
LINUX_PORT_OBJS_REL := $(call rel,$(LINUX_SRCS))
# The sanitized port objects through an archive, for the host tools: a tool links only the
# ports it uses (and not, say, a Modbus port whose library it does not need).
LINUX_PORT_LIB := $(BUILD)/san/liblinuxport.a
# ... and the release objects the same way, for the programs in $(BIN): build/bin holds
# release builds only; the sanitized twins of the host tools live in $(BUILD)/san/bin for
# the tests.
LINUX_PORT_LIB_REL := $(BUILD)/rel/liblinuxport.a

BIN := $(BUILD)/bin
LINUX_LIBS := -lsocketcan
HOST_BINS :=
INTEGRATION_PREREQS :=
INTEGRATION_TESTS :=
BENCHES :=

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Debian packages, installed on demand by tools/deps (see README "Set-up").
DEPS_BUILD := gcc libc6-dev make python3
DEPS_LINUX := libsocketcan-dev pkg-config
DEPS_TEST  := libcmocka-dev binutils can-utils iproute2 qemu-system-x86 busybox-static xz-utils \
              qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi python3 openssl
DEPS_FUZZ  := clang libclang-rt-14-dev

.PHONY: all sim test help bench fuzz clean unit checks
.DEFAULT_GOAL := all

ifeq ($(BOARD),sim)
all: $(BIN)/sim $(BIN)/charger host-bins
else ifeq ($(BOARD),linux)
all: $(BIN)/charger host-bins
else
all: board-all
endif

# The lists come from the fragments themselves, so a new group or target shows up here
# without editing this rule (tests/integration/make_help_test.sh checks that).
help:
	@sed -n '2,/^$$/s/^# \{0,1\}//p' Makefile
	@echo "Integration groups (make integration-NAME; make test runs them all):"
	@echo "$(sort $(INTEGRATION_TESTS))" | fold -s -w 78 | sed 's/^/  /'
	@echo "Benchmarks (make bench runs them all):"
	@echo "$(sort $(BENCHES))" | fold -s -w 78 | sed 's/^/  /'
	@echo "Fuzzers (make fuzz runs them all):"
	@echo "$(sort $(FUZZERS))" | fold -s -w 78 | sed 's/^/  /'
	@echo "Other targets:"
	@$(MAKE) --no-print-directory -pRrq -f Makefile BUILD=$(BUILD) SHARED=$(SHARED) : 2>/dev/null | \
	    sed -n 's/^\.PHONY: //p' | tr ' ' '\n' | grep -v '^integration-' | \
	    grep -vxF -e '' $(addprefix -e ,$(BENCHES) $(FUZZERS)) | sort -u | tr '\n' ' ' | \
	    fold -s -w 78 | sed 's/^/  /'; echo

# ---------------------------------------------------------------- packages
# Re-checked whenever a make file changes, since fragments add packages.
$(BUILD)/.deps-%: Makefile $(wildcard tests/integration/*.mk protocols/*/*.mk board/*/board.mk)
	@mkdir -p $(BUILD)
	$(Q)tools/deps $(DEPS_$*)
	@touch $@
DEPS_STAMP_BUILD := $(BUILD)/.deps-BUILD
DEPS_STAMP_LINUX := $(BUILD)/.deps-LINUX
DEPS_STAMP_TEST  := $(BUILD)/.deps-TEST
DEPS_STAMP_FUZZ  := $(BUILD)/.deps-FUZZ
.PRECIOUS: $(BUILD)/.deps-%

# ---------------------------------------------------------------- compile rules
$(BUILD)/rel/%.o: %.c | $(DEPS_STAMP_BUILD)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_REL) $(call layer_inc,$<) -c $< -o $@

$(BUILD)/san/%.o: %.c | $(DEPS_STAMP_BUILD)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_COMMON) $(call layer_inc,$<) -c $< -o $@

$(CORE_LIB): $(CORE_OBJS_SAN)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LINUX_PORT_LIB): $(LINUX_PORT_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^
$(CORE_LIB_REL): $(CORE_OBJS_REL)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LINUX_PORT_LIB_REL): $(LINUX_PORT_OBJS_REL)
	$(Q)rm -f $@ && ar rcs $@ $^

# The host-only simulation layer (device models, in-memory transports): before every rule
# that links it.
include sim/sim.mk

# ---------------------------------------------------------------- binaries
# `sim --config FILE` reads the Linux board's configuration file with the Linux board's own
# reader and checks (board/linux/board_config.c, compiled in; its bus specifications are
# parsed by the Linux Modbus port, hence that port and libmodbus in the simulator).
SIM_CONFIG_SRCS := board/linux/board_config.c
SIM_PORT_SRCS   := hal_linux/linux_modbus.c hal_linux/linux_errno.c
SIM_LIBS        := -lmodbus -lssl -lcrypto -lpthread
$(call rel,$(SIM_SRCS)): HOST_CFLAGS_REL += -Iboard/linux
$(call san,$(SIM_SRCS)): HOST_CFLAGS_COMMON += -Iboard/linux
$(BIN)/sim: $(call rel,$(SIM_SRCS) $(SIM_CONFIG_SRCS) $(SIM_PORT_SRCS)) $(SIM_LIB_REL) $(CORE_LIB_REL) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(SIM_LIBS)

$(BUILD)/san/bin/sim: $(call san,$(SIM_SRCS) $(SIM_CONFIG_SRCS) $(SIM_PORT_SRCS)) $(SIM_LIB) $(CORE_LIB) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(SIM_LIBS)

$(BIN)/charger: $(call rel,$(LINUXB_SRCS)) $(LINUX_PORT_OBJS_REL) $(CORE_LIB_REL) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINUX_LIBS)

$(BUILD)/san/bin/charger: $(call san,$(LINUXB_SRCS) $(LINUX_SRCS)) $(CORE_LIB) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)

$(call rel,$(LINUXB_SRCS) $(LINUX_SRCS)) $(call san,$(LINUXB_SRCS) $(LINUX_SRCS)): | $(DEPS_STAMP_LINUX)

# ---------------------------------------------------------------- main job
sim: $(BIN)/sim
	$(BIN)/sim --out $(BUILD)/sim

# ---------------------------------------------------------------- unit tests
UNIT_BINS := $(addprefix $(BUILD)/san/tests/,$(UNIT_TESTS))
$(BUILD)/san/tests/test_%: $(BUILD)/san/tests/unit/test_%.o $(call san,$(FAKE_SRCS)) $(CORE_LIB) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka
$(call san,$(wildcard tests/unit/*.c) $(FAKE_SRCS)): | $(DEPS_STAMP_TEST)

unit: $(UNIT_BINS)

# ---------------------------------------------------------------- fragments of other parts
-include tests/integration/*.mk
-include $(filter-out $(PROTO_EXCLUDE:%=%.mk),$(wildcard protocols/*/*.mk))
.PHONY: host-bins
host-bins: $(HOST_BINS)
ifneq ($(BOARD),sim)
ifneq ($(BOARD),linux)
ifeq ($(wildcard board/$(BOARD)/board.mk),)
$(error unknown BOARD '$(BOARD)': boards are sim, linux and $(notdir $(patsubst %/board.mk,%,$(wildcard board/*/board.mk))))
endif
endif
endif
# The Cortex-M fragment is always read so `make test` can run its target tests.
-include board/mps2-an386/board.mk
# The fuzz harnesses last: their rules use what the fragments above define.
include tests/fuzz/fuzz.mk

# ---------------------------------------------------------------- integration tests
INTEGRATION_TESTS += config sim linux_board
integration-linux_board: $(BUILD)/san/bin/charger
	$(Q)tests/integration/test_linux_board.sh $(BUILD)/san/bin/charger
integration-config: $(BUILD)/san/bin/charger
	$(Q)tests/integration/test_config.sh $(BUILD)/san/bin/charger
integration-sim: $(BUILD)/san/bin/sim | $(DEPS_STAMP_TEST)
	$(Q)tests/integration/test_sim.sh $(BUILD)/san/bin/sim

# ---------------------------------------------------------------- static checks
checks: $(CORE_OBJS_REL) $(LINUX_PORT_OBJS_REL) $(call rel,$(SIM_SRCS) $(LINUXB_SRCS))
	$(Q)rc=0; \
	tests/checks/no_heap.sh $(BUILD)/rel hal protocols firmware || rc=1; \
	tests/checks/symbol_prefix.sh $(BUILD)/rel hal protocols firmware hal_linux || rc=1; \
	if $(HOST_CC) $(CORE_WARN) $(INC_hal) -Ihal/template -fsyntax-only hal/template/template_port.c; then \
	    echo "PASS template-port: hal/template compiles against the HAL headers"; \
	else echo "FAIL template-port: hal/template does not compile"; rc=1; fi; \
	INC_PROTOCOLS="$(INC_protocols)" INC_HAL_LINUX="$(INC_hal_linux)" tests/checks/layering.sh || rc=1; \
	exit $$rc

# ---------------------------------------------------------------- the whole test run
test: | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX) $(DEPS_STAMP_FUZZ)
	$(Q)$(MAKE) --no-print-directory unit $(CORE_OBJS_REL) $(BIN)/sim $(BUILD)/san/bin/sim $(BUILD)/san/bin/charger \
	    $(INTEGRATION_PREREQS)
	$(Q)BUILD=$(BUILD) SHARED=$(SHARED) MAKE="$(MAKE) --no-print-directory" tests/run-all.sh \
	    --unit "$(UNIT_BINS)" --checks checks --integration "$(INTEGRATION_TESTS)" \
	    --target "$(if $(TARGET_TEST),board-test)"

# Benchmarks run unsanitized at -O2 against the release core; they print, never assert.
$(BUILD)/rel/bin/bench_core: $(call rel,tests/bench/bench_core.c tests/fakes/fake_power.c) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) -o $@ $^
.PHONY: bench-core
bench-core: $(BUILD)/rel/bin/bench_core
	$(Q)$<
BENCHES += bench-core

bench: $(BENCHES)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
