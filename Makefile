# SPDX-License-Identifier: GPL-2.0
#
# jet: `make` builds kmod/jet.ko, libjet and the selftests;
# `make check` installs what is missing, builds, and runs the selftests in a
# VM (see README.md); `make bench` runs the benchmarks in the same VM.

# The kernel to build for: the running one's headers, else the newest
# Debian cloud kernel headers installed. KDIR=... overrides.
KDIR ?= $(shell $(CURDIR)/selftests/vm/kdir.sh)

all: module libjet selftests

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { \
		echo "no kernel headers (KDIR='$(KDIR)');" \
		     "apt-get install linux-headers-cloud-amd64 or run make check"; \
		exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

libjet:
	$(MAKE) -C libjet

selftests: libjet
	$(MAKE) -C selftests

check:
	+@selftests/vm/check.sh check

bench:
	+@selftests/vm/check.sh bench

# The kernel's own gates on the module: sparse on every file, W=1 warnings.
sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 W=1 modules

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C libjet clean
	rm -rf build

.PHONY: all module libjet selftests check bench sparse clean
