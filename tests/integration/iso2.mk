# ISO 15118-2 DC EIM SECC machine against every ISO-2 DC capture of the shared vectors
# (issue 14): v2g-replay follows the negotiated protocol; each file must be replayed and
# accepted request for request. Read in place.
INTEGRATION_TESTS += iso2_replay
INTEGRATION_PREREQS += $(BUILD)/san/bin/v2g-replay

.PHONY: integration-iso2_replay
integration-iso2_replay: $(BUILD)/san/bin/v2g-replay
	$(Q)tests/integration/iso2_replay.sh $(BUILD)/san/bin/v2g-replay $(SHARED) $(BUILD)/iso2_replay
