# ISO 15118-20 DC end to end in the simulator (issue 16): both control modes on 1 and 4
# connectors, the protocol choice, pause and resume, the power following a changed
# station limit. It needs the charger's -20 backend (issue 16 item 1): until that is
# merged it fails in supportedAppProtocol, so it is NOT in INTEGRATION_TESTS yet. Once the
# charger speaks -20, enable it with this line:
#   INTEGRATION_TESTS += iso20_sim

.PHONY: integration-iso20_sim
integration-iso20_sim: $(BIN)/sim
	$(Q)tests/integration/iso20_sim.sh $(BIN)/sim $(BUILD)/iso20_sim
