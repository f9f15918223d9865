# End to end on real transports (issue 7): the Linux board `charger --sim-plant` with
# InfyPower modules (infysim on vcan), the EM580 meter (metersim on a socat pty), the
# isolation monitor (imdsim over TCP) and the car (tools/evsim) in another network
# namespace over a veth pair, all inside ONE tools/vcan-run call: two DIN cars, then ISO 15118-2
# over TCP (renegotiation), TLS 1.2 and pause/resume (issue 14). The DIN cars' charger is an
# OCPP 1.6J charge point of a small CSMS (tests/integration/e2e_csms.py) in the same VM.
#
#   make integration-e2e        the test (PASS/FAIL lines, "N passed, N failed", a FIGURE line)
#   $(BUILD)/bin/evsim          the car as its own process (also in `make`)

# The ISO-2 part captures the car's side with dumpcap and reads it with tshark (the tshark
# package brings dumpcap), and makes its test PKI with the openssl CLI.
DEPS_TEST += tshark openssl

EVSIM := $(BIN)/evsim
E2E_PORT_OBJS := $(call rel,$(addprefix hal_linux/,linux_pcap.c linux_net.c linux_loop.c \
                 linux_log.c linux_rng.c linux_errno.c linux_tls.c linux_crypto.c))
# --contract-chain/--contract-key (Plug & Charge): the host boards' certificate loader.
E2E_PORT_OBJS += $(call rel,boardlib/board_pnc.c)
# --oem-chain/--cert-update (certificate installation): the car's side of the key transport.
E2E_PORT_OBJS += $(call rel,boardlib/board_certprov.c)
$(call rel,tools/evsim/main.c): HOST_CFLAGS_REL += -Iboardlib

$(EVSIM): $(call rel,tools/evsim/main.c) $(E2E_PORT_OBJS) $(CORE_LIB_REL) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ -lpcap -lssl -lcrypto -lpthread

$(call rel,tools/evsim/main.c): | $(DEPS_STAMP_LINUX)

HOST_BINS += $(EVSIM)
INTEGRATION_TESTS += e2e
E2E_BINS := $(BIN)/charger $(EVSIM) $(INFYSIM) $(METERSIM) $(METER_CTL) $(IMDSIM) $(BIN)/v2g-decode
INTEGRATION_PREREQS += $(E2E_BINS)

.PHONY: integration-e2e
integration-e2e: $(E2E_BINS)
	$(Q)BUILD=$(BUILD) tests/integration/e2e_test.sh $(BUILD)
