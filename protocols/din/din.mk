# DIN SPEC 70121 session machines (issue 7): replay tool, benchmark, fuzzer, size.
# Included by the top Makefile (BUILD, SHARED, HOST_CC, CORE_LIB, CORE_LIB_REL, rel/san,
# BIN, Q, HOST_BINS, BENCHES are defined there).
#
#   build/bin/v2g-replay FILE.jsonl   replay a recorded car against our EVSE machine
#   make bench-din                    ns per CurrentDemandReq decode -> CurrentDemandRes encode
#   make fuzz-din                     libFuzzer: random bytes through decode + EVSE machine (tests/fuzz/fuzz.mk)
#   make din-size                     flash/RAM of protocols/din (+ apphand) for the Cortex-M4
#
# The integration test over the shared captures is tests/integration/din.mk.

DIN_REPLAY_SRCS := $(sort $(wildcard tools/v2g-replay/*.c))
DIN_REPLAY      := $(BIN)/v2g-replay
DIN_REPLAY_SAN  := $(BUILD)/san/bin/v2g-replay
DIN_BENCH       := $(BUILD)/rel/bin/bench_din

$(DIN_REPLAY): $(call rel,$(DIN_REPLAY_SRCS)) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^

$(DIN_REPLAY_SAN): $(call san,$(DIN_REPLAY_SRCS)) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^

HOST_BINS += $(DIN_REPLAY)

# ---------------------------------------------------------------- bench
$(DIN_BENCH): $(call rel,tests/bench/bench_din.c tests/bench/bench_hlc.c) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) -o $@ $^

.PHONY: bench-din din-size
BENCHES += bench-din
bench-din: $(DIN_BENCH)
	$(Q)$(DIN_BENCH)

# ---------------------------------------------------------------- fuzz
# fuzz_din is built and run by tests/fuzz/fuzz.mk (`make fuzz FUZZ=din`).

# ---------------------------------------------------------------- size on the Cortex-M4
# The objects of the board build (make BUILD=... BOARD=mps2-an386 or board-test).
DIN_M4_OBJS := $(patsubst %.c,$(BUILD)/mps2-an386/obj/%.o,$(sort $(wildcard protocols/din/*.c protocols/apphand/*.c)))
din-size: $(DIN_M4_OBJS)
	$(Q)arm-none-eabi-size $^
	$(Q)arm-none-eabi-size $^ | awk 'NR>1 {t+=$$1; d+=$$2; b+=$$3} END {printf "protocols/din + apphand: %d bytes of flash (text+data), %d bytes of static RAM (data+bss)\n", t+d, d+b}'
