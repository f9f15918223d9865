# Our DIN 70121 car against real chargers (issue 23, item 1): v2g-replay --ev over every
# capture of $(SHARED)/vectors/sessions whose charger is a real product (Alpitronic, ABB,
# Compleo) and the open-stack DIN charger (Josev). Read in place.
INTEGRATION_TESTS += ev_replay
INTEGRATION_PREREQS += $(BUILD)/san/bin/v2g-replay

.PHONY: integration-ev_replay
integration-ev_replay: $(BUILD)/san/bin/v2g-replay
	$(Q)tests/integration/ev_replay.sh $(BUILD)/san/bin/v2g-replay $(SHARED) $(BUILD)/ev_replay
