# ISO 15118-20 DC end to end in the simulator (issue 16): both control modes on 1 and 4
# connectors, the protocol choice, pause and resume, the power following a changed
# station limit, a schedule renegotiation asked by the car (the charger holds its path
# closed at 0 A meanwhile).
INTEGRATION_TESTS += iso20_sim

.PHONY: integration-iso20_sim
integration-iso20_sim: $(BIN)/sim
	$(Q)tests/integration/iso20_sim.sh $(BIN)/sim $(BUILD)/iso20_sim
