# X.509 for Plug & Charge (issue 15): the v2g-pki tool, the chain-validation benchmark and
# the Cortex-M4 size of protocols/x509. Included by the top Makefile (BUILD, BIN, rel, san,
# CORE_LIB*, LINUX_PORT_LIB*, LINUX_LIBS, BENCHES, HOST_BINS are defined there).
#
#   make $(BUILD)/bin/v2g-pki   print a chain and check it as the charger does (docs/pnc.md)
#   make bench-x509             us per validation of a 3-certificate contract chain (real ECDSA)
#   make x509-size              flash/RAM of protocols/x509 on the Cortex-M4
#
# The integration group is tests/integration/pki.mk; the test PKI is tools/v2g-pki/make-pki.sh.

V2G_PKI     := $(BIN)/v2g-pki
V2G_PKI_SAN := $(BUILD)/san/bin/v2g-pki
V2G_PKI_SRCS := tools/v2g-pki/v2g_pki_main.c

# The file loader is the charger's own (boardlib/board_pnc.c): one walker of PEM/DER files.
$(call rel,$(V2G_PKI_SRCS)): HOST_CFLAGS_REL += -Iboardlib
$(call san,$(V2G_PKI_SRCS)): HOST_CFLAGS_COMMON += -Iboardlib
$(V2G_PKI): $(call rel,$(V2G_PKI_SRCS)) $(BUILD)/rel/boardlib/board_pnc.o $(LINUX_PORT_LIB_REL) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^ $(LINUX_LIBS)
$(V2G_PKI_SAN): $(call san,$(V2G_PKI_SRCS)) $(BUILD)/san/boardlib/board_pnc.o $(LINUX_PORT_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS)
HOST_BINS += $(V2G_PKI)

# The benchmark validates a chain of the test PKI, made once in $(BUILD)/pki-bench.
X509_BENCH := $(BUILD)/rel/bin/bench_x509
# The bench times the real OpenSSL port: it alone of tests/bench/ sees hal_linux/.
$(BUILD)/rel/tests/bench/bench_x509.o: HOST_CFLAGS_REL += -Ihal_linux
$(X509_BENCH): $(call rel,tests/bench/bench_x509.c) $(LINUX_PORT_LIB_REL) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) -o $@ $^ $(LINUX_LIBS)
.PHONY: bench-x509 x509-size
BENCHES += bench-x509
bench-x509: $(X509_BENCH) | $(DEPS_STAMP_TEST)
	$(Q)test -f $(BUILD)/pki-bench/emaid || tools/v2g-pki/make-pki.sh $(BUILD)/pki-bench >/dev/null
	$(Q)$(X509_BENCH) $(BUILD)/pki-bench

X509_M4_OBJS := $(patsubst %.c,$(BUILD)/mps2-an386/obj/%.o,$(sort $(wildcard protocols/x509/*.c)))
x509-size: $(X509_M4_OBJS)
	$(Q)arm-none-eabi-size $^
	$(Q)arm-none-eabi-size $^ | awk 'NR>1 {t+=$$1; d+=$$2; b+=$$3} END {printf "protocols/x509: %d bytes of flash (text+data), %d bytes of static RAM (data+bss); parsed certificates live in the caller'"'"'s struct\n", t+d, d+b}'
