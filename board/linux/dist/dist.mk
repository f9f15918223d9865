# board/linux/dist/dist.mk - installing the Linux board: `make install`, `make deb`, the
# RAUC bundle. Read by board/linux/board.mk. docs/deployment.md.
#
#   make install [DESTDIR=/tmp/root] [PREFIX=/usr/local]   (CROSS=... installs that build;
#                                  a host install adds the forensics tools, install-forensics)
#   make deb                       build/deb/dcfc-charger_VERSION_ARCH.deb (CROSS=...: in its build)
#   make deb-test                  the host .deb into a fresh Debian 12 root (debootstrap)

DIST_DIR     := board/linux/dist
DESTDIR      ?=
PREFIX       ?= /usr/local
SYSCONFDIR   ?= /etc
BINDIR       = $(PREFIX)/bin
LIBEXECDIR   = $(PREFIX)/lib/dcfc
DOCDIR       = $(PREFIX)/share/doc/dcfc-charger
UNITDIR      = $(PREFIX)/lib/systemd/system
DCFC_VERSION := $(shell sed -n 's/^\#define CHARGER_VERSION "\(.*\)"/\1/p' board/linux/cli.h)
# The bring-up tools an integrator uses on the board (the simulators stay on the PC).
DIST_TOOLS   := $(METER_CTL) $(IMD_CTL) $(PSU_CTL)
DIST_DOCS    := README.md docs/deployment.md docs/linux-board.md docs/configuration.md
DEB_ARCH     := $(if $(CROSS),$(CROSS_ARCH),$(shell dpkg --print-architecture 2>/dev/null || echo amd64))
STRIP        := $(if $(CROSS),$(CROSS)-strip,strip)
DEB          := $(BUILD)/deb/dcfc-charger_$(DCFC_VERSION)_$(DEB_ARCH).deb
DEPS_DEB     := dpkg-dev binutils fakeroot
# A sysroot cross build (armel: its libraries are not installed, so dpkg has no symbols
# files for dpkg-shlibdeps) states the dependencies dpkg-shlibdeps finds for the other
# architectures; the package build fails if a binary needs a library not in this list.
# libcurl4 is recommended, not required: the charger loads it only for an MQTT firmware
# download (dlopen, boardlib/board_mqtt.c), and charges without it.
DEB_STATED_DEPENDS := libc6 (>= 2.34), libmodbus5 (>= 3.0.2), libmosquitto1 (>= 1.6.0), libpcap0.8 (>= 1.5.1), libsocketcan2 (>= 0.0.12), libssl3 (>= 3.0.0)
DEB_STATED_SONAMES := libc.so.6 libmosquitto.so.1 libmodbus.so.5 libpcap.so.0.8 libsocketcan.so.2 libssl.so.3 libcrypto.so.3 ld-linux.so.3 libpthread.so.0

.PHONY: install deb deb-test
# A host install also installs the forensics tools (install-forensics, below): the Wireshark
# plugin is built against the host's Wireshark, so neither a cross build nor the package has it.
INSTALL_FORENSICS ?= $(if $(CROSS),,1)
dist_subst = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
                 -e 's|@VERSION@|$(DCFC_VERSION)|g'

# The configuration is a conffile: an existing one is never overwritten (the package
# manager asks; a plain `make install` keeps it and writes charger.conf.sample beside it).
install: $(BIN)/charger $(DIST_TOOLS)
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DOCDIR)/rauc \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/dcfc
	$(Q)install -m 0755 $(BIN)/charger $(DIST_TOOLS) $(DESTDIR)$(BINDIR)/
	$(Q)install -m 0755 $(DIST_DIR)/dcfc-mark-good $(DESTDIR)$(LIBEXECDIR)/
	$(Q)for u in dcfc-charger dcfc-mark-good; do \
	    $(dist_subst) $(DIST_DIR)/$$u.service.in > $(DESTDIR)$(UNITDIR)/$$u.service && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; done
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/dcfc/charger.conf ]; then \
	    install -m 0644 $(DIST_DIR)/charger.conf $(DESTDIR)$(SYSCONFDIR)/dcfc/charger.conf.sample; \
	else install -m 0644 $(DIST_DIR)/charger.conf $(DESTDIR)$(SYSCONFDIR)/dcfc/charger.conf; fi
	$(Q)install -m 0644 $(DIST_DOCS) $(DESTDIR)$(DOCDIR)/
	$(Q)install -m 0644 $(DIST_DIR)/rauc/system.conf $(DESTDIR)$(DOCDIR)/rauc/
	$(Q)$(dist_subst) $(DIST_DIR)/rauc/manifest.raucm.in > $(DESTDIR)$(DOCDIR)/rauc/manifest.raucm
ifneq ($(INSTALL_FORENSICS),)
	$(Q)$(MAKE) --no-print-directory install-forensics DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
endif
	@echo "  INSTALL $(DESTDIR)$(PREFIX) ($(DESTDIR)$(SYSCONFDIR)/dcfc)"

# The session forensics a support engineer runs on the PC (docs/forensics.md, docs/decode.md):
# v2g-decode, v2g-report, and the Wireshark plugin into Wireshark's own plugin folder (it
# reads no other, whatever PREFIX is). INSTALL_FORENSICS (above) is set for a host install only.
.PHONY: install-forensics
install-forensics:
	$(Q)$(MAKE) --no-print-directory $(BIN)/v2g-decode install-wireshark DESTDIR=$(DESTDIR)
	$(Q)install -d $(DESTDIR)$(BINDIR)
	$(Q)install -m 0755 $(BIN)/v2g-decode tools/v2g-report/v2g-report $(DESTDIR)$(BINDIR)/

# The package: `make install` into a staging root with PREFIX=/usr, stripped, the library
# dependencies found by dpkg-shlibdeps (for a cross build from the target architecture's
# multiarch packages, with the cross objdump), maintainer scripts that enable the unit.
deb: $(DEB)
$(DEB): $(BIN)/charger $(DIST_TOOLS) $(wildcard $(DIST_DIR)/* $(DIST_DIR)/rauc/*) $(DIST_DOCS) | $(BUILD)/.deps-DEB
	$(Q)rm -rf $(BUILD)/deb/root $(BUILD)/deb/work && mkdir -p $(BUILD)/deb/work/debian $(BUILD)/deb/root/DEBIAN
	$(Q)$(MAKE) --no-print-directory install DESTDIR=$(abspath $(BUILD)/deb/root) PREFIX=/usr INSTALL_FORENSICS= Q=@ >/dev/null
	$(Q)$(STRIP) --strip-unneeded $(BUILD)/deb/root/usr/bin/*
ifeq ($(CROSS_SYSROOT),)
	$(Q)printf 'Source: dcfc-charger\n\nPackage: dcfc-charger\nArchitecture: any\n' > $(BUILD)/deb/work/debian/control
	$(Q)cd $(BUILD)/deb/work && DEB_HOST_ARCH=$(DEB_ARCH) dpkg-shlibdeps -O $(if $(CROSS),-l/usr/lib/$(CROSS)) \
	    $(addprefix $(abspath $(BUILD)/deb/root)/usr/bin/,charger $(notdir $(DIST_TOOLS))) \
	    2>$(abspath $(BUILD)/deb/shlibdeps.log) | sed -n 's/^shlibs:Depends=//p' > ../shlibs
	$(Q)test -s $(BUILD)/deb/shlibs || { echo "deb: dpkg-shlibdeps found no dependencies:"; cat $(BUILD)/deb/shlibdeps.log; exit 1; }
else
	$(Q)needed=$$($(CROSS)-objdump -p $(BUILD)/deb/root/usr/bin/* | sed -n 's/^ *NEEDED *//p' | sort -u); \
	for n in $$needed; do case " $(DEB_STATED_SONAMES) " in *" $$n "*) ;; \
	    *) echo "deb: $$n is needed but not in the stated Depends (dist.mk DEB_STATED_SONAMES)"; exit 1;; esac; done
	$(Q)echo "$(DEB_STATED_DEPENDS)" > $(BUILD)/deb/shlibs
endif
	$(Q){ echo "Package: dcfc-charger"; echo "Version: $(DCFC_VERSION)"; echo "Architecture: $(DEB_ARCH)"; \
	    echo "Maintainer: dcfc developers <dcfc@example.invalid>"; echo "Section: misc"; echo "Priority: optional"; \
	    echo "Depends: $$(cat $(BUILD)/deb/shlibs), init-system-helpers (>= 1.54~)"; \
	    echo "Recommends: can-utils, libcurl4 (>= 7.16.2)"; \
	    echo "Suggests: rauc"; \
	    echo "Installed-Size: $$(du -sk --exclude=DEBIAN $(BUILD)/deb/root | cut -f1)"; \
	    echo "Description: DC fast-charger controller firmware for Linux charger computers"; \
	    echo " The charger (DIN 70121 / ISO 15118-2 over a HomePlug modem, InfyPower modules on"; \
	    echo " SocketCAN, EM580 meter and isolation monitor on Modbus), its bring-up tools"; \
	    echo " (meter-ctl, imd-ctl, psu-ctl), the systemd service and a sample configuration."; \
	    } > $(BUILD)/deb/root/DEBIAN/control
	$(Q)echo /etc/dcfc/charger.conf > $(BUILD)/deb/root/DEBIAN/conffiles
	$(Q)install -m 0755 $(DIST_DIR)/deb/postinst $(DIST_DIR)/deb/prerm $(DIST_DIR)/deb/postrm $(BUILD)/deb/root/DEBIAN/
	$(Q)fakeroot dpkg-deb --build -Zxz $(BUILD)/deb/root $@ >/dev/null
	@echo "  DEB     $@"
$(BUILD)/.deps-DEB: DEPS_DEB += $(if $(CROSS),binutils-$(CROSS))

# A fresh Debian 12 root (debootstrap --variant=minbase, cached in build/deb-test/base.tar),
# the host package installed into it with apt (its dependencies from the archive), then
# `charger --version`, `charger --check` of the shipped file and the unit's enablement
# looked at inside. Minutes (the download): not part of `make test`.
deb-test: $(DEB) | $(BUILD)/.deps-DEB
	$(Q)tools/deps debootstrap
	$(Q)tests/deploy/deb_fresh_root.sh $(DEB) $(BUILD)/deb-test
