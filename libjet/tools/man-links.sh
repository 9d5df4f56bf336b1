#!/bin/sh
# SPDX-License-Identifier: MIT
#
# man-links.sh LIBJET.SO PAGE.3...: for every function libjet.so exports
# (what libjet.map lets out), prints "FUNCTION PAGE" where PAGE is the man
# page among PAGE.3... whose NAME section lists it; "make install" turns
# each line into man3/FUNCTION.3, a ".so" link, so "man JetReadFileInstance"
# works. Exits 1, naming them, when an exported function has no page.
set -u
lib=$1
shift
syms=$(nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
	LC_ALL=C sort -u)
[ -n "$syms" ] || { echo "man-links: no exported functions in $lib" >&2; exit 1; }
missing=
for fn in $syms; do
	page=
	for p in "$@"; do
		# the NAME section: from ".SH NAME" to the next ".SH"
		if sed -n '/^\.SH NAME/,/^\.SH /p' "$p" | tr ',' '\n' |
			sed 's/\\-.*//; s/^[[:space:]]*//; s/[[:space:]]*$//' |
			grep -qx "$fn"; then
			page=${p##*/}
			break
		fi
	done
	if [ -n "$page" ]; then
		echo "$fn $page"
	else
		missing="$missing $fn"
	fi
done
if [ -n "$missing" ]; then
	echo "man-links: exported from $lib without a man page (add each to the NAME section of one):$missing" >&2
	exit 1
fi
