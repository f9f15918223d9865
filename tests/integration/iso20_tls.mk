# ISO 15118-20 over veth with TLS 1.3 and mutual TLS, on the host (issue 16, "Done when"
# bullet 1; root, no VM, no CAN): `charger --sim-plant` on one huaweisim in namespace A,
# evsim in namespace B; a scheduled session that pauses and resumes, a dynamic one with a
# schedule renegotiation, two cars refused (no vehicle certificate, an unknown root); the
# charger's capture read by tshark, decrypted with the car's key log (docs/iso15118-20.md).
# And ISO 15118-2 Plug & Charge over TLS 1.2 on the same pair (issue 15): a second charger with
# the make-pki.sh PKI, pnc.mo_roots and a stapled OCSP response, evsim paying with the contract.
INTEGRATION_TESTS += iso20_tls
DEPS_TEST += tshark openssl iproute2

.PHONY: integration-iso20_tls
# (literal paths: huawei.mk and wireshark.mk may be read after this fragment)
integration-iso20_tls: $(BIN)/charger $(BIN)/evsim $(BUILD)/bin/huaweisim
	$(Q)tests/integration/iso20_tls_test.sh $(BIN) $(BUILD)/wireshark/v2gtp.so
