# Plug & Charge PKI (issue 15): the test PKI made by tools/v2g-pki/make-pki.sh, every good
# chain accepted and every bad one refused with its reason by v2g-pki, cross-checked with
# `openssl verify`, the certificates of the shared PnC captures parsed and printed, and
# `sim --pnc` over that PKI: a Plug & Charge session, an expired contract, an unknown root,
# hostile files.
#
#   make integration-pki     PASS/FAIL lines, "pki: N passed, N failed" (about 14 s of CPU: 5 s make the PKI)
#
# openssl makes the PKI and cross-checks; tshark reads the SECC chain from the TLS handshake
# of a capture; xxd turns its hex into DER.
DEPS_TEST += openssl tshark xxd

INTEGRATION_TESTS += pki
PKI_TEST_BINS := $(BIN)/v2g-pki $(BUILD)/san/bin/v2g-pki $(BUILD)/san/bin/v2g-codec $(BIN)/sim
INTEGRATION_PREREQS += $(PKI_TEST_BINS)

.PHONY: integration-pki
integration-pki: $(PKI_TEST_BINS) | $(DEPS_STAMP_TEST)
	$(Q)tests/integration/pki_test.sh $(BIN)/v2g-pki $(BUILD)/san/bin/v2g-pki $(BUILD)/san/bin/v2g-codec $(SHARED) $(BUILD)/pki $(BIN)/sim

# The host boards' Plug & Charge files (boardlib/board_pnc.c: pnc.mo_roots, the car's
# contract): PEM/DER, roots, hostile files, the key check. OpenSSL makes its certificates,
# so it lives in tests/host/ like test_iso2_evse_pnc (see protocols/iso2/iso2_sig.mk).
BOARD_PNC_UNIT := $(BUILD)/san/tests/test_board_pnc
$(BUILD)/san/tests/host/test_board_pnc.o: HOST_CFLAGS_COMMON += -Ihal_linux -Iboardlib
$(BUILD)/san/tests/host/test_board_pnc.o: | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
$(BOARD_PNC_UNIT): $(BUILD)/san/tests/host/test_board_pnc.o $(BUILD)/san/tests/host/tp_pki.o $(BUILD)/san/boardlib/board_pnc.o $(CORE_LIB) $(LINUX_PORT_LIB) | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka -lcrypto -lpthread
UNIT_BINS += $(BOARD_PNC_UNIT)
unit: $(BOARD_PNC_UNIT)
