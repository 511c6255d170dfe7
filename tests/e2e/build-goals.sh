#!/bin/sh
# build-goals.sh - the Makefile's contract with a plain `make`: its default goal is `all` (the
# README's `make && sudo make install`), whatever an included makefile defines first; and `all`
# names the daemon and the TUI. Asks make itself (`make -pn`, nothing is built).
# Prints "N passed, N failed"; exits non-zero when a check failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

goal=$(make -pn 2>/dev/null | sed -n 's/^\.DEFAULT_GOAL := //p' | tail -n 1)
if [ "$goal" = all ]; then ok "plain make builds 'all'"; else bad "plain make builds 'all' (got '$goal')"; fi
# what a plain `make` would build: the daemon and the client, not only the emulator
plan=$(make -n -B 2>/dev/null)
if echo "$plan" | grep -q -E -- '-o build(-[a-z]+)*/callsightd ' && echo "$plan" | grep -q -E -- '-o build(-[a-z]+)*/callsight '; then
	ok "plain make links callsightd and callsight"
else bad "plain make links callsightd and callsight"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
