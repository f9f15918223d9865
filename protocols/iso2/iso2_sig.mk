# ISO 15118-2 XML signatures over EXI fragments (issue 15, docs/pnc.md "XML signatures over
# EXI"). Included by the top Makefile (BUILD, SHARED, CORE_LIB*, LINUX_PORT_LIB*, rel/san, Q,
# BIN, BENCHES, INTEGRATION_PREREQS are defined there).
#
#   make build/bin/v2g-sig   v2g-sig check SESSION.jsonl...: every Signature of the ISO-2
#                            messages against our fragment digests and the signer's certificate
#                            (run by `make integration-exi-vectors` over the PnC captures)
#   make bench-iso2-sig      us per Reference digest, SignedInfo digest and full verification

DEPS_LINUX += libssl-dev

V2G_SIG_SRCS := tools/v2g-sig/v2g_sig.c
V2G_SIG      := $(BIN)/v2g-sig
V2G_SIG_SAN  := $(BUILD)/san/bin/v2g-sig

$(call rel,$(V2G_SIG_SRCS)) $(call san,$(V2G_SIG_SRCS)): $(BUILD)/exigen.stamp | $(DEPS_STAMP_LINUX)

$(V2G_SIG): $(call rel,$(V2G_SIG_SRCS)) $(CORE_LIB_REL) $(LINUX_PORT_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ -lcrypto -lpthread

$(V2G_SIG_SAN): $(call san,$(V2G_SIG_SRCS)) $(CORE_LIB) $(LINUX_PORT_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcrypto -lpthread

HOST_BINS += $(V2G_SIG)
# The exi-vectors group runs it over the PnC captures; built before the groups start.
INTEGRATION_PREREQS += $(V2G_SIG_SAN)

# Figures: digest, SignedInfo digest, verify and sign of an AuthorizationReq (release build).
.PHONY: bench-iso2-sig
BENCHES += bench-iso2-sig
bench-iso2-sig: $(V2G_SIG)
	$(Q)$(V2G_SIG) bench 2000

# The SECC's Plug & Charge unit test makes its PKI with the OpenSSL API and verifies through
# the Linux crypto port, so it cannot run on a firmware target: it lives in tests/host/
# (not tests/unit/, whose every test board-test also builds for the Cortex-M4), and is
# added to `make unit` and to the unit binaries `make test` runs. It alone sees hal_linux/.
PNC_UNIT := $(BUILD)/san/tests/test_iso2_evse_pnc
# The test PKI builder (tests/host/tp_pki.c), shared with test_iso2_evse_cert (iso2_cert.mk,
# read before this file: it names the object by its path).
TP_PKI_OBJ := $(BUILD)/san/tests/host/tp_pki.o
$(TP_PKI_OBJ): HOST_CFLAGS_COMMON += -Ihal_linux
$(TP_PKI_OBJ): | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
$(BUILD)/san/tests/host/test_iso2_evse_pnc.o: HOST_CFLAGS_COMMON += -Ihal_linux
$(BUILD)/san/tests/host/test_iso2_evse_pnc.o: $(BUILD)/exigen.stamp | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
$(PNC_UNIT): $(BUILD)/san/tests/host/test_iso2_evse_pnc.o $(TP_PKI_OBJ) $(CORE_LIB) $(LINUX_PORT_LIB) | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka -lcrypto -lpthread
UNIT_BINS += $(PNC_UNIT)
unit: $(PNC_UNIT)

# The signed MeteringReceipt tests (iso2_evse_receipt.c) reuse the PnC test's PKI and
# session helpers: test_iso2_receipt.c compiles test_iso2_evse_pnc.c in (its main renamed).
RECEIPT_UNIT := $(BUILD)/san/tests/test_iso2_receipt
$(BUILD)/san/tests/host/test_iso2_receipt.o: HOST_CFLAGS_COMMON += -Ihal_linux
$(BUILD)/san/tests/host/test_iso2_receipt.o: tests/host/test_iso2_evse_pnc.c $(BUILD)/exigen.stamp | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
$(RECEIPT_UNIT): $(BUILD)/san/tests/host/test_iso2_receipt.o $(TP_PKI_OBJ) $(CORE_LIB) $(LINUX_PORT_LIB) | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka -lcrypto -lpthread
UNIT_BINS += $(RECEIPT_UNIT)
unit: $(RECEIPT_UNIT)
