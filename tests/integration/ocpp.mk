# OCPP 1.6J against a real CSMS (issue 17): the simulator (`sim --ocpp URL`, real time) and a
# scripted CSMS on ocpp-rpc with strict schema validation (tests/ocpp/csms.js, Node). The CSMS
# is a test peer, kept out of the firmware tree; npm ci installs it from the committed lock
# file into $(BUILD)/ocpp-csms (no node_modules in the tree).
#
#   make integration-ocpp     the scenarios (PASS/FAIL lines, FIGURE lines)

# Node: Debian's nodejs; npm comes with it from NodeSource, as a package of its own from
# Debian (which conflicts with NodeSource's nodejs), so it is installed only when missing.
DEPS_TEST += nodejs

OCPP_CSMS_DIR := $(BUILD)/ocpp-csms
$(OCPP_CSMS_DIR)/.installed: tests/ocpp/package.json tests/ocpp/package-lock.json | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)command -v npm >/dev/null || tools/deps npm
	$(Q)cp tests/ocpp/package.json tests/ocpp/package-lock.json $(@D)/
	$(Q)tests/ocpp/install.sh $(@D)
	@touch $@

INTEGRATION_TESTS += ocpp
INTEGRATION_PREREQS += $(BUILD)/san/bin/sim $(OCPP_CSMS_DIR)/.installed

.PHONY: integration-ocpp
integration-ocpp: $(BUILD)/san/bin/sim $(OCPP_CSMS_DIR)/.installed
	$(Q)BUILD=$(BUILD) tests/integration/test_ocpp.sh $(BUILD)/san/bin/sim $(OCPP_CSMS_DIR)
