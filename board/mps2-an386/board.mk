# board/mps2-an386/board.mk - Cortex-M4F board (Arm MPS2 + AN386, qemu-system-arm
# -M mps2-an386). Included by the top Makefile.
#
#   make BOARD=mps2-an386            firmware.elf, then its flash and RAM use
#   make board-test                  core unit tests on qemu-system-arm (PASS/FAIL each)
#   make board-run                   firmware built with -DAN386_DEMO_PASSES, run on QEMU
#   make board-coproc                coproc.elf: the board as a Charge SOM safety co-processor
#                                    (UART driver, cbsom_device over UART0, plant on UART1);
#                                    tested by make integration-coproc
#
# From the top Makefile: CORE_SRCS, FAKE_SRCS, UNIT_TESTS, BUILD, CORE_WARN.
# Everything built here goes to $(BUILD)/mps2-an386/. See docs/cortex-m.md.

MPS2_DIR  := board/mps2-an386
MPS2_B    := $(BUILD)/mps2-an386
MPS2_LD   := linker/mps2-an386.ld
MPS2_RUN  := tools/cortexm-run

MPS2_CROSS ?= arm-none-eabi-
MPS2_CC    := $(MPS2_CROSS)gcc
MPS2_AR    := $(MPS2_CROSS)ar
MPS2_SIZE  := $(MPS2_CROSS)size
MPS2_NM    := $(MPS2_CROSS)nm

MPS2_ARCH   := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
# -fstack-usage writes a .su file next to each object: per-function frame sizes.
# This board has no crypto port, so it never offers Contract payment or the Certificate
# service: its largest response is an ISO-2 ChargeParameterDiscoveryRes, not a
# CertificateInstallationRes with two chains (the core's 6 kB defaults, docs/pnc.md). The
# smaller buffers keep 7 kB of RAM per connector; a port with a certificate provider
# raises them (MPS2_BUFFERS=).
MPS2_BUFFERS ?= -DCFG_CHARGER_EXI_MAX=1024u -DCFG_EVSE_LINK_TX=2048u
MPS2_CFLAGS := $(MPS2_ARCH) $(CORE_WARN) -Os -g -ffunction-sections -fdata-sections \
               -fstack-usage -MMD -MP $(MPS2_BUFFERS) $(MPS2_EXTRA_CFLAGS)
# newlib-nano supplies memcpy/memset/vsnprintf; board/mps2-an386/syscalls.c
# replaces librdimon/libnosys, and startup.c replaces crt0.
MPS2_LDFLAGS := $(MPS2_ARCH) --specs=nano.specs -nostartfiles -T $(MPS2_LD) -Wl,--gc-sections \
                -Wl,--no-warn-rwx-segments
MPS2_LDLIBS  := -Wl,--start-group -lc -lgcc -Wl,--end-group

# Unit-test images carry the test code and the shim, so they get the whole 4 MiB
# of each QEMU memory, a 64 KiB stack and a 1 MiB heap for test code (the core's
# own freedom from malloc is checked on the host with nm, tests/checks/). The
# firmware keeps the realistic 512K/256K/8K/no heap of the linker script.
MPS2_TEST_LDFLAGS := -Wl,--defsym=an386_flash_size=4M -Wl,--defsym=an386_ram_size=4M \
                     -Wl,--defsym=an386_stack_size=64K -Wl,--defsym=an386_heap_size=1M \
                     -u _printf_float
MPS2_TEST_TIMEOUT ?= 60
AN386_DEMO_PASSES ?= 200

# Layer include paths, as on the host: the core sees only its own layers.
MPS2_CORE_INC  := -Ihal -Iprotocols -Ifirmware
MPS2_BOARD_INC := -Ihal -Iprotocols -Ifirmware -I$(MPS2_DIR)
# -Itests/target FIRST: <cmocka.h> must be the target shim, not /usr/include's.
MPS2_TEST_INC  := -Itests/target $(INC_tests)

# Run-time of every image (firmware and tests): vectors, reset, faults,
# semihosting, SysTick, newlib hooks.
MPS2_RT_SRCS := $(MPS2_DIR)/startup.c $(MPS2_DIR)/semihost.c $(MPS2_DIR)/an386_cpu.c \
                $(MPS2_DIR)/syscalls.c
MPS2_FW_SRCS := $(MPS2_DIR)/an386_hal.c
MPS2_SHIM_SRCS := tests/target/cmocka_target.c

mps2_obj = $(patsubst %.c,$(MPS2_B)/obj/%.o,$(1))

MPS2_CORE_OBJS := $(call mps2_obj,$(CORE_SRCS))
MPS2_FAKE_OBJS := $(call mps2_obj,$(FAKE_SRCS))
MPS2_RT_OBJS   := $(call mps2_obj,$(MPS2_RT_SRCS))
MPS2_FW_OBJS   := $(call mps2_obj,$(MPS2_FW_SRCS))
MPS2_SHIM_OBJS := $(call mps2_obj,$(MPS2_SHIM_SRCS))
MPS2_MAIN_OBJ  := $(MPS2_B)/obj/$(MPS2_DIR)/main.o
MPS2_DEMO_OBJ  := $(MPS2_B)/obj/$(MPS2_DIR)/main-demo.o
# The firmware with the OCPP 1.6J client linked in (board-ocpp-size): its cost measured on
# the target, not summed from object files.
MPS2_OCPP_MAIN := $(MPS2_B)/obj/$(MPS2_DIR)/main-ocpp.o
MPS2_OCPP_OBJS := $(call mps2_obj,$(MPS2_DIR)/an386_ocpp.c)
# Every unit test runs on the target too, except those of the host-only simulation layer
# (tests/unit/test_sim_*.c: sim/ is never built for a firmware target) and of the host
# tools (test_v2g_decode: v2g-decode's TLS on OpenSSL).
MPS2_HOST_ONLY_TESTS := test_sim_% test_v2g_decode
MPS2_UNIT_TESTS := $(filter-out $(MPS2_HOST_ONLY_TESTS),$(UNIT_TESTS))
MPS2_UNIT_OBJS := $(patsubst %,$(MPS2_B)/obj/tests/unit/%.o,$(MPS2_UNIT_TESTS))
MPS2_SELF_OBJ  := $(MPS2_B)/obj/tests/target/test_cmocka_shim.o

MPS2_CORE_LIB := $(MPS2_B)/libcore.a
MPS2_FAKE_LIB := $(MPS2_B)/libfakes.a
MPS2_FW_ELF   := $(MPS2_B)/firmware.elf
MPS2_DEMO_ELF := $(MPS2_B)/firmware-demo.elf
MPS2_OCPP_ELF := $(MPS2_B)/firmware-ocpp.elf
# The shim's self-test runs first: if it is broken, no other result counts.
MPS2_TESTS     := test_cmocka_shim $(MPS2_UNIT_TESTS)
MPS2_TEST_ELFS := $(patsubst %,$(MPS2_B)/tests/%.elf,$(MPS2_TESTS))

# Tell the top Makefile that `make test` should run board-test.
TARGET_TEST ?= mps2-an386

# What `make BOARD=mps2-an386` builds (the top Makefile's `all`).
BOARD_ALL_mps2-an386 := board-all

.PHONY: board-all board-test board-run board-size board-stack mps2-test-elfs board-coproc board-ocpp-size

MPS2_Q := $(if $(filter 1,$(V)),,@)

# ---------------------------------------------------------------- compile
$(MPS2_CORE_OBJS): $(MPS2_B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC m4   $<"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_CFLAGS) $(MPS2_CORE_INC) -c $< -o $@

$(MPS2_FW_OBJS) $(MPS2_MAIN_OBJ) $(MPS2_OCPP_OBJS): $(MPS2_B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC m4   $<"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_CFLAGS) $(MPS2_BOARD_INC) -c $< -o $@

$(MPS2_DEMO_OBJ): $(MPS2_DIR)/main.c
	@mkdir -p $(@D)
	@echo "  CC m4   $< (demo, $(AN386_DEMO_PASSES) passes)"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_CFLAGS) $(MPS2_BOARD_INC) -DAN386_DEMO_PASSES=$(AN386_DEMO_PASSES) \
	    -c $< -o $@

$(MPS2_OCPP_MAIN): $(MPS2_DIR)/main.c
	@mkdir -p $(@D)
	@echo "  CC m4   $< (with the OCPP client)"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_CFLAGS) $(MPS2_BOARD_INC) -DAN386_OCPP -c $< -o $@

# startup.c: no memcpy/memset calls may replace the .data/.bss loops (they run
# before the C library's data exists).
$(MPS2_RT_OBJS): $(MPS2_B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC m4   $<"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_CFLAGS) -fno-tree-loop-distribute-patterns -I$(MPS2_DIR) -c $< -o $@

$(MPS2_FAKE_OBJS) $(MPS2_UNIT_OBJS) $(MPS2_SHIM_OBJS) $(MPS2_SELF_OBJ): $(MPS2_B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC m4   $<"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_CFLAGS) $(MPS2_TEST_INC) -c $< -o $@

$(MPS2_CORE_LIB): $(MPS2_CORE_OBJS)
	@mkdir -p $(@D)
	$(MPS2_Q)rm -f $@ && $(MPS2_AR) rcs $@ $^

$(MPS2_FAKE_LIB): $(MPS2_FAKE_OBJS)
	@mkdir -p $(@D)
	$(MPS2_Q)rm -f $@ && $(MPS2_AR) rcs $@ $(MPS2_FAKE_OBJS)

# ---------------------------------------------------------------- firmware
$(MPS2_FW_ELF): $(MPS2_MAIN_OBJ) $(MPS2_FW_OBJS) $(MPS2_RT_OBJS) $(MPS2_CORE_LIB) $(MPS2_LD)
	@echo "  LD m4   $@"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ \
	    $(MPS2_MAIN_OBJ) $(MPS2_FW_OBJS) $(MPS2_RT_OBJS) $(MPS2_CORE_LIB) $(MPS2_LDLIBS)

$(MPS2_DEMO_ELF): $(MPS2_DEMO_OBJ) $(MPS2_FW_OBJS) $(MPS2_RT_OBJS) $(MPS2_CORE_LIB) $(MPS2_LD)
	@echo "  LD m4   $@"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ \
	    $(MPS2_DEMO_OBJ) $(MPS2_FW_OBJS) $(MPS2_RT_OBJS) $(MPS2_CORE_LIB) $(MPS2_LDLIBS)

$(MPS2_OCPP_ELF): $(MPS2_OCPP_MAIN) $(MPS2_OCPP_OBJS) $(MPS2_FW_OBJS) $(MPS2_RT_OBJS) $(MPS2_CORE_LIB) $(MPS2_LD)
	@echo "  LD m4   $@"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ \
	    $(MPS2_OCPP_MAIN) $(MPS2_OCPP_OBJS) $(MPS2_FW_OBJS) $(MPS2_RT_OBJS) $(MPS2_CORE_LIB) $(MPS2_LDLIBS)

# The OCPP client's flash and RAM on the Cortex-M4 (docs/ocpp.md "Figures"): both images'
# totals, their difference, and the difference per module from the linker maps (what
# --gc-sections kept of each object).
BENCHES += board-ocpp-size
board-ocpp-size: $(MPS2_FW_ELF) $(MPS2_OCPP_ELF)
	$(MPS2_Q)SIZE=$(MPS2_SIZE) NM=$(MPS2_NM) $(MPS2_DIR)/mem-report.sh $(MPS2_FW_ELF)
	$(MPS2_Q)SIZE=$(MPS2_SIZE) NM=$(MPS2_NM) $(MPS2_DIR)/mem-report.sh $(MPS2_OCPP_ELF)
	$(MPS2_Q)python3 $(MPS2_DIR)/map-diff.py $(MPS2_FW_ELF:.elf=.map) $(MPS2_OCPP_ELF:.elf=.map)

board-all: $(MPS2_FW_ELF)
	$(MPS2_Q)SIZE=$(MPS2_SIZE) NM=$(MPS2_NM) $(MPS2_DIR)/mem-report.sh $(MPS2_FW_ELF)

board-size: board-all
	$(MPS2_Q)$(MPS2_SIZE) $(MPS2_FW_ELF)

# The 15 largest stack frames (from -fstack-usage) of everything compiled for
# the image, including functions the linker then dropped. Frames only, not call
# chains; the measured run-time high-water mark is printed by board-run.
board-stack: $(MPS2_FW_ELF)
	$(MPS2_Q)cat $(patsubst %.o,%.su,$(MPS2_MAIN_OBJ) $(MPS2_FW_OBJS) $(MPS2_RT_OBJS) $(MPS2_CORE_OBJS)) \
	    > $(BUILD)/mps2-stack.txt
	$(MPS2_Q)sort -t '	' -k2 -n -r -o $(BUILD)/mps2-stack.txt $(BUILD)/mps2-stack.txt
	$(MPS2_Q)sed -n 1,15p $(BUILD)/mps2-stack.txt

board-run: $(MPS2_DEMO_ELF)
	$(MPS2_Q)SIZE=$(MPS2_SIZE) NM=$(MPS2_NM) $(MPS2_DIR)/mem-report.sh $(MPS2_DEMO_ELF)
	$(MPS2_Q)$(MPS2_RUN) --timeout $(MPS2_TEST_TIMEOUT) $(MPS2_DEMO_ELF)

# ---------------------------------------------------------------- the co-processor image
# A separate image (the default firmware's contents stay as they are): the CMSDK UART
# driver, the run-time vector table for its interrupts, and coproc.c's superloop running
# protocols/chargesom's controller. Same memory budget as the firmware (512K/256K/8K).
MPS2_COPROC_SRCS := $(MPS2_DIR)/coproc.c $(MPS2_DIR)/an386_uart.c $(MPS2_DIR)/an386_irq.c
MPS2_COPROC_OBJS := $(call mps2_obj,$(MPS2_COPROC_SRCS))
MPS2_COPROC_ELF  := $(MPS2_B)/coproc.elf

$(MPS2_COPROC_OBJS): $(MPS2_B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC m4   $<"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_CFLAGS) $(MPS2_BOARD_INC) -c $< -o $@

$(MPS2_COPROC_ELF): $(MPS2_COPROC_OBJS) $(MPS2_FW_OBJS) $(MPS2_RT_OBJS) $(MPS2_CORE_LIB) $(MPS2_LD)
	@echo "  LD m4   $@"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ \
	    $(MPS2_COPROC_OBJS) $(MPS2_FW_OBJS) $(MPS2_RT_OBJS) $(MPS2_CORE_LIB) $(MPS2_LDLIBS)

board-coproc: $(MPS2_COPROC_ELF)
	$(MPS2_Q)SIZE=$(MPS2_SIZE) NM=$(MPS2_NM) $(MPS2_DIR)/mem-report.sh $(MPS2_COPROC_ELF)

# The UART driver's host unit test (board/mps2-an386/tests/): the driver compiled for the
# host against the test's model of the UART registers (AN386_UART_FAKE_REGS), sanitized.
MPS2_UART_FAKE_OBJ := $(BUILD)/san/$(MPS2_DIR)/an386_uart_fake.o
$(MPS2_UART_FAKE_OBJ): $(MPS2_DIR)/an386_uart.c | $(DEPS_STAMP_BUILD)
	@mkdir -p $(@D)
	@echo "  CC san  $< (fake registers)"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_COMMON) $(call layer_inc,$<) -DAN386_UART_FAKE_REGS -c $< -o $@
$(BUILD)/san/tests/test_an386_uart: $(call san,$(MPS2_DIR)/tests/test_an386_uart.c) $(MPS2_UART_FAKE_OBJ) $(CORE_LIB) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka
$(call san,$(wildcard $(MPS2_DIR)/tests/*.c)): | $(DEPS_STAMP_TEST)
UNIT_BINS += $(BUILD)/san/tests/test_an386_uart
unit: $(BUILD)/san/tests/test_an386_uart
-include $(MPS2_UART_FAKE_OBJ:.o=.d)

# ---------------------------------------------------------------- unit tests on the target
MPS2_UNIT_ELFS := $(patsubst %,$(MPS2_B)/tests/%.elf,$(MPS2_UNIT_TESTS))
MPS2_SELF_ELF  := $(MPS2_B)/tests/test_cmocka_shim.elf
MPS2_TEST_DEPS := $(MPS2_SHIM_OBJS) $(MPS2_RT_OBJS) $(MPS2_FAKE_LIB) $(MPS2_CORE_LIB) $(MPS2_LD)
define MPS2_LINK_TEST
	@mkdir -p $(@D)
	@echo "  LD m4   $@"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_LDFLAGS) $(MPS2_TEST_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ \
	    $< $(MPS2_SHIM_OBJS) $(MPS2_RT_OBJS) $(MPS2_FAKE_LIB) $(MPS2_CORE_LIB) $(MPS2_LDLIBS)
endef

$(MPS2_UNIT_ELFS): $(MPS2_B)/tests/%.elf: $(MPS2_B)/obj/tests/unit/%.o $(MPS2_TEST_DEPS)
	$(MPS2_LINK_TEST)

# The shim's own self-test lives in tests/target/, not tests/unit/, and needs
# neither the core nor the fakes, so it still runs when those do not build.
$(MPS2_SELF_ELF): $(MPS2_SELF_OBJ) $(MPS2_SHIM_OBJS) $(MPS2_RT_OBJS) $(MPS2_LD)
	@mkdir -p $(@D)
	@echo "  LD m4   $@"
	$(MPS2_Q)$(MPS2_CC) $(MPS2_LDFLAGS) $(MPS2_TEST_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ \
	    $< $(MPS2_SHIM_OBJS) $(MPS2_RT_OBJS) $(MPS2_LDLIBS)

# The OCPP image is linked with the tests: a change that breaks the client's target build
# fails board-test (its own case below), not only board-ocpp-size.
mps2-test-elfs: $(MPS2_TEST_ELFS) $(MPS2_OCPP_ELF)
	@:

# Every test is built and run even after another failed (a test that does not
# compile for the target is a FAIL line, not the end of the run, and `make -q`
# makes sure a stale ELF from an earlier build is never run); the log of a
# failing test is shown. The exit status is non-zero if any test failed.
# When every image built, none needs the per-test `make -q` (each reads the whole build's
# dependency files: about a second of CPU, a minute over the 66 tests); only after a failed
# build does each test ask whether its own image is current.
board-test:
	$(MPS2_Q)all_built=0; $(MAKE) --no-print-directory -k mps2-test-elfs && all_built=1; \
	pass=0; fail=0; \
	for t in $(MPS2_TESTS); do \
	    elf=$(MPS2_B)/tests/$$t.elf; log=$(MPS2_B)/tests/$$t.log; \
	    if [ $$all_built = 0 ] && ! $(MAKE) -q --no-print-directory $$elf 2>/dev/null; then \
	        echo "FAIL $$t (does not build for the target; see the compiler output above)"; \
	        fail=$$((fail + 1)); continue; \
	    fi; \
	    if $(MPS2_RUN) --timeout $(MPS2_TEST_TIMEOUT) $$elf >$$log 2>&1; then \
	        echo "PASS $$t"; pass=$$((pass + 1)); \
	    else \
	        rc=$$?; echo "FAIL $$t (exit $$rc; log $$log)"; \
	        tail -n 30 $$log | sed 's/^/    /'; fail=$$((fail + 1)); \
	    fi; \
	done; \
	if [ $$all_built = 1 ] || $(MAKE) -q --no-print-directory $(MPS2_OCPP_ELF) 2>/dev/null; then \
	    echo "PASS firmware-ocpp (the OCPP 1.6J client links into the Cortex-M4 firmware)"; pass=$$((pass + 1)); \
	else \
	    echo "FAIL firmware-ocpp (does not link for the target; see the output above)"; fail=$$((fail + 1)); \
	fi; \
	echo "cortex-m: $$pass passed, $$fail failed"; \
	test $$fail -eq 0

-include $(wildcard $(MPS2_B)/obj/*.d $(MPS2_B)/obj/*/*.d $(MPS2_B)/obj/*/*/*.d $(MPS2_B)/obj/*/*/*/*.d)
