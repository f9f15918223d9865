# Session forensics (issue 22): the simulator's pcapng of every layer, the Linux board's
# --capture (rotation) and --tls-keylog over a veth pair between network namespaces (no VM)
# decrypted by tshark, tools/v2g-report's plots and pages from the simulator, a recorded
# real session of the shared vectors (read in place), a v2g-decode --json stream and the
# board's log, bad inputs, and the pages screenshotted by headless Chromium.
#
#   make integration-report    PASS/FAIL lines, "N passed, N failed"; pages and screenshots
#                              kept in $(BUILD)/report/
#
# tshark reads the captures (and decrypts TLS), openssl makes the test PKI, chromium takes
# the screenshots, rsvg-convert (librsvg2-bin) makes the PNG of a plot, iputils-ping fills
# the capture past its size limit.
DEPS_TEST += tshark openssl librsvg2-bin iputils-ping

INTEGRATION_TESTS += report
# v2g-decode (the sanitized one): the pages' message tables come from the decoded captures.
REPORT_BINS := $(BUILD)/san/bin/sim $(BUILD)/san/bin/charger $(EVSIM) $(BUILD)/san/bin/v2g-decode
INTEGRATION_PREREQS += $(REPORT_BINS)

.PHONY: integration-report
integration-report: $(REPORT_BINS) | $(DEPS_STAMP_TEST)
	$(Q)V2G_DECODE=$(abspath $(BUILD)/san/bin/v2g-decode) tests/integration/report_test.sh $(BUILD)/san/bin/sim $(BUILD)/san/bin/charger $(EVSIM) $(SHARED) $(BUILD)/report

# The same with the pages screenshotted by headless Chromium (Debian's chromium): outside
# make test, which it would lengthen by a minute of installing on every clean machine.
.PHONY: report-browser
report-browser: $(REPORT_BINS) | $(DEPS_STAMP_TEST)
	$(Q)tools/deps chromium
	$(Q)REPORT_BROWSER=1 V2G_DECODE=$(abspath $(BUILD)/san/bin/v2g-decode) tests/integration/report_test.sh $(BUILD)/san/bin/sim $(BUILD)/san/bin/charger $(EVSIM) $(SHARED) $(BUILD)/report
