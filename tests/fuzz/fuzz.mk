# libFuzzer harnesses (issue 12 item 12): one rule set for every harness. Included by the
# top-level Makefile after the other fragments (it needs EXI_STAMP, EXI_SETS, BUILD, Q,
# DEPS_STAMP_FUZZ, layer_inc, INTEGRATION_TESTS, INTEGRATION_PREREQS).
#
#   make fuzz                     every harness: its committed corpus, then FUZZ_SECONDS (20) of fuzzing
#   make fuzz FUZZ=ocmf           only some harnesses (names below, without "fuzz_")
#   make fuzz-NAME                one harness; fuzz-exi, fuzz-link: the EXI codecs, the link parsers
#   make integration-fuzz         the same with FUZZ_TEST_SECONDS (1) each: the group `make test` runs
#
# Every harness aborts on the first sanitizer finding (-fno-sanitize-recover=all) and the
# run's exit status is the fuzzers': a finding fails `make fuzz` and `make test`. The seeds
# are committed under tests/fuzz/corpus/<harness>/ (tests/fuzz/gen_corpus.py writes them),
# plus those a harness writes itself at fuzz time under $(BUILD)/fuzz/seeds/<harness>/;
# what the fuzzer finds on top goes to $(BUILD)/fuzz/work/, never into the tree.

FUZZ_CC           ?= clang
FUZZ_SECONDS      ?= 20
FUZZ_TEST_SECONDS ?= 1
FUZZ_DIR          := $(BUILD)/fuzz
FUZZ_SAN          := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_BASE_CFLAGS  := -std=c11 -D_DEFAULT_SOURCE -g1 -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_INC          := -Ihal -Iprotocols -Ifirmware -Ihal_linux -Iboardlib -Itests/fuzz

# Every harness: tests/fuzz/fuzz_<name>.c is compiled in its link step with FUZZ_FLAGS_<name>
# (and FUZZ_CSRCS_<name>, sources that need those flags); FUZZ_SRCS_<name> are shared objects.
FUZZ_HARNESSES := infy ocmf din iso2 iso20 iso20_ev homeplug v2gtp sdp $(addprefix exi_,$(EXI_SETS)) \
                  em580 imd_bender imd_dold config board_config journal capture api_json chargesom ocpp \
                  cbsom_plant cbsom_wire iso2_sig x509 huawei_goose huawei_modbus

# The -20 DC backend (hlc.c links every backend compiled in) and its harness (fuzz_iso20.c).
FUZZ_ISO20_SRCS       := $(sort $(wildcard protocols/iso20/iso20_common.c protocols/iso20/iso20_evse*.c)) firmware/hlc_iso20.c \
                         protocols/exi/exi_iso20_dec.c protocols/exi/exi_iso20_enc.c \
                         protocols/exi/exi_iso20_dc_dec.c protocols/exi/exi_iso20_dc_enc.c
# The ISO-2 SECC's PnC checks (iso2_evse_pnc.c) validate contract chains with protocols/x509.
FUZZ_X509_SRCS        := $(sort $(wildcard protocols/x509/*.c))
FUZZ_LINK_SRCS        := $(sort $(wildcard protocols/homeplug/*.c protocols/slac/*.c protocols/sdp/*.c \
                         protocols/v2gtp/*.c protocols/sha256/*.c)) hal/hal_err.c
FUZZ_SRCS_infy        := $(sort $(wildcard protocols/infypower/*.c)) hal/hal_log.c hal/hal_err.c
FUZZ_SRCS_ocmf        := protocols/ocmf/ocmf.c protocols/base64/base64.c protocols/ocmf/ocmf_check.c protocols/ocmf/ocmf_values.c protocols/sha256/sha256.c hal/hal_err.c
FUZZ_SRCS_din         := $(sort $(wildcard protocols/din/*.c protocols/apphand/*.c protocols/v2g/*.c)) \
                         protocols/exi/exi_stream.c protocols/exi/exi_din_dec.c protocols/exi/exi_din_enc.c \
                         protocols/exi/exi_apphand_dec.c protocols/exi/exi_apphand_enc.c hal/hal_err.c \
                         firmware/hlc.c firmware/hlc_dc.c firmware/hlc_din.c firmware/hlc_protocols.c \
                         $(sort $(wildcard protocols/iso2/*.c)) firmware/hlc_iso2.c \
                         protocols/exi/exi_iso2_dec.c protocols/exi/exi_iso2_enc.c protocols/sha256/sha256.c \
                         tests/fuzz/fuzz_hlc.c $(FUZZ_ISO20_SRCS) $(FUZZ_X509_SRCS)
FUZZ_SRCS_iso2        := $(sort $(wildcard protocols/iso2/*.c protocols/din/*.c protocols/apphand/*.c protocols/v2g/*.c)) \
                         protocols/exi/exi_stream.c protocols/exi/exi_iso2_dec.c protocols/exi/exi_iso2_enc.c \
                         protocols/exi/exi_din_dec.c protocols/exi/exi_din_enc.c \
                         protocols/exi/exi_apphand_dec.c protocols/exi/exi_apphand_enc.c hal/hal_err.c \
                         firmware/hlc.c firmware/hlc_dc.c firmware/hlc_din.c firmware/hlc_iso2.c firmware/hlc_protocols.c \
                         protocols/sha256/sha256.c tests/fuzz/fuzz_hlc.c $(FUZZ_ISO20_SRCS) $(FUZZ_X509_SRCS)
# Counts the inputs that reach the chain validation and the signature checks (FUZZ_ISO2_COUNT=1).
FUZZ_FLAGS_iso2       := -Wl,--wrap=x509_chain_validate,--wrap=iso2_sig_verify
FUZZ_SRCS_iso20       := $(FUZZ_SRCS_iso2)
# The -20 car's response handling (tests/fuzz/fuzz_iso20_ev.c).
FUZZ_SRCS_iso20_ev    := protocols/iso20/iso20_ev.c protocols/iso20/iso20_ev_build.c protocols/iso20/iso20_ev_receive.c \
                         $(sort $(wildcard protocols/apphand/*.c protocols/v2g/*.c)) \
                         protocols/exi/exi_stream.c protocols/exi/exi_iso20_dec.c protocols/exi/exi_iso20_enc.c \
                         protocols/exi/exi_iso20_dc_dec.c protocols/exi/exi_iso20_dc_enc.c \
                         protocols/exi/exi_apphand_dec.c protocols/exi/exi_apphand_enc.c hal/hal_err.c
FUZZ_SRCS_homeplug    := $(FUZZ_LINK_SRCS)
FUZZ_SRCS_v2gtp       := $(FUZZ_LINK_SRCS)
FUZZ_SRCS_sdp         := $(FUZZ_LINK_SRCS)
$(foreach s,$(EXI_SETS),$(eval FUZZ_SRCS_exi_$(s) := protocols/exi/exi_stream.c hal/hal_err.c \
    protocols/exi/exi_$(s)_dec.c protocols/exi/exi_$(s)_enc.c))
$(foreach s,$(EXI_SETS),$(eval FUZZ_MAIN_exi_$(s) := tests/fuzz/fuzz_exi.c))
$(foreach s,$(EXI_SETS),$(eval FUZZ_FLAGS_exi_$(s) := -DFUZZ_EXI_SET=$(s)))
FUZZ_SRCS_em580       := protocols/em580/em580.c protocols/em580/em580_jobs.c protocols/em580/em580_regs.c protocols/ocmf/ocmf.c protocols/base64/base64.c protocols/ocmf/ocmf_check.c protocols/ocmf/ocmf_values.c protocols/sha256/sha256.c \
                         hal/hal_err.c hal/hal_log.c tests/fuzz/fuzz_modbus.c
FUZZ_IMD_SRCS         := $(sort $(wildcard protocols/imd/*.c)) hal/hal_err.c hal/hal_log.c tests/fuzz/fuzz_modbus.c
FUZZ_SRCS_imd_bender  := $(FUZZ_IMD_SRCS)
FUZZ_MAIN_imd_bender  := tests/fuzz/fuzz_imd.c
FUZZ_FLAGS_imd_bender := -DFUZZ_IMD_DOLD=0
FUZZ_SRCS_imd_dold    := $(FUZZ_IMD_SRCS)
FUZZ_MAIN_imd_dold    := tests/fuzz/fuzz_imd.c
FUZZ_FLAGS_imd_dold   := -DFUZZ_IMD_DOLD=1
# v2g-decode's capture reader, TCP reassembly and TLS record layer (tests/integration/decode.mk).
FUZZ_SRCS_capture     := tools/v2g-replay/v2g_pcap.c tools/v2g-decode/v2gd_tls.c
FUZZ_LIBS_capture     := -lssl -lcrypto
FUZZ_SRCS_config      := firmware/config.c hal/hal_err.c
FUZZ_SRCS_api_json    := firmware/api_json.c hal/hal_err.c hal/hal_fmt.c
FUZZ_SRCS_chargesom   := $(sort $(wildcard protocols/chargesom/*.c)) hal/hal_err.c
# The plant's command lines (the co-processor image's UART1, cbsomsim's FIFO).
FUZZ_SRCS_cbsom_plant := $(FUZZ_SRCS_chargesom)
# The plant outside the charger: the car's and the stage's datagrams (cbsomsim's sockets).
FUZZ_SRCS_cbsom_wire  := $(FUZZ_SRCS_chargesom) sim/sim_cbsom_plant.c
FUZZ_FLAGS_cbsom_wire := -Isim
# The board's reader as the charger links it (bus specs come from the Modbus port).
FUZZ_SRCS_board_config := hal/hal_net.c boardlib/board_config.c boardlib/board_mqtt_config.c boardlib/board_ocpp_config.c firmware/api_mqtt_config.c firmware/config.c firmware/charger_vsource.c firmware/hlc_protocols.c protocols/ocmf/ocmf.c protocols/base64/base64.c protocols/ocmf/ocmf_check.c protocols/ocmf/ocmf_values.c protocols/sha256/sha256.c hal_linux/linux_modbus.c hal_linux/linux_errno.c \
                          $(sort $(wildcard protocols/infypower/*.c)) hal/hal_err.c hal/hal_log.c
FUZZ_LIBS_board_config := -lmodbus -lssl -lcrypto -lpthread
# Few slots, so that short inputs reach every slot: journal.c is compiled with the harness.
FUZZ_CSRCS_journal    := firmware/journal.c
FUZZ_SRCS_journal     := hal/hal_err.c
FUZZ_FLAGS_journal    := -DCFG_JOURNAL_SLOTS=4u

# ISO 15118-2 XML signatures over EXI fragments (issue 15): decode, digest, verify, sign.
FUZZ_SRCS_iso2_sig    := protocols/iso2/iso2_sig.c protocols/exi/exi_stream.c protocols/exi/exi_iso2_dec.c \
                         protocols/exi/exi_iso2_enc.c protocols/sha256/sha256.c hal/hal_err.c
# The X.509 parser and chain validation (protocols/x509), a crypto port that says yes.
FUZZ_SRCS_x509        := $(sort $(wildcard protocols/x509/*.c)) protocols/sha256/sha256.c hal/hal_err.c

# The OCPP core over one incoming frame (a registered charge point, a CALL of its own outstanding).
FUZZ_SRCS_ocpp        := $(sort $(wildcard protocols/ocpp/*.c)) hal/hal_err.c hal/hal_log.c hal/hal_fmt.c \
                        protocols/x509/x509.c protocols/x509/x509_chain.c protocols/sha256/sha256.c protocols/base64/base64.c

# The Huawei FusionCharge dispenser core: GOOSE subscriber and Modbus server (issue 21).
FUZZ_HUAWEI_SRCS      := $(sort $(wildcard protocols/huawei/*.c)) protocols/sha256/sha256.c \
                         protocols/sha256/hmac_sha256.c hal/hal_err.c
FUZZ_SRCS_huawei_goose  := $(FUZZ_HUAWEI_SRCS)
FUZZ_SRCS_huawei_modbus := $(FUZZ_HUAWEI_SRCS)

FUZZ_BINS := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_HARNESSES))
# The link step compiles the harness itself: it depends on every header it may include.
FUZZ_HDRS := $(wildcard tests/fuzz/*.h hal/*.h protocols/*/*.h firmware/*.h boardlib/*.h hal_linux/*.h)
fuzz_obj = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))

$(FUZZ_DIR)/obj/%.o: %.c | $(DEPS_STAMP_FUZZ)
	@mkdir -p $(@D)
	@echo "  CC fuzz $<"
	$(Q)$(FUZZ_CC) $(FUZZ_BASE_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP $(call layer_inc,$<) \
	    $(if $(filter tests/%,$<),$(FUZZ_INC)) -c $< -o $@
$(filter $(FUZZ_DIR)/obj/protocols/exi/%,$(call fuzz_obj,$(foreach h,$(FUZZ_HARNESSES),$(FUZZ_SRCS_$(h))))): $(EXI_STAMP)

define FUZZ_RULE
$(FUZZ_DIR)/fuzz_$(1): $(or $(FUZZ_MAIN_$(1)),tests/fuzz/fuzz_$(1).c) $(FUZZ_CSRCS_$(1)) \
		$(call fuzz_obj,$(FUZZ_SRCS_$(1))) $(FUZZ_HDRS) tests/fuzz/fuzz.mk | $(DEPS_STAMP_FUZZ)
	@mkdir -p $$(@D)
	@echo "  FUZZ    $$@"
	$$(Q)$$(FUZZ_CC) $$(FUZZ_BASE_CFLAGS) -fsanitize=fuzzer $$(FUZZ_INC) $(FUZZ_FLAGS_$(1)) -o $$@ \
	    $(or $(FUZZ_MAIN_$(1)),tests/fuzz/fuzz_$(1).c) $(FUZZ_CSRCS_$(1)) \
	    $(call fuzz_obj,$(FUZZ_SRCS_$(1))) $(FUZZ_LIBS_$(1))
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call FUZZ_RULE,$(h))))

# Seeds written by a harness itself at fuzz time (run.sh adds $(FUZZ_DIR)/seeds/NAME to the
# committed corpus): fuzz_iso2's Plug & Charge sessions, our car with the harness's own PKI
# (FUZZ_ISO2_SEEDS=DIR, well under a second of CPU). Order-only below, so `$^` stays the
# binaries; the stamp is still remade whenever the harness is.
FUZZ_ISO2_SEEDS := $(FUZZ_DIR)/seeds/iso2/.stamp
$(FUZZ_ISO2_SEEDS): $(FUZZ_DIR)/fuzz_iso2
	$(Q)rm -rf $(@D) && mkdir -p $(@D) && FUZZ_ISO2_SEEDS=$(@D) $< && touch $@
fuzz-iso2: | $(FUZZ_ISO2_SEEDS)

.PHONY: fuzz integration-fuzz fuzz-bins
fuzz-bins: $(FUZZ_BINS)
FUZZ ?= $(FUZZ_HARNESSES)
fuzz: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ)) | $(if $(filter iso2,$(FUZZ)),$(FUZZ_ISO2_SEEDS))
	$(Q)BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_SECONDS) $^
fuzz-%: $(FUZZ_DIR)/fuzz_%
	$(Q)BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_SECONDS) $^
.PHONY: fuzz-exi fuzz-link
fuzz-exi: $(addprefix $(FUZZ_DIR)/fuzz_exi_,$(EXI_SETS))
	$(Q)BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_SECONDS) $^
fuzz-link: $(addprefix $(FUZZ_DIR)/fuzz_,homeplug v2gtp sdp)
	$(Q)BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_SECONDS) $^
integration-fuzz: $(FUZZ_BINS) | $(FUZZ_ISO2_SEEDS)
	$(Q)BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_TEST_SECONDS) $^
INTEGRATION_TESTS   += fuzz
INTEGRATION_PREREQS += $(FUZZ_BINS) $(FUZZ_ISO2_SEEDS)

# ---------------------------------------------------------------- seeds
# `make fuzz-corpus` rewrites tests/fuzz/corpus/ (commit the result). The Modbus scripts
# come from the drivers talking to the unit tests' device models (seed_modbus), the V2G
# seeds from the messages of a simulated DIN session (its pcap), the rest from the
# protocol documents' structure (see gen_corpus.py).
FUZZ_SEED_MODBUS := $(FUZZ_DIR)/seed_modbus
$(FUZZ_SEED_MODBUS): tests/fuzz/seed_modbus.c tests/fakes/fake_modbus.c tests/fakes/fake_em580.c \
		tests/fakes/fake_imd.c protocols/em580/em580.c protocols/em580/em580_jobs.c protocols/em580/em580_regs.c protocols/ocmf/ocmf.c protocols/base64/base64.c protocols/ocmf/ocmf_check.c protocols/ocmf/ocmf_values.c protocols/sha256/sha256.c \
		$(sort $(wildcard protocols/imd/*.c)) hal/hal_err.c hal/hal_log.c | $(DEPS_STAMP_BUILD)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) -std=c11 -D_DEFAULT_SOURCE -g -O1 $(INC_tests) -o $@ $^
.PHONY: fuzz-corpus
fuzz-corpus: $(FUZZ_SEED_MODBUS) $(BIN)/sim $(BIN)/v2g-sig
	$(Q)python3 tests/fuzz/gen_corpus.py --seed-modbus $(FUZZ_SEED_MODBUS) --sim $(BIN)/sim --v2g-sig $(BIN)/v2g-sig \
	    --scratch $(FUZZ_DIR)/gen --shared $(SHARED) tests/fuzz/corpus
