# Plug & Charge PKI (issue 15): the test PKI made by tools/v2g-pki/make-pki.sh, every good
# chain accepted and every bad one refused with its reason by v2g-pki, cross-checked with
# `openssl verify`, and the certificates of the shared PnC captures parsed and printed.
#
#   make integration-pki     PASS/FAIL lines, "pki: N passed, N failed" (about 14 s of CPU: 5 s make the PKI)
#
# openssl makes the PKI and cross-checks; tshark reads the SECC chain from the TLS handshake
# of a capture; xxd turns its hex into DER.
DEPS_TEST += openssl tshark xxd

INTEGRATION_TESTS += pki
PKI_TEST_BINS := $(BIN)/v2g-pki $(BUILD)/san/bin/v2g-pki $(BUILD)/san/bin/v2g-codec
INTEGRATION_PREREQS += $(PKI_TEST_BINS)

.PHONY: integration-pki
integration-pki: $(PKI_TEST_BINS) | $(DEPS_STAMP_TEST)
	$(Q)tests/integration/pki_test.sh $(BIN)/v2g-pki $(BUILD)/san/bin/v2g-pki $(BUILD)/san/bin/v2g-codec $(SHARED) $(BUILD)/pki
