# Our Cortex-M build as the Charge SOM safety co-processor (issue 20, item 3): the
# board-coproc image (board/mps2-an386/coproc.c) on qemu-system-arm with its UARTs on
# pseudo-terminals, the Linux board's charger and board-ctl as its host. No Linux VM; about
# 15 s alone. Prints the image's flash and RAM first.
#
#   make integration-coproc      the group (PASS/FAIL lines, FIGURE lines)
#   make board-coproc            build/mps2-an386/coproc.elf and its flash/RAM use

INTEGRATION_TESTS += coproc
COPROC_BINS := $(BUILD)/mps2-an386/coproc.elf $(BIN)/charger $(BIN)/board-ctl
INTEGRATION_PREREQS += $(COPROC_BINS)

.PHONY: integration-coproc
integration-coproc: $(COPROC_BINS)
	$(Q)SIZE=$(MPS2_SIZE) NM=$(MPS2_NM) board/mps2-an386/mem-report.sh $(BUILD)/mps2-an386/coproc.elf | \
	    sed -n 's/^ *flash: /FIGURE coproc: co-processor image flash: /p'
	$(Q)tests/integration/coproc_test.sh $(BUILD)
