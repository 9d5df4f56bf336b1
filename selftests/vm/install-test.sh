#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make install` and `make uninstall`, staged: installs into a temporary
# DESTDIR, checks that every file landed with its mode (and nothing else
# did), the library's SONAME and links, then builds a small program against
# the stage with `pkg-config --cflags --libs libjet`, runs it, and finally
# uninstalls and checks that no file is left. Host only: no module needed
# (without /dev/jet the program expects JET_errFeatureNotAvailable).
#
# Prints one "ok"/"not ok" line per check, then "install: N passed, N failed";
# exits non-zero on a failure.
#
# env: KDIR (as make), PREFIX (/usr/local), KEEP=1 keeps the stage
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
make=${MAKE:-make}
unset MAKEFLAGS MFLAGS MAKEOVERRIDES
prefix=${PREFIX:-/usr/local}
KDIR=${KDIR:-$(selftests/vm/kdir.sh)}
export KDIR
release=$(sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' \
	"$KDIR/include/generated/utsrelease.h" 2>/dev/null)
work=$(mktemp -d "${TMPDIR:-/tmp}/jet-install.XXXXXX")
stage=$work/stage
[[ ${KEEP:-0} == 1 ]] || trap 'rm -rf "$work"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) $1"; }
not_ok() {
	fail=$((fail + 1))
	echo "not ok $((pass + fail)) $1${2:+: $2}"
}
show() { sed 's/^/#   /' "$1" | tail -n "${2:-20}"; }
check() {	# check NAME CMD...
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
finish() {
	echo "install: $pass passed, $fail failed"
	((fail == 0))
	exit
}

if [[ -z $release ]]; then
	not_ok "kernel headers" "none at KDIR='$KDIR'"
	finish
fi
echo "# staged make install: DESTDIR=$stage PREFIX=$prefix, kernel $release"

if "$make" --no-print-directory DESTDIR="$stage" PREFIX="$prefix" install \
	>"$work/install.log" 2>&1; then
	ok "make install DESTDIR=... exits 0"
else
	not_ok "make install DESTDIR=... exits 0"
	show "$work/install.log"
	finish
fi

p=${prefix#/}
# Every file `make install` puts down: mode and path; "link" for a symlink
# and where it points.
expected=(
	"644 lib/modules/$release/extra/jet.ko"
	"644 lib/udev/rules.d/60-jet.rules"
	"644 usr/lib/modules-load.d/jet.conf"
	"755 $p/lib/libjet.so.1.0.0"
	"link $p/lib/libjet.so.1 libjet.so.1.0.0"
	"link $p/lib/libjet.so libjet.so.1"
	"644 $p/lib/libjet.a"
	"644 $p/lib/pkgconfig/libjet.pc"
	"644 $p/include/jet.h"
	"644 $p/include/jet/jet_ioctl.h"
	"755 $p/sbin/jetctl"
	"755 $p/bin/jetdemo-server"
	"644 $p/share/man/man1/jetdemo-server.1"
	"644 $p/share/man/man3/libjet.3"
	"644 $p/share/man/man3/jet_backup.3"
	"644 $p/share/man/man3/jet_owner.3"
	"644 $p/share/man/man3/jet_stop.3"
	"644 $p/share/man/man3/jet_legacy.3"
	"644 $p/share/man/man3/jet_snapshot.3"
	"644 $p/share/man/man4/jet.4"
	"644 $p/share/man/man8/jetctl.8"
	"644 $p/share/bash-completion/completions/jetctl"
)
# one page per exported function: a ".so" link to the page naming it
links=$(sh libjet/tools/man-links.sh libjet/libjet.so libjet/man/*.3)
links_rc=$?
check "every function libjet.so exports has a man page" \
	test "$links_rc" -eq 0 -a -n "$links"
# libjet(3) is the index: it names every call and its page
unlisted=$(while read -r fn _; do
	grep -qw "$fn" libjet/man/libjet.3 || echo "$fn"
done <<<"$links")
if [[ -z $unlisted ]]; then
	ok "libjet(3) lists every exported function"
else
	not_ok "libjet(3) lists every exported function" "${unlisted//$'\n'/ }"
fi
while read -r fn page; do
	[[ -n $fn ]] || continue
	expected+=("644 $p/share/man/man3/$fn.3")
	f=$stage/$p/share/man/man3/$fn.3
	[[ $(cat "$f" 2>/dev/null) == ".so man3/$page" ]] ||
		not_ok "man3/$fn.3 is a .so link to $page" "$(cat "$f" 2>&1)"
done <<<"$links"
want=()
for e in "${expected[@]}"; do
	read -r mode path target <<<"$e"
	want+=("$path")
	f=$stage/$path
	if [[ $mode == link ]]; then
		got=$(readlink "$f" 2>/dev/null)
		if [[ -L $f && $got == "$target" && -e $f ]]; then
			ok "/$path -> $target"
		else
			not_ok "/$path -> $target" "${got:-not a link}"
		fi
	elif [[ -f $f && ! -L $f ]]; then
		got=$(stat -c %a "$f")
		if [[ $got == "$mode" ]]; then
			ok "/$path, mode $mode"
		else
			not_ok "/$path, mode $mode" "mode $got"
		fi
	else
		not_ok "/$path, mode $mode" "missing"
	fi
done
extra=$(cd "$stage" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort |
	comm -23 - <(printf '%s\n' "${want[@]}" | LC_ALL=C sort))
check "nothing else is installed${extra:+ (found: ${extra//$'\n'/ })}" \
	test -z "$extra"

lib=$stage/$p/lib
soname=$(readelf -d "$lib/libjet.so.1.0.0" 2>/dev/null |
	sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
check "libjet.so.1.0.0 has the SONAME libjet.so.1 (${soname:-none})" \
	test "$soname" = libjet.so.1
vermagic=$(/sbin/modinfo -F vermagic \
	"$stage/lib/modules/$release/extra/jet.ko" 2>&1)
check "the installed jet.ko is for $release" \
	test "${vermagic%% *}" = "$release"
check "the udev rule gives /dev/jet mode 0666" \
	grep -q '^SUBSYSTEM=="misc", KERNEL=="jet", MODE="0666"$' \
	"$stage/lib/udev/rules.d/60-jet.rules"
jv=$(LD_LIBRARY_PATH=$stage/$p/lib "$stage/$p/sbin/jetctl" --version 2>&1)
check "the installed jetctl runs: --version says ${jv:-nothing}" \
	test "${jv%% *}" = jetctl
needed=$(readelf -d "$stage/$p/sbin/jetctl" | sed -n 's/.*(NEEDED).*\[\(libjet.*\)\]/\1/p')
check "the installed jetctl uses the shared libjet (${needed:-static})" \
	test "$needed" = libjet.so.1
version=$(/sbin/modinfo -F version "$stage/lib/modules/$release/extra/jet.ko" 2>&1)
check "modinfo jet.ko shows MODULE_VERSION 1.0.0 (${version:-none})" \
	test "$version" = 1.0.0
check "modules-load.d/jet.conf loads jet at boot" \
	grep -qx jet "$stage/usr/lib/modules-load.d/jet.conf"
check "the bash completion completes jetctl's commands" bash -c \
	". '$stage/$p/share/bash-completion/completions/jetctl';
	 COMP_WORDS=(jetctl res); COMP_CWORD=1; _jetctl;
	 [[ \${COMPREPLY[*]} == restore ]]"
if command -v man >/dev/null; then
	check "man JetReadFileInstance finds jet_backup(3)" sh -c \
		"MANWIDTH=80 man -M '$stage/$p/share/man' JetReadFileInstance 2>/dev/null |
		 grep -q 'JetReadFileInstance'"
fi
undated=$(grep -l '^\.TH .* 2025-01-01 ' "$stage/$p"/share/man/man*/*.[1-8] 2>/dev/null)
check "every man page has a real date in .TH${undated:+ (placeholder in: ${undated//$'\n'/ })}" \
	test -z "$undated"

# A program built the way the README says, against the stage only.
export PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR=$lib/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$stage
version=$(pkg-config --modversion libjet 2>&1)
check "pkg-config --modversion libjet is 1.0.0 ($version)" \
	test "$version" = 1.0.0
flags=$(pkg-config --cflags --libs libjet 2>&1)
flags=${flags%"${flags##*[! ]}"}	# its trailing blank
check "pkg-config --cflags --libs libjet names the stage ($flags)" \
	test "$flags" = "-I$stage/$p/include -L$lib -ljet"
cat >"$work/hello.c" <<'EOF'
/* SPDX-License-Identifier: GPL-2.0 */
#include <stdio.h>
#include <unistd.h>
#include <jet.h>
#include <jet/jet_ioctl.h>

int main(void)
{
	unsigned long n = 0;
	JET_INSTANCE_INFO *info = NULL;
	JET_ERR err = JetGetInstanceInfo(&n, &info);
	int have_dev = access("/dev/jet", F_OK) == 0;

	printf("JetGetInstanceInfo: %s (%ld), %lu instances; ABI %d\n",
	       JetErrorName(err), err, n, JET_ABI_VERSION);
	if (err == JET_errSuccess)
		JetFreeBuffer((char *)info);
	if (have_dev)
		return err == JET_errSuccess ? 0 : 1;
	return err == JET_errFeatureNotAvailable ? 0 : 1;
}
EOF
# shellcheck disable=SC2086 # flags are words
if cc -Wall -Werror -o "$work/hello" "$work/hello.c" $flags \
	>"$work/cc.log" 2>&1; then
	ok "cc hello.c \$(pkg-config --cflags --libs libjet) links"
	needed=$(readelf -d "$work/hello" | sed -n 's/.*(NEEDED).*\[\(libjet.*\)\]/\1/p')
	check "the program needs libjet.so.1 (${needed:-nothing})" \
		test "$needed" = libjet.so.1
	loaded=$(LD_LIBRARY_PATH=$lib ldd "$work/hello" |
		sed -n 's/^[[:space:]]*libjet.so.1 => \([^ ]*\).*/\1/p')
	check "it loads the staged libjet.so.1 ($loaded)" \
		test "$loaded" = "$lib/libjet.so.1"
	if LD_LIBRARY_PATH=$lib "$work/hello" >"$work/run.log" 2>&1; then
		ok "it runs: $(cat "$work/run.log")"
	else
		not_ok "it runs" "$(cat "$work/run.log")"
	fi
else
	not_ok "cc hello.c \$(pkg-config --cflags --libs libjet) links"
	show "$work/cc.log"
fi
# shellcheck disable=SC2046 # flags are words
if cc -static -o "$work/hello-static" "$work/hello.c" \
	$(pkg-config --static --cflags --libs libjet) \
	>"$work/cc-static.log" 2>&1 && "$work/hello-static" >/dev/null 2>&1; then
	ok "cc -static \$(pkg-config --static --cflags --libs libjet) links, runs"
else
	not_ok "cc -static \$(pkg-config --static --cflags --libs libjet) links, runs"
	show "$work/cc-static.log"
fi

# DKMS: the module's source tree, staged (with DESTDIR, dkms itself is not
# run); where dkms is installed, it builds that tree in a private dkms tree.
dk=$work/dkms
src=$dk/usr/src/jet-1.0.0
if "$make" --no-print-directory DESTDIR="$dk" dkms-install \
	>"$work/dkms.log" 2>&1; then
	ok "make dkms-install DESTDIR=... exits 0"
else
	not_ok "make dkms-install DESTDIR=... exits 0"
	show "$work/dkms.log"
fi
check "dkms.conf has no CLEAN (deprecated)" \
	sh -c "! grep -Eq '^CLEAN' '$src/dkms.conf'"
check "make dkms-install puts down modules-load.d/jet.conf" \
	grep -qx jet "$dk/usr/lib/modules-load.d/jet.conf"
missing=
for f in dkms.conf Kbuild kmod/Kbuild kmod/jet.h uapi/jet_ioctl.h kmod/*.c; do
	[[ $f == *.mod.c ]] && continue
	[[ -f $src/$f ]] || missing+=" $f"
done
check "/usr/src/jet-1.0.0 holds dkms.conf and the module's source${missing:+ (missing:$missing)}" \
	test -z "$missing"
if command -v dkms >/dev/null; then
	mkdir -p "$dk/tree"
	dkms_=(dkms --dkmstree "$dk/tree" --sourcetree "$dk/usr/src" -m jet
		-v 1.0.0)
	if "${dkms_[@]}" add >"$work/dkms.log" 2>&1 &&
		"${dkms_[@]}" build -k "$release" --kernelsourcedir "$KDIR" \
			>>"$work/dkms.log" 2>&1 &&
		[[ -n $(find "$dk/tree" -name jet.ko) ]]; then
		ok "dkms add and build of that tree (for $release)"
	else
		not_ok "dkms add and build of that tree (for $release)"
		show "$work/dkms.log"
	fi
else
	ok "# SKIP dkms add and build: dkms is not installed"
fi

if "$make" --no-print-directory DESTDIR="$stage" PREFIX="$prefix" uninstall \
	>"$work/uninstall.log" 2>&1; then
	ok "make uninstall DESTDIR=... exits 0"
else
	not_ok "make uninstall DESTDIR=... exits 0"
	show "$work/uninstall.log"
fi
left=$(cd "$stage" && find . ! -type d | sed 's|^\./||')
check "make uninstall leaves no file${left:+ (left: ${left//$'\n'/ })}" \
	test -z "$left"
check "make uninstall removes include/jet/" test ! -e "$stage/$p/include/jet"
finish
