# The device tools' command lines (issue 12, item 21): metersim, meter-ctl, imdsim,
# imd-ctl, infysim, psu-ctl (and huaweisim, issue 21) as a new user meets them, release builds in $(BIN) and their
# sanitized twins. Included by the top Makefile after meter.mk, imd.mk and infy.mk.
#
#   make integration-tools_cli   the test (PASS/FAIL lines, "N passed, N failed")

TOOLS_CLI_BINS := $(METERSIM) $(METER_CTL) $(IMDSIM) $(IMD_CTL) $(INFYSIM) $(PSU_CTL) $(HUAWEISIM) \
                  $(METERSIM_SAN) $(METER_CTL_SAN) $(IMDSIM_SAN) $(IMD_CTL_SAN) $(INFYSIM_SAN) $(PSU_CTL_SAN) \
                  $(HUAWEISIM_SAN)
INTEGRATION_TESTS += tools_cli
INTEGRATION_PREREQS += $(TOOLS_CLI_BINS)

.PHONY: integration-tools_cli
integration-tools_cli: $(TOOLS_CLI_BINS)
	$(Q)tests/integration/tools_cli_test.sh $(BIN) $(BUILD)/san/bin

# `make help` lists every public target (issue 12, item 23).
INTEGRATION_TESTS += make_help
.PHONY: integration-make_help
integration-make_help:
	$(Q)tests/integration/make_help_test.sh "$(MAKE)"
