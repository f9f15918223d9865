# OCPP 1.6J against a real CSMS (issue 17): the simulator (`sim --ocpp URL`, real time) and a
# scripted CSMS on ocpp-rpc with strict schema validation (tests/ocpp/csms.js, Node). The CSMS
# is a test peer, kept out of the firmware tree; tests/ocpp/install.py installs its eleven
# packages from the committed lock file into $(BUILD)/ocpp-csms, each tarball checked against
# its sha512 (no npm, no node_modules in the tree).
#
#   make integration-ocpp   the scenarios (PASS/FAIL lines, FIGURE lines); make ocpp-test too

# Node only, from Debian's nodejs (ocpp-rpc wants Node >= 17.3; bookworm has 18). Debian's
# npm package is not needed: it would pull about 370 packages onto a clean machine.
DEPS_TEST += nodejs

OCPP_CSMS_DIR := $(BUILD)/ocpp-csms
$(OCPP_CSMS_DIR)/.installed: tests/ocpp/package-lock.json tests/ocpp/install.py | $(DEPS_STAMP_TEST)
	@rm -rf $(@D)
	@mkdir -p $(@D)
	$(Q)python3 tests/ocpp/install.py tests/ocpp/package-lock.json $(@D)
	@touch $@

INTEGRATION_TESTS += ocpp
INTEGRATION_PREREQS += $(BUILD)/san/bin/sim $(BUILD)/san/bin/charger $(OCPP_CSMS_DIR)/.installed

.PHONY: integration-ocpp ocpp-test
integration-ocpp: $(BUILD)/san/bin/sim $(BUILD)/san/bin/charger $(OCPP_CSMS_DIR)/.installed
	$(Q)BUILD=$(BUILD) tests/integration/test_ocpp.sh $(BUILD)/san/bin/sim $(OCPP_CSMS_DIR) $(BUILD)/san/bin/charger
ocpp-test: integration-ocpp
