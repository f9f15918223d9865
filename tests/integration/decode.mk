# v2g-decode (issue 22, items 2 and 5 of the decoder half): a capture (pcap, pcapng, the
# session JSONL, a live interface) decoded layer by layer with our EXI codecs, TLS with a
# key log. Included by the top Makefile with the other integration fragments.
#
#   make build/bin/v2g-decode     the tool (release build; the sanitized twin in build/san/bin)
#   make integration-decode       every raw capture of $(SHARED)/vectors/raw against its session
#                                 JSONL (0 errors, equal counts) and the bad-input cases
#   make bench-decode             messages per second on the largest shared capture

DEPS_LINUX += libpcap-dev libssl-dev wireshark-dev pkg-config
DEPS_TEST  += tshark

V2GD_SRCS := $(sort $(wildcard tools/v2g-decode/*.c)) tools/v2g-replay/v2g_pcap.c tools/v2g-codec/v2gc_xml.c
V2GD_LIBS := -lssl -lcrypto -lpcap -lm
V2G_DECODE     := $(BIN)/v2g-decode
V2G_DECODE_SAN := $(BUILD)/san/bin/v2g-decode

# The sources include the generated codec headers (EXI_STAMP is defined by a later fragment).
$(call rel,$(V2GD_SRCS)) $(call san,$(V2GD_SRCS)): $(BUILD)/exigen.stamp | $(DEPS_STAMP_LINUX)

$(V2G_DECODE): $(call rel,$(V2GD_SRCS)) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(V2GD_LIBS)

$(V2G_DECODE_SAN): $(call san,$(V2GD_SRCS)) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(V2GD_LIBS)

HOST_BINS += $(V2G_DECODE)

# Unit test of the decoder's own parts (TLS records, key log, message summaries).
$(BUILD)/san/tests/test_v2g_decode: $(BUILD)/san/tests/unit/test_v2g_decode.o \
        $(call san,tools/v2g-decode/v2gd_tls.c tools/v2g-decode/v2gd_exi.c) $(CORE_LIB) | $(DEPS_STAMP_TEST)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ -lcmocka -lssl -lcrypto -lm
$(BUILD)/san/tests/unit/test_v2g_decode.o: $(BUILD)/exigen.stamp

INTEGRATION_TESTS += decode
INTEGRATION_PREREQS += $(V2G_DECODE_SAN)
.PHONY: integration-decode
integration-decode: $(V2G_DECODE_SAN)
	$(Q)tests/integration/decode_test.sh $(V2G_DECODE_SAN) $(SHARED) $(BUILD)/decode

BENCHES += bench-decode
.PHONY: bench-decode
bench-decode: $(V2G_DECODE)
	$(Q)tests/integration/decode_bench.sh $(V2G_DECODE) $(SHARED)

-include tools/wireshark/wireshark.mk
