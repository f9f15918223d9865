# DC fast-charger controller firmware: top-level build.
#
#   make sim            build and run a whole simulated session (the main job)
#   make test           unit, integration, vcan, Cortex-M and static checks; ends "N passed, N failed"
#   make                the host binaries (simulator, Linux charger)
#   make BOARD=NAME     one board, the folder board/NAME: sim (default), linux, mps2-an386
#                       (Cortex-M4, prints flash/RAM), template (see docs/porting.md)
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
#   make BOARD=linux CROSS=aarch64-linux-gnu   cross build (also arm-linux-gnueabihf,
#                       arm-linux-gnueabi) in build/cross-ARCH; docs/deployment.md
#   make install DESTDIR= PREFIX=   charger, tools, sample configuration, systemd units, docs
#   make deb            a Debian package (with CROSS=...: for that architecture)
#
# Layer rules (see docs/architecture.md): each layer is compiled with only the
# include paths it may use, so a forbidden #include fails to compile.

BOARD  ?= sim
# Cross builds for ARM charger boards with Debian's cross compilers and multiarch -dev
# packages (docs/deployment.md): CROSS is the GNU triplet, the build has its own folder so
# the host build is untouched, and the "san" test variant is built without sanitizers
# (the unit tests run under qemu-user, where ASan's shadow memory is not reliable).
CROSS  ?=
CROSS_ARCH_aarch64-linux-gnu   := arm64
CROSS_ARCH_arm-linux-gnueabihf := armhf
CROSS_ARCH_arm-linux-gnueabi   := armel
# The target's libraries are Debian's multiarch packages installed beside the host's for
# arm64. The 32-bit targets get a sysroot instead: Debian 12's security archive has no armel,
# so its Multi-Arch: same libraries (libssl3) cannot match the host's updated versions, and
# this workplace's mirror served a bookworm-security armhf index whose size did not match
# (apt refused every armhf package). There (or with CROSS_SYSROOT=1 for any target) the
# packages are downloaded and unpacked into $(BUILD)/sysroot, never installed
# (tools/cross-sysroot), so `make cross-all` works from a clean clone either way.
ifneq ($(CROSS),)
CROSS_ARCH := $(CROSS_ARCH_$(CROSS))
CROSS_SYSROOT ?= $(if $(filter armel armhf,$(CROSS_ARCH)),1)
ifeq ($(CROSS_ARCH),)
$(error unknown CROSS '$(CROSS)': aarch64-linux-gnu, arm-linux-gnueabihf or arm-linux-gnueabi)
endif
BUILD  ?= build/cross-$(CROSS_ARCH)
endif
BUILD  ?= build
SHARED ?= ../shared
V      ?= 0

HOST_CC ?= gcc
CORE_WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wconversion -Wundef -Wstrict-prototypes \
             -Wmissing-prototypes
HOST_CFLAGS_REL    := $(CORE_WARN) -D_DEFAULT_SOURCE -O2 -g -MMD -MP
# The test builds (sanitized, and a cross build's test variant) carry line tables only
# (-g1): a sanitizer's or a crash's backtrace still names file and line, and the build of
# everything `make test` needs takes about a third less CPU than with -g (the generated EXI
# codecs: 9 s -> 6 s each). The release build keeps -g for debugging on a board.
HOST_CFLAGS_COMMON := $(CORE_WARN) -D_DEFAULT_SOURCE -O1 -g1 -fno-omit-frame-pointer \
                      -fsanitize=address,undefined -fno-sanitize-recover=undefined -MMD -MP
HOST_LDFLAGS_SAN   := -fsanitize=address,undefined
ifneq ($(CROSS),)
HOST_CC            := $(CROSS)-gcc$(if $(CROSS_SYSROOT), --sysroot=$(abspath $(BUILD)/sysroot/root))
HOST_CFLAGS_COMMON := $(CORE_WARN) -D_DEFAULT_SOURCE -O1 -g1 -fno-omit-frame-pointer -MMD -MP
HOST_LDFLAGS_SAN   :=
endif

# Who may include whom. A file's layer is the first directory of its path.
INC_hal       := -Ihal
INC_protocols := -Ihal -Iprotocols
INC_firmware  := -Ihal -Iprotocols -Ifirmware
INC_hal_linux := -Ihal -Ihal_linux
INC_board     := -Ihal -Iprotocols -Ifirmware -Ihal_linux -Isim -Iboardlib
INC_boardlib  := -Ihal -Iprotocols -Ifirmware -Ihal_linux -Iboardlib
INC_tests     := -Ihal -Iprotocols -Ifirmware -Itests/fakes
INC_tools     := -Ihal -Iprotocols -Ifirmware -Ihal_linux -Isim -Itools/common
INC_sim       := -Ihal -Iprotocols -Ifirmware -Ihal_linux -Isim
# A board sees its own folder only (never another board's: what two boards share lives in
# boardlib/); the unit tests a board keeps in board/NAME/tests/ see that folder and the
# fakes, which the board's own code never does. No fragment adds -I flags of its own
# (tests/checks/layering.sh fails on -Iboard/OTHER or -Itests/fakes in any *.mk).
INC_boardtests = $(INC_board) -Itests/fakes
layer_inc = $(if $(and $(filter board/%,$(1)),$(findstring /tests/,$(1))),$(INC_boardtests) -I$(patsubst %/tests/,%,$(dir $(1))),\
            $(INC_$(firstword $(subst /, ,$(1)))) $(if $(filter board/%,$(1)),-I$(dir $(1))))

# Work in progress kept out of the core library until it builds clean (see git log).
PROTO_EXCLUDE ?=
HAL_SRCS   := $(sort $(wildcard hal/*.c))
PROTO_SRCS := $(sort $(filter-out $(PROTO_EXCLUDE),$(shell find protocols -name '*.c' 2>/dev/null)))
FW_SRCS    := $(sort $(wildcard firmware/*.c))
CORE_SRCS  := $(HAL_SRCS) $(PROTO_SRCS) $(FW_SRCS)
LINUX_SRCS := $(sort $(wildcard hal_linux/*.c))
# Host-only board library: what the host boards (linux, sim) share, e.g. the configuration
# file; linked by those boards, never by an MCU board.
BOARDLIB_SRCS := $(sort $(wildcard boardlib/*.c))
# ... and the libraries it links (the MQTT API's client; libcurl, for the firmware download,
# is loaded with dlopen() on first use: see boardlib/board_mqtt.c).
BOARDLIB_LIBS := -lmosquitto
FAKE_SRCS  := $(sort $(wildcard tests/fakes/*.c))
UNIT_TESTS := $(sort $(basename $(notdir $(wildcard tests/unit/test_*.c))))

rel = $(patsubst %.c,$(BUILD)/rel/%.o,$(1))
san = $(patsubst %.c,$(BUILD)/san/%.o,$(1))

CORE_OBJS_REL := $(call rel,$(CORE_SRCS))
CORE_OBJS_SAN := $(call san,$(CORE_SRCS))
CORE_LIB      := $(BUILD)/san/libcore.a
CORE_LIB_REL  := $(BUILD)/rel/libcore.a
LINUX_PORT_OBJS := $(call san,$(LINUX_SRCS) hal/hal_err.c hal/hal_log.c hal/hal_nvs.c hal/hal_can.c hal/hal_serial.c hal/hal_eth.c hal/hal_net.c)
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
DEPS_LINUX := libsocketcan-dev pkg-config libmosquitto-dev libcurl4-openssl-dev
DEPS_TEST  := libcmocka-dev binutils can-utils iproute2 qemu-system-x86 busybox-static xz-utils \
              qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi python3 openssl \
              mosquitto mosquitto-clients procps
DEPS_FUZZ  := clang libclang-rt-14-dev
# A cross build wants the cross compiler, and every library's -dev package of the target
# architecture (libssl-dev:arm64); the tools that run on the build host stay as they are.
ifeq ($(CROSS),)
deps_for = $(1)
else ifeq ($(CROSS_SYSROOT),)
deps_for = $(patsubst lib%-dev,lib%-dev:$(CROSS_ARCH),\
             $(patsubst libc6-dev,libc6-dev-$(CROSS_ARCH)-cross gcc-$(CROSS),$(filter-out libclang-rt-%,$(1))))
else
deps_for = $(filter-out lib%-dev libclang-rt-%,$(patsubst libc6-dev,gcc-$(CROSS),$(1)))
endif

.PHONY: all sim test help bench fuzz clean unit checks
.DEFAULT_GOAL := all

# `all` builds what the selected board's board.mk lists in BOARD_ALL_<name> (see the
# "boards" section below and docs/porting.md).
all: board-selected

# The lists come from the fragments themselves, so a new group or target shows up here
# without editing this rule (tests/integration/make_help_test.sh checks that). The list of
# targets needs no dependency files (TEST_PREBUILT=1, at the end of this file).
help:
	@sed -n '2,/^$$/s/^# \{0,1\}//p' Makefile
	@echo "Integration groups (make integration-NAME; make test runs them all):"
	@echo "$(sort $(INTEGRATION_TESTS))" | fold -s -w 78 | sed 's/^/  /'
	@echo "Benchmarks (make bench runs them all):"
	@echo "$(sort $(BENCHES))" | fold -s -w 78 | sed 's/^/  /'
	@echo "Fuzzers (make fuzz runs them all):"
	@echo "$(sort $(FUZZERS))" | fold -s -w 78 | sed 's/^/  /'
	@echo "Other targets:"
	@TEST_PREBUILT=1 $(MAKE) --no-print-directory -pRrq -f Makefile BUILD=$(BUILD) SHARED=$(SHARED) : 2>/dev/null | \
	    sed -n 's/^\.PHONY: //p' | tr ' ' '\n' | grep -v '^integration-' | \
	    grep -vxF -e '' $(addprefix -e ,$(BENCHES) $(FUZZERS)) | sort -u | tr '\n' ' ' | \
	    fold -s -w 78 | sed 's/^/  /'; echo

# ---------------------------------------------------------------- packages
# Re-checked whenever a make file changes, since fragments add packages.
$(BUILD)/.deps-%: Makefile $(wildcard tests/integration/*.mk protocols/*/*.mk board/*/board.mk)
	@mkdir -p $(BUILD)
	$(Q)tools/deps $(call deps_for,$(DEPS_$*))
	@touch $@
DEPS_STAMP_BUILD := $(BUILD)/.deps-BUILD
DEPS_STAMP_LINUX := $(BUILD)/.deps-LINUX
DEPS_STAMP_TEST  := $(BUILD)/.deps-TEST
DEPS_STAMP_FUZZ  := $(BUILD)/.deps-FUZZ
ifneq ($(CROSS_SYSROOT),)
# Everything compiles after the BUILD stamp, so the sysroot is there before the first file.
$(DEPS_STAMP_BUILD): $(BUILD)/sysroot/.pkgs
$(BUILD)/sysroot/.pkgs: Makefile $(wildcard tests/integration/*.mk protocols/*/*.mk board/*/board.mk)
	$(Q)tools/cross-sysroot $(CROSS_ARCH) $(BUILD)/sysroot libc6-dev \
	    $(sort $(filter lib%-dev,$(DEPS_BUILD) $(DEPS_LINUX) $(DEPS_TEST)))
	@touch $@
endif
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

# ---------------------------------------------------------------- unit tests
UNIT_BINS := $(addprefix $(BUILD)/san/tests/,$(UNIT_TESTS))
$(BUILD)/san/tests/test_%: $(BUILD)/san/tests/unit/test_%.o $(call san,$(FAKE_SRCS)) $(CORE_LIB) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka
$(call san,$(wildcard tests/unit/*.c) $(FAKE_SRCS)): | $(DEPS_STAMP_TEST)

unit: $(UNIT_BINS)

# ---------------------------------------------------------------- fragments of other parts
include sim/sim.mk
-include tests/integration/*.mk
-include $(filter-out $(PROTO_EXCLUDE:%=%.mk),$(wildcard protocols/*/*.mk))
.PHONY: host-bins
host-bins: $(HOST_BINS)

# ---------------------------------------------------------------- boards
# A board is one folder: board/NAME/ holds its main.c, its port (if it has its own) and
# board.mk, its build rules. Every board/*/board.mk is read, whatever BOARD is, so that
# `make test` has the rules of every board (the simulator, the Linux firmware, the
# Cortex-M image and the template all take part in it); BOARD only selects what `make`
# (`all`) builds: the list the board's fragment puts in BOARD_ALL_NAME. Before each
# fragment is read, BOARD_NAME and BOARD_DIR name it, so a fragment may be written
# without its own name in it (board/template/board.mk is: a copy builds as it is).
# A fragment prefixes its variables and targets with its name. The host-only simulation
# layer (sim/sim.mk) is read before them and before the test fragments: the simulator board
# and the emulator programs link it.
BOARDS := $(sort $(patsubst board/%/board.mk,%,$(wildcard board/*/board.mk)))
# -include: a board folder that vanishes between the wildcard and the read (the porting
# check removes its copy while other groups run make) is skipped, not fatal.
define read_board
BOARD_NAME := $(1)
BOARD_DIR  := board/$(1)
-include board/$(1)/board.mk
endef
$(foreach b,$(BOARDS),$(eval $(call read_board,$(b))))
ifeq ($(filter $(BOARD),$(BOARDS)),)
$(error unknown BOARD '$(BOARD)': boards are $(BOARDS) (a board is a folder board/NAME with a board.mk))
endif
ifeq ($(strip $(BOARD_ALL_$(BOARD))),)
$(error board/$(BOARD)/board.mk sets no BOARD_ALL_$(BOARD): what `make BOARD=$(BOARD)` builds)
endif
.PHONY: board-selected
board-selected: $(BOARD_ALL_$(BOARD))
# The fuzz harnesses last: their rules use what the fragments above define.
include tests/fuzz/fuzz.mk

# ---------------------------------------------------------------- integration tests
# The simulator's and the Linux board's groups live in their board.mk.

# ---------------------------------------------------------------- static checks
CHECKS_OBJS = $(CORE_OBJS_REL) $(LINUX_PORT_OBJS_REL) $(call rel,$(SIM_SRCS) $(LINUXB_SRCS) $(BOARDLIB_SRCS))
checks: $(CHECKS_OBJS)
	$(Q)rc=0; \
	tests/checks/no_heap.sh $(BUILD)/rel hal protocols firmware || rc=1; \
	tests/checks/symbol_prefix.sh $(BUILD)/rel hal protocols firmware hal_linux || rc=1; \
	if $(HOST_CC) $(CORE_WARN) $(INC_hal) -Iboard/template -fsyntax-only board/template/template_port.c; then \
	    echo "PASS template-port: board/template's port compiles against the HAL headers alone"; \
	else echo "FAIL template-port: board/template/template_port.c does not compile"; rc=1; fi; \
	INC_PROTOCOLS="$(INC_protocols)" INC_HAL_LINUX="$(INC_hal_linux)" tests/checks/layering.sh || rc=1; \
	exit $$rc

# ---------------------------------------------------------------- the whole test run
# The build runs on every core (TEST_BUILD_JOBS) even when make was called without -j, as
# CI does: serial, it was a third of the run. It comes in two parts: first the release
# binaries of the VM groups (TEST_EARLY_GROUPS), then the rest, which tests/run-all.sh runs
# beside those groups (they leave about a third of the cores idle waiting on the VMs' real
# time; built before them, the rest cost three minutes of the run).
TEST_BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TEST_EARLY_GROUPS  := kill faults-real e2e
TEST_EARLY_PREREQS  = $(KILL_BINS) $(FAULTS_REAL_BINS) $(E2E_BINS)
# Every package is installed before the first group starts (TEST_DEPS: the fragments'
# other package sets, e.g. deploy's cross libraries): an apt run beside the groups changes
# the host root that the VM groups read through 9p, and the libraries of running tests.
# TEST_BUILD: what the build beside the early groups makes. Every prerequisite of an
# integration-NAME target and of checks must be here or in TEST_EARLY_PREREQS (fragments
# add theirs to INTEGRATION_PREREQS): the groups' makes do not read the dependency files
# (TEST_PREBUILT, below), so a file they built themselves would miss a changed header
# (tests/integration/make_help_test.sh checks it).
TEST_BUILD = $(UNIT_BINS) $(CHECKS_OBJS) $(BIN)/sim $(BUILD)/san/bin/sim $(BUILD)/san/bin/charger \
             $(INTEGRATION_PREREQS)
test: | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX) $(DEPS_STAMP_FUZZ) $(TEST_DEPS)
	$(Q)$(MAKE) --no-print-directory -j$(TEST_BUILD_JOBS) $(TEST_EARLY_PREREQS)
	$(Q)BUILD=$(BUILD) SHARED=$(SHARED) MAKE="$(MAKE) --no-print-directory" tests/run-all.sh \
	    --unit "$(UNIT_BINS)" --checks checks --integration "$(INTEGRATION_TESTS)" \
	    --target "$(if $(TARGET_TEST),board-test)" --early "$(TEST_EARLY_GROUPS)" \
	    --build "$(MAKE) --no-print-directory -j$(TEST_BUILD_JOBS) $(sort $(TEST_BUILD))"

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

# The dependency files tell make which headers an object was compiled from. tests/run-all.sh
# calls each group's make with TEST_PREBUILT=1 once the build of everything the groups need
# (INTEGRATION_PREREQS, the unit tests) has run with them: reading the build's dependency
# files cost each of those 42 makes 0.4-0.5 s of CPU in a fresh root at mid-run (1077 files;
# 1757 by its end), 0.08 s without them.
# unexport: a make that a group's recipe or script calls (deploy's cross build) builds on its
# own and reads them as usual.
unexport TEST_PREBUILT
ifneq ($(TEST_PREBUILT),1)
# Not into the file-system trees under build/ (a cross build's sysroot, a package's staging
# root, the fresh Debian root of deb-test): their *.d are the packages' (etc/ld.so.conf.d,
# invoke-rc.d), not dependency files.
-include $(shell find $(BUILD) \( -name sysroot -o -name deb-test -o -path '*/deb/root' -o -name inst \) -prune \
                  -o -path '$(BUILD)/cross-*' -prune -o -name '*.d' -type f -print 2>/dev/null)
endif
