# ISO 15118-2 car side against recorded chargers (issue 14, item 5, EV half): v2g-replay
# --ev over the ISO-2 DC EIM captures of $(SHARED)/vectors/sessions/, and the -20 car over
# the -20 DC capture (issue 16, item 5). Read in place.
INTEGRATION_TESTS += iso2_ev_replay
INTEGRATION_PREREQS += $(BUILD)/san/bin/v2g-replay

.PHONY: integration-iso2_ev_replay
integration-iso2_ev_replay: $(BUILD)/san/bin/v2g-replay
	$(Q)tests/integration/iso2_ev_replay.sh $(BUILD)/san/bin/v2g-replay $(SHARED) $(BUILD)/iso2_ev_replay

# ISO-2 end to end in the simulator (issue 14): every ISO-2 profile on 1 and 4 connectors,
# the protocol choice, pause and resume, charger-initiated renegotiation, the pcap replayed.
INTEGRATION_TESTS += iso2_ev_sim
INTEGRATION_PREREQS += $(BIN)/sim $(BIN)/v2g-replay

.PHONY: integration-iso2_ev_sim
integration-iso2_ev_sim: $(BIN)/sim $(BIN)/v2g-replay
	$(Q)tests/integration/iso2_ev_sim.sh $(BIN)/sim $(BIN)/v2g-replay $(BUILD)/iso2_ev_sim
