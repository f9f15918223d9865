# Deployment on ARM Linux charger boards (issue 19, docs/deployment.md): the arm64 cross
# build (charger, simulator, unit tests) run under qemu-user, `make install` with the
# sample configuration checked, the arm64 .deb, the systemd notify/watchdog protocol on a
# real notify socket, `systemd-analyze verify` of the units, a signed RAUC bundle.
# The cross build is made inside the group (its own build folder, $(BUILD)/cross-arm64; only
# the test variant: the core is compiled once for the target, not twice);
# armhf and armel are built by `make cross-all`, the fresh-root install by `make deb-test`.
INTEGRATION_TESTS += deploy
DEPS_TEST += qemu-user rauc squashfs-tools e2fsprogs systemd dpkg-dev fakeroot file \
             gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu

DEPLOY_CROSS := aarch64-linux-gnu
DEPLOY_BUILD := $(BUILD)/cross-arm64

.PHONY: integration-deploy cross-all deploy-deps
# The cross build's packages (the arm64 -dev libraries and their multiarch twins) are
# installed before `make test` starts any group (TEST_DEPS, in the Makefile), never by this
# group in the middle of the run: that apt run replaced host libraries under the groups
# already running. In the fresh roots it upgraded libzstd1:amd64 (an arm64 library must have
# its amd64 twin's exact version) while e2e's VM, which reads the host root through a 9p
# cache, was capturing: tshark, which links libzstd, then died of SIGSEGV there.
DEPLOY_DEPS := $(addprefix $(DEPLOY_BUILD)/.deps-,BUILD LINUX TEST)
deploy-deps:
	$(Q)$(MAKE) --no-print-directory CROSS=$(DEPLOY_CROSS) BUILD=$(DEPLOY_BUILD) $(DEPLOY_DEPS)
TEST_DEPS += deploy-deps

# The host's release charger and tools for `make install` and `make deb`; the sanitized
# charger for the notify test; the sanitized simulator to compare the cross-built one with.
DEPLOY_HOST := $(BUILD)/san/bin/charger $(BUILD)/san/bin/sim $(BIN)/charger $(METER_CTL) $(IMD_CTL) $(PSU_CTL)
INTEGRATION_PREREQS += $(DEPLOY_HOST)
integration-deploy: $(DEPLOY_HOST) | $(DEPS_STAMP_TEST)
	$(Q)MAKE="$(MAKE) --no-print-directory" BUILD=$(BUILD) tests/deploy/deploy_test.sh $(DEPLOY_CROSS) $(DEPLOY_BUILD) \
	    $(BUILD)/san/bin/charger $(BUILD)/deploy

# Every cross architecture: the charger, the bring-up tools and the .deb, each in its own
# folder, then `file` and the stripped sizes; FIGURE lines give the times. The simulator
# too, on every architecture (a 32-bit time_t included).
CROSS_ALL := aarch64-linux-gnu arm-linux-gnueabihf arm-linux-gnueabi
CROSS_ALL_SIM := arm64 armhf armel
# cross_one TRIPLET ARCH: one architecture's build, timed, and its figures
define cross_one
	$(Q)t0=$$(date +%s); \
	$(MAKE) --no-print-directory CROSS=$(1) BUILD=$(BUILD)/cross-$(2) \
	    $(addprefix $(BUILD)/cross-$(2)/bin/,charger meter-ctl imd-ctl psu-ctl $(if $(filter $(2),$(CROSS_ALL_SIM)),sim)) deb && \
	echo "FIGURE cross-all $(2) build: $$(( $$(date +%s) - t0 )) s" && \
	for b in charger $(if $(filter $(2),$(CROSS_ALL_SIM)),sim); do \
	    f=$(BUILD)/cross-$(2)/bin/$$b; $(1)-strip -o $$f.stripped $$f || exit 1; \
	    echo "FIGURE cross-all $(2) $$b: $$(stat -c %s $$f.stripped) bytes stripped ($$(file -b $$f | cut -d, -f1-2))"; \
	done

endef
cross-all:
	$(foreach c,$(CROSS_ALL),$(call cross_one,$(c),$(CROSS_ARCH_$(c))))
