# DIN 70121 EVSE machine against every recorded real car (issue 7): v2g-replay over the
# DIN sessions of $(SHARED)/vectors/sessions/ whose car side is a real car (Hyundai
# Ioniq x3 incl. the 10-minute session, Tesla Model Y, Polestar 2). Read in place.
INTEGRATION_TESTS += din_replay
INTEGRATION_PREREQS += $(BUILD)/san/bin/v2g-replay

.PHONY: integration-din_replay
integration-din_replay: $(BUILD)/san/bin/v2g-replay
	$(Q)tests/integration/din_replay.sh $(BUILD)/san/bin/v2g-replay $(SHARED) $(BUILD)/din_replay
