# SPDX-License-Identifier: GPL-2.0
#
# XTCP: build the module, the CLI and the selftests, and test them in a VM.
#
#   make                  module/xtcp.ko, tools/, selftests/
#   make check            setup + build + every selftest in a QEMU VM (TAP)
#   make check-debug      the same on the debug kernel (KASAN, lockdep, ...)
#   make run              setup + build + the demo in a VM;
#                         SHELL_AFTER=1 leaves you in a shell in the VM
#   make vm               a root shell in a VM with xtcp.ko loaded
#   make bench            native TCP against XTCP in one VM boot; BENCH=stream,rr,
#                         scale,mem,crr,twmem,loss,burst REPS=5 D=10 TWN=10000
#                         MEMN=10000,100000 PERF=1 (Documentation/benchmark.md)
#   make style            checkpatch --no-tree; xtcp(7) lints and its text twin
#                         is up to date
#   make man              Documentation/xtcp.7.txt from Documentation/xtcp.7
#   make install          the module (/lib/modules/<release>/extra), xtcpctl,
#                         xtcp-run and its library under PREFIX, xtcp(7);
#                         DESTDIR=/tmp/inst stages it
#   make sparse           module build with C=2 W=1
#   make debug-kernel     build (or reuse) the debug kernel
#   make clean
#
# Variables: KDIR (kernel build tree, default: newest Debian headers with a
# matching /boot/vmlinuz), TESTS (programs for check, relative to
# selftests/), KSFT_DIR (kselftest headers), PREFIX (/usr/local) and
# DESTDIR for install, V=1. Anything XTCP_* reaches the
# suite in the VM: XTCP_MODULE_PARAMS, XTCP_TEST_TIMEOUT, XTCP_TIMEOUT_SCALE
# (check-debug sets 10: KASAN and lockdep under TCG are that much slower)...
# See scripts/vm/README.

ifneq ($(KERNELRELEASE),)
$(error Kbuild read the top-level Makefile: the Kbuild file is missing)
endif

ifeq ($(origin KDIR),undefined)
KDIR := $(shell scripts/vm/kinfo.sh kdir 2>/dev/null)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

MAKEFLAGS += --no-print-directory

CHECKPATCH_FILES = $(filter-out %.mod.c,$(wildcard module/*.[ch] uapi/linux/*.h tools/*.c))
KDIR_STAMP := module/.kdir

.PHONY: all module tools selftests check test check-debug debug-kernel \
	run vm bench style sparse clean setup help kdir-check kdir-stamp \
	man install

all: module tools selftests

setup:
	$(Q)scripts/setup.sh

kdir-check:
	$(Q)if [ -z "$(KDIR)" ]; then \
		echo "No KDIR: no /usr/src/linux-headers-<ver>-amd64 with a /boot/vmlinuz-<ver>-amd64." >&2; \
		echo "Run scripts/setup.sh, or make KDIR=/path/to/kernel/build." >&2; \
		exit 1; \
	fi
	$(Q)if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "KDIR=$(KDIR) is not a kernel build tree (no Makefile)." >&2; \
		exit 1; \
	fi
	$(Q)if [ ! -f Kbuild ]; then echo "Kbuild is missing." >&2; exit 1; fi

# A module built for another kernel must never reach insmod: when KDIR
# changes, throw away every module object before building. (check.sh also
# compares the vermagic with the kernel it boots.)
kdir-stamp: kdir-check
	$(Q)id="$$(cd "$(KDIR)" && pwd -P) $$(scripts/vm/kinfo.sh release "$(KDIR)" 2>/dev/null)"; \
	if [ -f $(KDIR_STAMP) ] && [ "$$(cat $(KDIR_STAMP))" != "$$id" ]; then \
		echo "  CLEAN   module/ (KDIR changed)"; \
		find module \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
			-o -name '*.mod.c' -o -name '.*.cmd' -o -name '*.a' \
			-o -name 'modules.order' \) -type f -delete; \
		rm -f Module.symvers modules.order .*.cmd; \
	fi; \
	echo "$$id" > $(KDIR_STAMP)

module: kdir-stamp
	$(Q)$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

tools:
	$(Q)if [ ! -f tools/Makefile ]; then echo "tools/Makefile is missing." >&2; exit 1; fi
	$(Q)$(MAKE) -C tools

ifdef KSFT_DIR
selftests:
	$(Q)if [ ! -f selftests/Makefile ]; then echo "selftests/Makefile is missing." >&2; exit 1; fi
	$(Q)$(MAKE) -C selftests KSFT_DIR="$(KSFT_DIR)"
else
selftests:
	$(Q)if [ ! -f selftests/Makefile ]; then echo "selftests/Makefile is missing." >&2; exit 1; fi
	$(Q)ksft="$$(scripts/ksft-headers.sh)" && $(MAKE) -C selftests KSFT_DIR="$$ksft"
endif

# The test command. setup.sh may install the headers KDIR points at, so the
# build runs in a make that starts after it.
check: setup
	$(Q)$(MAKE) all
	$(Q)KDIR="$(KDIR)" scripts/check.sh $(TESTS)

# check without setup: for the edit-build-test loop.
test: all
	$(Q)KDIR="$(KDIR)" scripts/check.sh $(TESTS)

# debug-kernel.sh prints two lines: the KDIR to build against and the
# bzImage to boot. That kernel has 9p, virtio, veth, netem and tun built in.
check-debug: setup
	$(Q)set -e; out="$$(scripts/debug-kernel.sh)"; \
	if [ "$$(printf '%s\n' "$$out" | wc -l)" != 2 ]; then \
		echo "scripts/debug-kernel.sh did not print exactly KDIR and bzImage:" >&2; \
		printf '%s\n' "$$out" >&2; exit 1; \
	fi; \
	kdir="$$(printf '%s\n' "$$out" | sed -n 1p)"; \
	bzimage="$$(printf '%s\n' "$$out" | sed -n 2p)"; \
	[ -f "$$bzimage" ] || { echo "no bzImage at $$bzimage" >&2; exit 1; }; \
	$(MAKE) KDIR="$$kdir" all; \
	VMRUN_APPEND="$${VMRUN_APPEND:-kasan_multi_shot acpi=noirq}" \
	XTCP_TIMEOUT_SCALE=$${XTCP_TIMEOUT_SCALE:-10} \
	XTCP_TEST_TIMEOUT=$${XTCP_TEST_TIMEOUT:-2400} \
	KDIR="$$kdir" scripts/check.sh -k "$$bzimage" $(TESTS)

debug-kernel:
	$(Q)scripts/debug-kernel.sh

run: setup
	$(Q)$(MAKE) all
	$(Q)KDIR="$(KDIR)" XTCP_DEMO_KEEP=$(if $(SHELL_AFTER),1,) \
		scripts/vm-run $(if $(SHELL_AFTER),-i) -- scripts/demo.sh

vm: all
	$(Q)KDIR="$(KDIR)" scripts/vm-run -i -- insmod module/xtcp.ko $(XTCP_MODULE_PARAMS)

# BENCH, REPS, D, SD, TWN, MEMN and PERF reach scripts/bench from the
# command line.
bench: all
	$(Q)KDIR="$(KDIR)" scripts/bench

style:
	$(Q)cp="$$(scripts/ksft-headers.sh --checkpatch)/checkpatch.pl" && \
		"$$cp" --no-tree -f $(CHECKPATCH_FILES)
	$(Q)scripts/man.sh --check

# the text twin of xtcp(7), committed beside it; make style checks it
man:
	$(Q)scripts/man.sh

# Nothing else installs. The module goes to
# $(DESTDIR)/lib/modules/<release>/extra/xtcp.ko, for the release it was
# built for (its vermagic: uname -r when KDIR is the running kernel's), and
# depmod indexes it unless DESTDIR stages the install (a package runs
# depmod when it is installed). It is copied as built: kbuild's
# modules_install would also try to sign it, with a key Debian's headers
# do not have. The tools go under $(PREFIX) (tools/Makefile: xtcpctl and
# the benchmark tools in sbin, xtcp-run in bin, its library in lib/xtcp),
# the page in $(PREFIX)/share/man/man7.
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man

install: module tools
	$(Q)rel="$$(scripts/vm/kinfo.sh module-release module/xtcp.ko)" && \
	install -D -m 0644 module/xtcp.ko \
		"$(DESTDIR)/lib/modules/$$rel/extra/xtcp.ko" && \
	if [ -z "$(DESTDIR)" ]; then depmod -a "$$rel"; fi
	$(Q)$(MAKE) -C tools install PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)"
	$(Q)install -d "$(DESTDIR)$(MANDIR)/man7"
	$(Q)install -m 0644 Documentation/xtcp.7 "$(DESTDIR)$(MANDIR)/man7/xtcp.7"

sparse: kdir-stamp
	$(Q)command -v sparse >/dev/null || { echo "sparse missing: scripts/setup.sh" >&2; exit 1; }
	$(Q)$(MAKE) -C "$(KDIR)" M="$(CURDIR)" C=2 W=1 modules

clean:
	$(Q)if [ -n "$(KDIR)" ] && [ -f "$(KDIR)/Makefile" ] && [ -f Kbuild ]; then \
		$(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean; fi
	$(Q)find module \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' -o -name '*.a' \) -type f -delete
	$(Q)rm -f $(KDIR_STAMP) Module.symvers modules.order
	$(Q)if [ -f tools/Makefile ]; then $(MAKE) -C tools clean; fi
	$(Q)if [ -f selftests/Makefile ]; then $(MAKE) -C selftests clean; fi

help:
	$(Q)sed -n '3,30s/^# \{0,1\}//p' Makefile
