# EXI codecs (issue 5): included by the top-level Makefile, which provides
# BUILD, SHARED, HOST_CC, HOST_CFLAGS_COMMON, HOST_LDFLAGS_SAN, CORE_LIB,
# CORE_LIB_REL, rel/san, Q, BIN, INTEGRATION_TESTS, BENCHES.
#
#   make exi-gen              regenerate protocols/exi/exi_<set>* from $(SHARED)/spec/xsd
#   make build/bin/v2g-codec  the CLI (decode / encode / bench)
#   make exi-vectors          catalog + EVerest + issue vectors (ASan/UBSan build)
#   make bench-exi            ns per decode/encode; bench-exi-callgrind: instruction counts
#   make exi-flash            flash of each codec, arm-none-eabi-gcc -Os -mcpu=cortex-m4 -mthumb
#   make fuzz-exi             one libFuzzer run per decoder (FUZZ_SECONDS each, tests/fuzz/fuzz.mk)

EXI_DIR        := protocols/exi
EXI_SETS       := apphand din iso2 iso20 iso20_dc iso20_ac
EXI_CATALOG    := appHand din iso2 iso20 iso20_dc iso20_ac
EXIGEN_SRCS    := $(wildcard tools/exigen/*.py)
EXI_XSD_DIR    := $(SHARED)/spec/xsd
EXI_GEN_FILES  := $(foreach s,$(EXI_SETS),$(EXI_DIR)/exi_$(s).h $(EXI_DIR)/exi_$(s)_dec.c \
                    $(EXI_DIR)/exi_$(s)_enc.c $(EXI_DIR)/exi_$(s)_meta.c)
EXI_STAMP      := $(BUILD)/exigen.stamp
EXI_REF_HEX    := 809a02004080c1014181c210d100000ba0406014010285010004061a01e04070c84c0400c081e00604000040a1503c00

.PHONY: exi-gen exi-vectors integration-exi-vectors bench-exi bench-exi-callgrind exi-flash

# ---------------------------------------------------------------- generation
# The schemas are read in place; without $(SHARED) the committed codecs are used.
ifneq ($(wildcard $(EXI_XSD_DIR)/din70121),)
EXI_XSDS := $(sort $(wildcard $(EXI_XSD_DIR)/*/*.xsd))
$(EXI_STAMP): $(EXIGEN_SRCS) $(EXI_XSDS) | $(DEPS_STAMP_BUILD)
	@mkdir -p $(@D)
	@echo "  EXIGEN  $(EXI_XSD_DIR) -> $(EXI_DIR)"
	$(Q)python3 tools/exigen/exigen.py --xsd $(EXI_XSD_DIR) --out $(EXI_DIR)
	@touch $@
else
$(EXI_STAMP):
	@mkdir -p $(@D)
	@echo "  EXIGEN  $(EXI_XSD_DIR) not found: using the committed generated codecs"
	@touch $@
endif

exi-gen: $(EXI_STAMP)

EXI_USERS := $(wildcard $(EXI_DIR)/*.c) $(wildcard tools/v2g-codec/*.c) $(wildcard tests/unit/test_exi*.c) \
             $(wildcard tests/bench/bench_exi*.c)
$(call rel,$(EXI_USERS)) $(call san,$(EXI_USERS)): $(EXI_STAMP)

# ---------------------------------------------------------------- v2g-codec
V2GC_SRCS := $(sort $(wildcard tools/v2g-codec/*.c))

$(BIN)/v2g-codec: $(call rel,$(V2GC_SRCS)) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^

$(BUILD)/san/bin/v2g-codec: $(call san,$(V2GC_SRCS)) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^

HOST_BINS += $(BIN)/v2g-codec

# ---------------------------------------------------------------- vectors
INTEGRATION_TESTS += exi-vectors
# Built before the groups start: groups run side by side and must not build shared files.
INTEGRATION_PREREQS += $(BUILD)/san/bin/v2g-codec

# With the signatures of the ISO-2 PnC sessions (v2g-sig, protocols/iso2/iso2_sig.mk).
exi-vectors integration-exi-vectors: $(BUILD)/san/bin/v2g-codec $(BUILD)/san/bin/v2g-sig
	$(Q)if [ -d "$(SHARED)/vectors" ]; then \
		python3 tests/vectors/exi_vectors.py $(BUILD)/san/bin/v2g-codec $(SHARED) --sig $(BUILD)/san/bin/v2g-sig; \
	else \
		echo "SKIP exi-vectors: $(SHARED)/vectors not found (the shared vectors are read in place, SHARED=$(SHARED))"; \
	fi

# The command line itself: hex input forms, V2GTP header, exit status.
INTEGRATION_TESTS += v2g_codec
INTEGRATION_PREREQS += $(BUILD)/san/bin/v2g-codec
.PHONY: integration-v2g_codec
integration-v2g_codec: $(BUILD)/san/bin/v2g-codec
	$(Q)tests/integration/v2g_codec_test.sh $(BUILD)/san/bin/v2g-codec

# ---------------------------------------------------------------- bench
BENCHES += bench-exi

$(BUILD)/rel/bin/bench_exi: $(call rel,tests/bench/bench_exi.c) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) -o $@ $^

bench-exi: $(BUILD)/rel/bin/bench_exi $(BIN)/v2g-codec
	$(BUILD)/rel/bin/bench_exi
	$(BIN)/v2g-codec bench din $(EXI_REF_HEX) 200000

# Instruction counts per message (deterministic): inclusive Ir of one decode and
# one encode of the reference DIN CurrentDemandReq.
bench-exi-callgrind: $(BUILD)/rel/bin/bench_exi
	$(Q)for fn in exi_din_decode exi_din_encode; do \
		valgrind --tool=callgrind --toggle-collect=$$fn --callgrind-out-file=$(BUILD)/callgrind.$$fn.out \
			$(BUILD)/rel/bin/bench_exi once 2>&1 | sed -n "s/.*refs: *\(.*\)/$$fn: \1 instructions/p"; \
	done

# ---------------------------------------------------------------- flash
EXI_ARM_CC    ?= arm-none-eabi-gcc
EXI_ARM_FLAGS := -std=c11 -Os -mcpu=cortex-m4 -mthumb -ffunction-sections -fdata-sections \
                 -Wall -Wextra -Werror -Wshadow -Wconversion -Wundef -Wstrict-prototypes -Ihal -Iprotocols

$(BUILD)/arm/exi/%.o: $(EXI_DIR)/%.c $(EXI_STAMP)
	@mkdir -p $(@D)
	$(Q)$(EXI_ARM_CC) $(EXI_ARM_FLAGS) -c $< -o $@

exi-flash: $(foreach s,stream $(foreach x,$(EXI_SETS),$(x)_dec $(x)_enc),$(BUILD)/arm/exi/exi_$(s).o)
	$(Q)arm-none-eabi-size $^
	$(Q)for s in $(EXI_SETS); do \
		arm-none-eabi-size $(BUILD)/arm/exi/exi_stream.o $(BUILD)/arm/exi/exi_$${s}_dec.o $(BUILD)/arm/exi/exi_$${s}_enc.o \
		| awk -v s=$$s 'NR>1 {t+=$$1} END {printf "exi %-9s decoder+encoder+runtime: %d bytes of flash\n", s, t}'; \
	done

# ---------------------------------------------------------------- fuzz
# fuzz_exi_<set> is built and run by tests/fuzz/fuzz.mk (`make fuzz FUZZ=exi_din`).
