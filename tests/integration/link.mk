# Link to the car (issue 6): SLAC, SDP, V2GTP over the libpcap and socket ports.
# Included by the top Makefile. Builds the two link tools and registers the veth
# integration test (`make integration-link`, needs root for network namespaces).

LINUX_LIBS += -lpcap -lssl -lcrypto
DEPS_LINUX += libpcap-dev libssl-dev
DEPS_TEST  += tshark iproute2 openssl

# Only the port objects the tools use, so another part's port library is not needed here.
LINK_PORT_OBJS := $(call rel,$(addprefix hal_linux/,linux_pcap.c linux_net.c linux_loop.c \
                  linux_log.c linux_rng.c linux_errno.c linux_tls.c))
LINK_LIBS := -lpcap -lssl -lcrypto

LINK_EVSIM := $(BIN)/evsim-link
LINK_EVSE  := $(BIN)/evse-link

$(LINK_EVSIM): $(call rel,tools/evsim-link/main.c) $(LINK_PORT_OBJS) $(CORE_LIB_REL) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINK_LIBS)

$(LINK_EVSE): $(call rel,tools/evse-link/main.c) $(LINK_PORT_OBJS) $(CORE_LIB_REL) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINK_LIBS)

# Host-side replay of the recorded sessions through the codec and the EVSE machine.
LINK_VECTORS := $(BUILD)/san/bin/link_vectors
$(LINK_VECTORS): $(call san,tests/integration/link_vectors.c) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^

$(call rel,tools/evsim-link/main.c tools/evse-link/main.c): | $(DEPS_STAMP_LINUX)

HOST_BINS += $(LINK_EVSIM) $(LINK_EVSE)
INTEGRATION_TESTS += link link_vectors
INTEGRATION_PREREQS += $(LINK_EVSIM) $(LINK_EVSE) $(LINK_VECTORS)

.PHONY: integration-link integration-link_vectors
integration-link: $(LINK_EVSIM) $(LINK_EVSE)
	$(Q)BUILD=$(BUILD) tests/integration/link_test.sh $(LINK_EVSE) $(LINK_EVSIM)
integration-link_vectors: $(LINK_VECTORS)
	$(Q)$(LINK_VECTORS) $(SHARED)/vectors/sessions

# ---------------------------------------------------------------- fuzz
# fuzz_homeplug, fuzz_v2gtp and fuzz_sdp are built and run by tests/fuzz/fuzz.mk.

# ---------------------------------------------------------------- bench
LINK_BENCH := $(BUILD)/rel/bin/bench_link
$(LINK_BENCH): $(call rel,tests/bench/bench_link.c tests/fakes/fake_eth.c tests/fakes/fake_net.c \
               tests/fakes/fake_rng.c) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^
.PHONY: bench-link
bench-link: $(LINK_BENCH)
	$(Q)$(LINK_BENCH)
BENCHES += bench-link
