#!/bin/sh
# deps.sh - install what callsight needs to build and test, only what is missing (idempotent).
# Debian/Ubuntu: apt-get (update first only when a package is not found); macOS: Homebrew.
# Called by `make deps`, which `make check` and `make demo` depend on.
set -eu

DEB_PKGS="gcc make pkg-config libimobiledevice-dev libusbmuxd-dev libplist-dev libncurses-dev
libpcre2-dev libsqlite3-dev libjansson-dev libevent-dev libcmocka-dev libssl-dev
libimobiledevice-utils ideviceinstaller libplist-utils tmux sqlite3 valgrind chromium
clang libclang-rt-14-dev zlib1g-dev time iproute2
prometheus curl rsyslog rsyslog-relp rsyslog-openssl librelp-dev openssl
jq libzip-dev zip
libvectorscan-dev ripgrep lnav"
BREW_PKGS="libimobiledevice libusbmuxd libplist ncurses pcre2 sqlite jansson libevent cmocka
pkg-config openssl tmux ideviceinstaller
prometheus rsyslog librelp
jq libzip gnu-time
vectorscan ripgrep lnav"

missing_deb() {
	out=""
	for p in $DEB_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out="$out $p"
	done
	echo "$out"
}

case "$(uname -s)" in
Linux)
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "deps: not a Debian-like system; install these by hand: $DEB_PKGS" >&2
		exit 0
	fi
	need=$(missing_deb)
	[ -z "$need" ] && exit 0
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	echo "deps: installing:$need"
	export DEBIAN_FRONTEND=noninteractive
	# --no-install-recommends: otherwise apt also brings the real usbmuxd daemon (device-protocol.md)
	if ! $SUDO apt-get install -y -q --no-install-recommends $need; then
		$SUDO apt-get update -q
		$SUDO apt-get install -y -q --no-install-recommends $need
	fi
	;;
Darwin)
	if ! command -v brew >/dev/null 2>&1; then
		echo "deps: Homebrew is needed: https://brew.sh, then: brew install $BREW_PKGS" >&2
		exit 1
	fi
	for p in $BREW_PKGS; do
		brew list --versions "$p" >/dev/null 2>&1 || brew install "$p"
	done
	;;
*)
	echo "deps: unsupported system $(uname -s); install: $BREW_PKGS" >&2
	;;
esac
