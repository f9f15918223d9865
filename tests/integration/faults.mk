# Fault injection (issue 8): every scenario of board/sim/faults.c against the simulator
# board, and the scenarios of tools/faults/real.sh on real transports (the Linux board on
# vcan, veth and a pty, in one tools/vcan-run VM); the safety invariants judged from the
# plant's physical state in each, and one report. Included by the top Makefile.
# docs/faults.md.
#
#   make faults               all scenarios, simulator and real transports (release
#                             builds): $(BUILD)/faults/report.txt and report.html; last line
#                             "N passed, N failed" (several minutes: the VM runs in TCG)
#   make integration-faults   the simulator's scenarios with the sanitized simulator (part
#                             of `make test`; the whole set takes a few seconds)
#   make integration-faults-real  every real-transport scenario in one VM boot (part of
#                             `make test`); FAULTS_REAL_TEST="NAME..." for some of them;
#                             the plant is cbsomsim outside the charger, or with
#                             FAULTS_REAL_PLANT=sim `charger --sim-plant`
#   make faults-mutation      mutation evidence: each invariant must catch a deliberately
#                             broken firmware built in a throw-away copy (a few minutes)

FAULTS_DIR := $(BUILD)/faults

# The real-transport scenarios `make test` runs: empty = all seven of tools/faults/real.sh
# (issue 12 item 15), in the one VM boot that real.sh makes for any list.
FAULTS_REAL_TEST ?=
# (literal paths: the fragments defining their variables are read after this one)
# cbsomsim: the Charge SOM plant, the default (real.sh checks every binary)
FAULTS_REAL_BINS := $(addprefix $(BIN)/,charger evsim infysim metersim meter-ctl imdsim fault-judge cbsomsim)

INTEGRATION_TESTS += faults faults-real
INTEGRATION_PREREQS += $(BUILD)/san/bin/sim $(FAULTS_REAL_BINS)

# Over-voltage detection time per voltage source (issue 12), from the scenarios' reports.
FAULTS_OV_FIGURES := awk '/^scenario /{n=$$2} /FIGURE over-voltage/{sub(/.*FIGURE /,""); print "FIGURE " n " " $$0}'

.PHONY: faults integration-faults integration-faults-real faults-mutation
faults: $(BIN)/sim $(FAULTS_REAL_BINS)
	$(Q)mkdir -p $(FAULTS_DIR) && rm -f $(FAULTS_DIR)/list.sim $(FAULTS_DIR)/list.real
	$(Q)tools/faults/run.sh $(BIN)/sim $(FAULTS_DIR) > $(FAULTS_DIR)/sim-run.log 2>&1 || true
	$(Q)tools/faults/real.sh $(BUILD) $(FAULTS_DIR) > $(FAULTS_DIR)/real-run.log 2>&1 || true
	$(Q)grep '^FIGURE' $(FAULTS_DIR)/real-run.log || true
	$(Q)tools/faults/report.sh $(FAULTS_DIR)
	$(Q)$(FAULTS_OV_FIGURES) $(FAULTS_DIR)/report.txt || true

integration-faults: $(BUILD)/san/bin/sim
	$(Q)mkdir -p $(BUILD)/test-logs/faults && rm -f $(BUILD)/test-logs/faults/list.*
	$(Q)tools/faults/run.sh $(BUILD)/san/bin/sim $(BUILD)/test-logs/faults > $(BUILD)/test-logs/faults.run.log 2>&1 || true
	$(Q)tools/faults/report.sh $(BUILD)/test-logs/faults
	$(Q)$(FAULTS_OV_FIGURES) $(BUILD)/test-logs/faults/report.txt || true

integration-faults-real: $(FAULTS_REAL_BINS)
	$(Q)tools/faults/real.sh $(BUILD) $(BUILD)/test-logs/faults-real $(FAULTS_REAL_TEST)

faults-mutation: $(BIN)/sim
	$(Q)tools/faults/mutate.sh $(BUILD) $(FAULTS_DIR)/mutation

# The judge of the scenarios on real transports: the simulator's rules (sim/faults_check.c)
# applied to the trace of `charger --sim-plant --sim-trace`.
FAULT_JUDGE := $(BIN)/fault-judge
$(FAULT_JUDGE): $(call rel,tools/faults/judge.c) $(SIM_LIB_REL) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^
HOST_BINS += $(FAULT_JUDGE)
