# ISO 15118-20 DC SECC machine (issue 16): benchmark and Cortex-M4 size. Included by the
# top Makefile (BUILD, CORE_LIB_REL, rel, Q, BENCHES are defined there). The car side keeps
# its own fragment (iso20_ev.mk).
#
#   make bench-iso20     ns per -20 DC_ChargeLoopReq decode -> DC_ChargeLoopRes encode (p50/p99)
#   make iso20-size      flash/RAM of the -20 SECC + hlc_iso20 + the -20 common and DC codecs on the Cortex-M4
#   make fuzz FUZZ=iso20 libFuzzer through hlc_handle with -20 negotiated (tests/fuzz/fuzz.mk)
#
# The replay of the -20 DC capture is part of tests/integration/iso2.mk (iso2_replay).

ISO20_BENCH := $(BUILD)/rel/bin/bench_iso20

$(ISO20_BENCH): $(call rel,tests/bench/bench_iso20.c tests/bench/bench_hlc.c) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) -o $@ $^

.PHONY: bench-iso20 iso20-size
BENCHES += bench-iso20
bench-iso20: $(ISO20_BENCH)
	$(Q)$(ISO20_BENCH)

# The objects of the board build (make BOARD=mps2-an386): what the -20 SECC backend adds.
ISO20_M4_OBJS := $(patsubst %.c,$(BUILD)/mps2-an386/obj/%.o,$(sort $(wildcard protocols/iso20/iso20_common.c protocols/iso20/iso20_evse*.c)) \
                 firmware/hlc_iso20.c protocols/exi/exi_iso20_dec.c protocols/exi/exi_iso20_enc.c \
                 protocols/exi/exi_iso20_dc_dec.c protocols/exi/exi_iso20_dc_enc.c)
iso20-size: $(ISO20_M4_OBJS)
	$(Q)arm-none-eabi-size $^
	$(Q)arm-none-eabi-size $^ | awk 'NR>1 {t+=$$1; d+=$$2; b+=$$3} END {printf "protocols/iso20 (SECC) + hlc_iso20 + -20 common and DC codecs: %d bytes of flash (text+data), %d bytes of static RAM (data+bss); the documents live in struct hlc (docs/iso15118-20.md)\n", t+d, d+b}'
