# ISO 15118-2 DC EIM SECC machine (issue 14): benchmark and Cortex-M4 size. Included by the
# top Makefile (BUILD, CORE_LIB_REL, rel, Q, BENCHES are defined there).
#
#   make bench-iso2     ns per ISO-2 CurrentDemandReq decode -> CurrentDemandRes encode (p50/p99)
#   make iso2-size      flash/RAM of protocols/iso2 + hlc_iso2 + the ISO-2 codec on the Cortex-M4
#   make fuzz FUZZ=iso2 libFuzzer through hlc_handle with ISO-2 negotiated (tests/fuzz/fuzz.mk)
#
# The integration test over the shared captures is tests/integration/iso2.mk.

ISO2_BENCH := $(BUILD)/rel/bin/bench_iso2

$(ISO2_BENCH): $(call rel,tests/bench/bench_iso2.c tests/bench/bench_hlc.c) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) -o $@ $^

.PHONY: bench-iso2 iso2-size
BENCHES += bench-iso2
bench-iso2: $(ISO2_BENCH)
	$(Q)$(ISO2_BENCH)

# The objects of the board build (make BOARD=mps2-an386): what the ISO-2 backend adds.
# iso2_sig.c (PnC signatures, docs/pnc.md) is not called by the EIM backend: not counted.
ISO2_M4_OBJS := $(patsubst %.c,$(BUILD)/mps2-an386/obj/%.o,$(sort $(filter-out protocols/iso2/iso2_sig.c protocols/iso2/iso2_ev_pnc.c,$(wildcard protocols/iso2/*.c))) \
                firmware/hlc_iso2.c protocols/exi/exi_iso2_dec.c protocols/exi/exi_iso2_enc.c)
iso2-size: $(ISO2_M4_OBJS)
	$(Q)arm-none-eabi-size $^
	$(Q)arm-none-eabi-size $^ | awk 'NR>1 {t+=$$1; d+=$$2; b+=$$3} END {printf "protocols/iso2 + hlc_iso2 + ISO-2 codec: %d bytes of flash (text+data), %d bytes of static RAM (data+bss); the documents live in struct hlc (see docs/iso15118-2.md)\n", t+d, d+b}'
