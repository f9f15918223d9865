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
# One libFuzzer binary per parser (clang), linked with the link's protocol sources only;
# `make fuzz` builds and runs each for LINK_FUZZ_SECONDS (bounded), seeded with a few
# valid inputs so the run starts from real messages.
LINK_FUZZ_SECONDS ?= 20
LINK_FUZZ_SRCS := $(sort $(wildcard protocols/homeplug/*.c protocols/slac/*.c protocols/sdp/*.c \
                  protocols/v2gtp/*.c protocols/sha256/*.c)) hal/hal_err.c
LINK_FUZZERS := $(addprefix $(BUILD)/fuzz/,fuzz_homeplug fuzz_v2gtp fuzz_sdp)
$(LINK_FUZZERS): $(BUILD)/fuzz/%: tests/fuzz/%.c $(LINK_FUZZ_SRCS) | $(DEPS_STAMP_FUZZ)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -Ihal -Iprotocols -o $@ $^

.PHONY: fuzz-link
fuzz-link: $(LINK_FUZZERS)
	$(Q)d=$(BUILD)/fuzz; mkdir -p $$d/corpus_fuzz_homeplug $$d/corpus_fuzz_v2gtp $$d/corpus_fuzz_sdp; \
	printf '\074\001\377\377\377\377\377\377\002\000\000\000\000\002\210\341\001\144\140\000\000\000\000\124\105\123\114\101\040\105\126' \
	    >$$d/corpus_fuzz_homeplug/parm_req; \
	printf '\205\001\376\200\001\000\000\000\003abc\001\376\200\002\000\000\000\001x' >$$d/corpus_fuzz_v2gtp/two; \
	printf '\003\076\073\001\001\376\220\000\000\000\000\002\020\000' >$$d/corpus_fuzz_sdp/req; \
	printf '\001\376\220\001\000\000\000\024\376\200\000\000\000\000\000\000\306\220\203\363\373\313\230\016\073\016\020\000' \
	    >$$d/corpus_fuzz_sdp/res; \
	for f in $(notdir $(LINK_FUZZERS)); do \
		echo "$$f: $(LINK_FUZZ_SECONDS) s"; \
		if ! $$d/$$f -max_total_time=$(LINK_FUZZ_SECONDS) -rss_limit_mb=512 $$d/corpus_$$f \
			>$$d/$$f.log 2>&1; then tail -40 $$d/$$f.log; exit 1; fi; \
		grep -E "^Done" $$d/$$f.log; \
	done
FUZZERS += fuzz-link

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
