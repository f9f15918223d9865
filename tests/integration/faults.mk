# Fault injection (issue 8): every scenario of board/sim/faults.c against the simulator
# board, the safety invariants judged from the simulated physical state in each, and a
# report. Included by the top Makefile. docs/faults.md.
#
#   make faults               all scenarios (release build): $(BUILD)/faults/report.txt and
#                             report.html; last line "N passed, N failed"
#   make integration-faults   the same scenarios with the sanitized simulator (part of
#                             `make test`; the whole set takes a few seconds)
#   make faults-mutation      mutation evidence: each invariant must catch a deliberately
#                             broken firmware built in a throw-away copy (a few minutes)

FAULTS_DIR := $(BUILD)/faults

INTEGRATION_TESTS += faults
INTEGRATION_PREREQS += $(BUILD)/san/bin/sim

.PHONY: faults integration-faults faults-mutation
faults: $(BIN)/sim
	$(Q)tools/faults/run.sh $(BIN)/sim $(FAULTS_DIR)

integration-faults: $(BUILD)/san/bin/sim
	$(Q)tools/faults/run.sh $(BUILD)/san/bin/sim $(BUILD)/test-logs/faults

faults-mutation: $(BIN)/sim
	$(Q)tools/faults/mutate.sh $(BUILD) $(FAULTS_DIR)/mutation
