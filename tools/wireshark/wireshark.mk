# Wireshark plugin (issue 22, item 5): V2GTP and EXI with the project's codecs, for the
# Wireshark of Debian 12 (4.0, package wireshark-dev). Read by tests/integration/decode.mk;
# the install target includes it too (the guard keeps one definition).
#
#   make wireshark-plugin     $(WS_PLUGIN): v2gtp.so (codec objects built -fPIC here)
#   make install-wireshark    into $(DESTDIR)$(WS_PLUGIN_DIR) (Wireshark's global epan
#                             plugin folder; `make install` runs it)
#   make integration-wireshark  tshark -r on a DIN, an ISO-2 and an ISO-20 shared capture

ifndef WIRESHARK_MK
WIRESHARK_MK := 1

DEPS_LINUX += wireshark-dev pkg-config
DEPS_TEST  += tshark

# pkg-config runs in the recipes: on a clean machine wireshark-dev is installed by the
# DEPS_LINUX stamp only after make has read this file.
# Wireshark's own folder for plugins of its version ("/usr/lib/.../plugins/4.0") + epan.
WS_PLUGIN_DIR ?= $(or $(shell pkg-config --variable=plugindir wireshark 2>/dev/null),/usr/lib/x86_64-linux-gnu/wireshark/plugins/4.0)/epan
WS_PLUGIN     := $(BUILD)/wireshark/v2gtp.so

# The codec and what the plugin calls of the tools, as position-independent objects.
WS_CODEC_SRCS := $(sort $(wildcard protocols/exi/*.c)) tools/v2g-codec/v2gc_xml.c tools/v2g-decode/v2gd_exi.c
WS_PIC_OBJS   := $(patsubst %.c,$(BUILD)/pic/%.o,$(WS_CODEC_SRCS))
WS_PIC_CFLAGS := $(CORE_WARN) -D_DEFAULT_SOURCE -O2 -g -fPIC -fvisibility=hidden -MMD -MP

$(BUILD)/pic/%.o: %.c $(BUILD)/exigen.stamp | $(DEPS_STAMP_BUILD)
	@mkdir -p $(@D)
	@echo "  CC pic  $<"
	$(Q)$(HOST_CC) $(WS_PIC_CFLAGS) $(call layer_inc,$<) -c $< -o $@

# Wireshark's headers are not written for -Wconversion/-Wshadow: the plugin file gets the
# usual warnings as errors without those two.
$(BUILD)/pic/tools/wireshark/packet-v2gtp.o: tools/wireshark/packet-v2gtp.c $(BUILD)/exigen.stamp | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  CC pic  $<"
	$(Q)$(HOST_CC) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -O2 -g -fPIC -MMD -MP \
	    $(INC_tools) $$(pkg-config --cflags wireshark) -c $< -o $@

$(WS_PLUGIN): $(BUILD)/pic/tools/wireshark/packet-v2gtp.o $(WS_PIC_OBJS) | $(DEPS_STAMP_LINUX)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -shared -o $@ $^ $$(pkg-config --libs wireshark) -lm

.PHONY: wireshark-plugin install-wireshark integration-wireshark
wireshark-plugin: $(WS_PLUGIN)

install-wireshark: $(WS_PLUGIN)
	install -D -m 0644 $(WS_PLUGIN) $(DESTDIR)$(WS_PLUGIN_DIR)/v2gtp.so

INTEGRATION_TESTS += wireshark
INTEGRATION_PREREQS += $(WS_PLUGIN)
integration-wireshark: $(WS_PLUGIN)
	$(Q)tests/integration/wireshark_test.sh $(WS_PLUGIN) $(SHARED) $(BUILD)/wireshark-test

endif
