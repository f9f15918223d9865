# ISO 15118-2 CertificateInstallation / CertificateUpdate (issue 15, docs/pnc.md
# "Installation and update"). Included by the top Makefile (BUILD, CORE_LIB, LINUX_PORT_LIB,
# DEPS_STAMP_*, UNIT_BINS are defined there).
#
# The SECC's unit test makes its PKI with the OpenSSL API and verifies through the Linux
# crypto port (and tests the local CA provider of boardlib/), so like test_iso2_evse_pnc it lives in tests/host/ and is added to `make unit`.
CERT_UNIT := $(BUILD)/san/tests/test_iso2_evse_cert
$(BUILD)/san/tests/host/test_iso2_evse_cert.o: HOST_CFLAGS_COMMON += -Ihal_linux -Iboardlib
$(BUILD)/san/tests/host/test_iso2_evse_cert.o: $(BUILD)/exigen.stamp | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
$(CERT_UNIT): $(BUILD)/san/tests/host/test_iso2_evse_cert.o $(BUILD)/san/tests/host/tp_pki.o $(BUILD)/san/boardlib/board_certprov.o \
              $(BUILD)/san/boardlib/board_pnc.o $(CORE_LIB) $(LINUX_PORT_LIB) | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka -lcrypto -lpthread
UNIT_BINS += $(CERT_UNIT)
unit: $(CERT_UNIT)
