# SPDX-License-Identifier: GPL-2.0
#
# jet: `make` builds kmod/jet.ko, libjet and its tools (needing only kernel
# headers, libarchive, jansson and libcrypto); `make check` installs what is
# missing, builds the selftests too, and runs them in a VM (see README.md);
# `make bench` runs the benchmarks in the same VM.

# The kernel to build for: the running one's headers, else the newest
# Debian cloud kernel headers installed. KDIR=... overrides.
KDIR ?= $(shell $(CURDIR)/selftests/vm/kdir.sh)

all: module libjet tools

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { \
		echo "no kernel headers (KDIR='$(KDIR)');" \
		     "apt-get install linux-headers-cloud-amd64 or run make check"; \
		exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

libjet:
	$(MAKE) -C libjet

tools: libjet
	$(MAKE) -C libjet/tools

# only for make check (and lint): they need the kselftest harness
selftests: libjet
	$(MAKE) -C selftests

check:
	+@selftests/vm/check.sh check

demo:
	+@selftests/vm/demo.sh

bench:
	+@selftests/vm/check.sh bench; s=$$?; selftests/bench/report.sh || s=1; exit $$s

# The kernel's own gates on the module: sparse on every file, W=1 warnings.
sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 W=1 modules

# `make install`: the module (for KDIR's kernel), libjet, its headers and
# pkg-config file, jetctl (linked with the shared libjet) and its bash
# completion, jetdemo-server, the man pages (one per libjet function), the
# udev rule and modules-load.d/jet.conf.
# DESTDIR stages it (no depmod, no ldconfig then); PREFIX (/usr/local) is
# passed on to libjet's and the tools' own install.
PREFIX ?= /usr/local
UDEVRULESDIR ?= /lib/udev/rules.d
MODULESLOADDIR ?= /usr/lib/modules-load.d
KRELEASE = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODULEDIR = /lib/modules/$(KRELEASE)/extra
JET_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' \
	$(CURDIR)/kmod/dkms.conf)
DKMS_SRC = /usr/src/jet-$(JET_VERSION)

install: module libjet tools
	@test -n "$(KRELEASE)" || { echo "no kernel release in KDIR='$(KDIR)'"; exit 1; }
	$(MAKE) -C libjet install PREFIX=$(PREFIX)
	$(MAKE) -C libjet/tools install PREFIX=$(PREFIX)
	install -D -m 644 kmod/jet.ko $(DESTDIR)$(MODULEDIR)/jet.ko
	install -D -m 644 kmod/60-jet.rules $(DESTDIR)$(UDEVRULESDIR)/60-jet.rules
	install -D -m 644 kmod/jet-modules-load.conf \
		$(DESTDIR)$(MODULESLOADDIR)/jet.conf
	$(if $(DESTDIR),,depmod -a $(KRELEASE))

uninstall:
	$(MAKE) -C libjet uninstall PREFIX=$(PREFIX)
	$(MAKE) -C libjet/tools uninstall PREFIX=$(PREFIX)
	rm -f $(DESTDIR)$(MODULEDIR)/jet.ko $(DESTDIR)$(UDEVRULESDIR)/60-jet.rules \
		$(DESTDIR)$(MODULESLOADDIR)/jet.conf
	$(if $(DESTDIR),,depmod -a $(KRELEASE))

# The module's source for DKMS, which rebuilds it for each new kernel.
dkms-install:
	install -d $(DESTDIR)$(DKMS_SRC)/kmod $(DESTDIR)$(DKMS_SRC)/uapi
	install -m 644 kmod/dkms.conf Kbuild $(DESTDIR)$(DKMS_SRC)/
	install -m 644 kmod/Kbuild kmod/jet.h \
		$(filter-out %.mod.c,$(wildcard kmod/*.c)) $(DESTDIR)$(DKMS_SRC)/kmod/
	install -m 644 uapi/jet_ioctl.h $(DESTDIR)$(DKMS_SRC)/uapi/
	install -D -m 644 kmod/jet-modules-load.conf \
		$(DESTDIR)$(MODULESLOADDIR)/jet.conf
	@if [ -n "$(DESTDIR)" ] || ! command -v dkms >/dev/null; then \
		echo "sources in $(DESTDIR)$(DKMS_SRC); dkms add, build and install not run"; \
	else \
		set -ex; \
		dkms status -m jet -v $(JET_VERSION) | grep -q . || \
			dkms add -m jet -v $(JET_VERSION); \
		dkms build -m jet -v $(JET_VERSION); \
		dkms install -m jet -v $(JET_VERSION); \
	fi

dkms-uninstall:
	-command -v dkms >/dev/null && [ -z "$(DESTDIR)" ] && \
		dkms remove -m jet -v $(JET_VERSION) --all
	rm -rf $(DESTDIR)$(DKMS_SRC)
	rm -f $(DESTDIR)$(MODULESLOADDIR)/jet.conf

# The selftests on the debug kernel: KASAN, lockdep, kmemleak, UBSAN, fault
# injection (built once, cached in /var/cache/jet-debug-kernel), then the
# coverage of kmod/ (gcov; build/coverage/).
check-debug:
	+@selftests/debug/check-debug.sh kasan

# The same on the KCSAN kernel (data races; cached beside the KASAN one).
check-kcsan:
	+@selftests/debug/check-debug.sh kcsan

# make check on Debian's 6.1, 6.12 and 6.12-rt kernels, jet.ko W=1 clean
# (MATRIX="6.12-rt" for a subset).
check-matrix:
	+@selftests/debug/check-matrix.sh

# checkpatch --strict, sparse C=2 W=1, -Werror builds, ASan+UBSan host tests.
lint:
	+@selftests/debug/lint.sh

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C libjet clean
	-$(MAKE) -C libjet/tools clean
	rm -rf build

.PHONY: all module libjet tools selftests check check-debug check-kcsan check-matrix lint demo bench sparse clean install \
	uninstall dkms-install dkms-uninstall
