#!/bin/sh
# run.sh - run the scenario suite (tests/e2e/test_scenarios.c) against a callsightd binary.
# usage (from the repo root): sh tests/scenarios/run.sh [path/to/callsightd]
# The runner is the one the Makefile builds beside that binary (BUILD/tests/test_scenarios: one
# compile line, the Makefile's); it is made first when missing or stale.
set -eu
daemon=${1:-build/callsightd}
b=$(dirname "$daemon")
# the folder names the build (Makefile: build, build-asan with SANITIZE=1, ...-novs with NO_VECTORSCAN=1)
san=""
novs=""
case $(basename "$b") in build-asan*) san=SANITIZE=1 ;; esac
case $(basename "$b") in *-novs) novs=NO_VECTORSCAN=1 ;; esac
make --no-print-directory -s $san $novs "$b/tests/test_scenarios"
CALLSIGHTD=$daemon exec "$b/tests/test_scenarios"
