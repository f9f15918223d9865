# TLS client options for backends (CA file, client certificate, server name) against a
# real `openssl s_server` on loopback (tests/integration/tls_backend_test.{c,sh}).
TLS_BACKEND_TEST := $(BUILD)/san/bin/tls_backend_test

$(BUILD)/tests/integration/tls_backend_test.o: tests/integration/tls_backend_test.c | $(DEPS_STAMP_TEST) $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS_COMMON) -Ihal -Ihal_linux -c $< -o $@

$(TLS_BACKEND_TEST): $(BUILD)/tests/integration/tls_backend_test.o $(LINUX_PORT_OBJS)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS_SAN) -o $@ $^ $(LINUX_LIBS) -lcmocka

-include $(BUILD)/tests/integration/tls_backend_test.d

INTEGRATION_TESTS += tls_backend
INTEGRATION_PREREQS += $(TLS_BACKEND_TEST)

.PHONY: integration-tls_backend
integration-tls_backend: $(TLS_BACKEND_TEST)
	$(Q)tests/integration/tls_backend_test.sh $(TLS_BACKEND_TEST)
