# ISO 15118-20 DC end to end in the simulator (issue 16): both control modes on 1 and 4
# connectors, the protocol choice, pause and resume, the power following a changed
# station limit, a schedule renegotiation asked by the car (the charger holds its path
# closed at 0 A meanwhile); the captures of two sessions read by v2g-decode and, when the
# Wireshark plugin is built (make wireshark-plugin), by tshark (no new simulator run).
INTEGRATION_TESTS += iso20_sim

.PHONY: integration-iso20_sim
# (literal paths: decode.mk and wireshark.mk are read after this fragment)
integration-iso20_sim: $(BIN)/sim $(BIN)/v2g-decode
	$(Q)tests/integration/iso20_sim.sh $(BIN)/sim $(BUILD)/iso20_sim $(BIN)/v2g-decode $(BUILD)/wireshark/v2gtp.so
