# The non-volatile store: the loop-pass benchmark of the journal on the Linux store
# (tests/bench/bench_store.c, which uses the Linux port itself). Included by the top Makefile.
STORE_BENCH := $(BUILD)/rel/bin/bench_store

$(STORE_BENCH): tests/bench/bench_store.c $(call rel,hal_linux/linux_nvs.c hal_linux/linux_errno.c) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_REL) -Ihal -Iprotocols -Ifirmware -Ihal_linux -o $@ $^ -lpthread

.PHONY: bench-store
bench-store: $(STORE_BENCH)
	$(Q)$<
BENCHES += bench-store
