# A board is one folder (issue 13): board/template builds, and a copy of it builds as a new
# board with nothing outside its folder touched (tests/integration/board_template_test.sh).
INTEGRATION_TESTS += board_template
INTEGRATION_PREREQS += $(CORE_LIB_REL)

.PHONY: integration-board_template
integration-board_template: $(CORE_LIB_REL)
	$(Q)BUILD=$(BUILD) MAKE="$(MAKE) --no-print-directory BUILD=$(BUILD) SHARED=$(SHARED)" \
	    tests/integration/board_template_test.sh
