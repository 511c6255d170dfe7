#!/bin/sh
# run.sh - run the scenario suite (tests/unit/test_scenarios.c) against a callsightd binary.
# usage (from the repo root): sh tests/scenarios/run.sh [path/to/callsightd]
# Builds the runner into build/tests/ when it is missing or older than its source.
set -eu
daemon=${1:-build/callsightd}
runner=build/tests/test_scenarios
src=tests/unit/test_scenarios.c
if [ ! -x "$runner" ] || [ "$src" -nt "$runner" ]; then
	mkdir -p build/tests
	${CC:-cc} -std=c17 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Iinclude -Idaemon "$src" \
		$(pkg-config --cflags --libs cmocka jansson) -o "$runner"
fi
CALLSIGHTD=$daemon exec "$runner"
