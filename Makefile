# callsight - one build for the daemon (callsightd), the TUI (callsight), the device emulator and
# the tests. pkg-config for every dependency. Targets: all deps demo check bench fuzz install clean.
#
#   make            build build/callsightd (and the rest)
#   make check      install what is missing, build, run every test suite
#   make demo       install what is missing, build, run the emulator + daemon + TUI on a demo call
#   make SANITIZE=1 build with ASan+UBSan into build-asan/

# `all` is the goal of a plain `make` even though included makefiles (tui.mk, fakedevice.mk) define
# targets before it; tests/e2e/build-goals.sh checks this.
.DEFAULT_GOAL := all

CC	?= cc
PREFIX	?= /usr/local
DESTDIR	?=
PKG_CONFIG ?= pkg-config

ifeq ($(SANITIZE),1)
B	:= build-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT	:= -O1 -g
else
B	:= build
SANFLAGS :=
OPT	:= -O2 -g
endif

PKGS_CORE := libpcre2-8 jansson sqlite3 zlib libcrypto

# Vectorscan (scan first, issue 12; Hyperscan's API, pkg-config libhs): used when found, unless
# NO_VECTORSCAN=1, which builds the fallback (the rules' own prefilter on every line) into its own
# folder, e.g. `make check NO_VECTORSCAN=1` -> build-novs/.
ifeq ($(NO_VECTORSCAN),1)
B	:= $(B)-novs
HS_CFLAGS =
HS_LIBS   =
else
HS_FOUND  = $(shell $(PKG_CONFIG) --exists libhs 2>/dev/null && echo 1)
HS_CFLAGS = $(if $(HS_FOUND),-DCS_HAVE_VECTORSCAN $(shell $(PKG_CONFIG) --cflags libhs 2>/dev/null))
HS_LIBS   = $(if $(HS_FOUND),$(shell $(PKG_CONFIG) --libs libhs 2>/dev/null))
endif
PKGS_DEV  := libimobiledevice-1.0 libusbmuxd-2.0 libplist-2.0 libevent libevent_pthreads libzip
PKGS_TEST := cmocka

# pkg-config is asked lazily (=) so that `make deps` works before the packages exist.
CORE_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS_CORE) $(PKGS_DEV) 2>/dev/null) $(HS_CFLAGS)
CORE_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS_CORE) 2>/dev/null) $(HS_LIBS) -pthread
DEV_LIBS    = $(shell $(PKG_CONFIG) --libs $(PKGS_DEV) 2>/dev/null) -lpthread
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS_TEST) 2>/dev/null)
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS_TEST) 2>/dev/null)

# --forward: OpenSSL for syslog+tls; librelp for relp:// when pkg-config finds it (NO_RELP=1 builds
# without it, as on a platform that lacks it: relp:// then says so, the rest works)
FWD_PKGS    = openssl $(if $(NO_RELP),,$(shell $(PKG_CONFIG) --exists relp 2>/dev/null && echo relp))
FWD_CFLAGS  = $(shell $(PKG_CONFIG) --cflags $(FWD_PKGS) 2>/dev/null) \
	      $(if $(filter relp,$(FWD_PKGS)),-DCS_HAVE_RELP)
FWD_LIBS    = $(shell $(PKG_CONFIG) --libs $(FWD_PKGS) 2>/dev/null)

WARN	:= -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS	?=
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) $(SANFLAGS) -Iinclude -Idaemon -I$(B) $(CORE_CFLAGS) $(CFLAGS)
LDFLAGS	?=
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

# common/: what the daemon and the TUI share (include/callsight/common.h), a library of its own that
# sees only include/, never a daemon or TUI header
COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_OBJ := $(patsubst common/%.c,$(B)/obj/common/%.o,$(COMMON_SRC))
COMMON_CFLAGS = -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) $(SANFLAGS) -Iinclude $(CFLAGS)

# the pure core: reader, rules, timeline, output (no devices, no sockets) - shared by the daemon,
# the unit tests and the fuzzers
CORE_SRC := daemon/names.c daemon/util.c daemon/parse.c daemon/rules.c daemon/timeline.c \
	    daemon/output.c daemon/replay.c daemon/store.c daemon/report.c daemon/report-html.c daemon/redact.c \
	    daemon/metrics.c daemon/crashreport.c daemon/pseudonym.c daemon/log.c daemon/tar.c \
	    daemon/scanprefix.c
CORE_OBJ := $(patsubst daemon/%.c,$(B)/obj/%.o,$(CORE_SRC)) $(B)/obj/rules_builtin.o $(B)/obj/report_assets.o \
	    $(B)/obj/scan_trigrams.o
# the service: socket, devices, the loop (libevent, libimobiledevice)
DAEMON_SRC := daemon/main.c daemon/daemon.c daemon/server.c daemon/device.c daemon/appcheck.c \
	      daemon/appinfo.c \
	      daemon/crashfetch.c \
	      daemon/metrics_http.c daemon/forward.c
DAEMON_OBJ := $(patsubst daemon/%.c,$(B)/obj/%.o,$(DAEMON_SRC))
RULES	:= $(sort $(wildcard daemon/rules/*.rules))

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
# the C suites that start the daemon (and the emulator) live with the end-to-end scripts
E2E_C_SRC := $(sort $(wildcard tests/e2e/test_*.c))
E2E_C_BIN := $(patsubst tests/e2e/%.c,$(B)/tests/%,$(E2E_C_SRC))

HEADERS := $(wildcard daemon/*.h include/callsight/*.h include/callsight/*.def)

EXTRA_BINS :=
include tests/fakedevice/fakedevice.mk
include tui/tui.mk

.PHONY: all deps check check-unit check-scenarios demo bench fuzz install clean cross-macos

all: $(B)/callsightd $(EXTRA_BINS)

deps:
	@sh tools/deps.sh

$(B)/obj $(B)/tests:
	@mkdir -p $@

# embed.sh writes the .c and its .h together (the .h is made by making the .c: no grouped targets,
# which macOS's make 3.81 lacks)
$(B)/rules_builtin.c: $(RULES) tools/embed.sh | $(B)/obj
	sh tools/embed.sh $@ cs_builtin_rules $(RULES)
$(B)/rules_builtin.h: $(B)/rules_builtin.c ;

# the report page's CSS and SVG definitions, as data files embedded like the rules
REPORT_ASSETS := $(sort $(wildcard daemon/report/*))
$(B)/report_assets.c: $(REPORT_ASSETS) tools/embed.sh | $(B)/obj
	sh tools/embed.sh $@ cs_report_assets $(REPORT_ASSETS)
$(B)/report_assets.h: $(B)/report_assets.c ;

$(B)/obj/report_assets.o: $(B)/report_assets.c | $(B)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# how common each trigram is in device log messages, for the scan's literal prefixes (scanprefix.c)
$(B)/scan_trigrams.c: daemon/scan/trigrams.txt tools/embed.sh | $(B)/obj
	sh tools/embed.sh $@ cs_scan_trigrams daemon/scan/trigrams.txt
$(B)/scan_trigrams.h: $(B)/scan_trigrams.c ;

$(B)/obj/scan_trigrams.o: $(B)/scan_trigrams.c | $(B)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj/rules.o: $(B)/rules_builtin.h $(B)/scan_trigrams.h
$(B)/obj/report-html.o: $(B)/report_assets.h

$(B)/obj/rules_builtin.o: $(B)/rules_builtin.c | $(B)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj/%.o: daemon/%.c $(HEADERS) | $(B)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# the builtin rules' Vectorscan database, compiled at build time (tools/scandb.c says why)
$(B)/scandb: tools/scandb.c $(CORE_OBJ) $(COMMON_OBJ) $(HEADERS)
	$(CC) $(ALL_CFLAGS) -o $@ tools/scandb.c $(CORE_OBJ) $(COMMON_OBJ) $(CORE_LIBS) $(ALL_LDFLAGS) -lm

$(B)/scan_db.c: $(B)/scandb
	$(B)/scandb $@

$(B)/obj/scan_db.o: $(B)/scan_db.c | $(B)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj/common:
	@mkdir -p $@

$(B)/obj/common/%.o: common/%.c $(wildcard include/callsight/*.h) | $(B)/obj/common
	$(CC) $(COMMON_CFLAGS) -c -o $@ $<

$(B)/libcommon.a: $(COMMON_OBJ)
	rm -f $@ && ar rcs $@ $^

# the core carries common/ too, so whatever links the core (daemon, tests, fuzzers) has it
$(B)/libcore.a: $(CORE_OBJ) $(B)/obj/scan_db.o $(COMMON_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/obj/forward.o: ALL_CFLAGS += $(FWD_CFLAGS)

$(B)/callsightd: $(DAEMON_OBJ) $(B)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(DAEMON_OBJ) $(B)/libcore.a $(CORE_LIBS) $(DEV_LIBS) $(FWD_LIBS) -lm

$(B)/tests/%: tests/unit/%.c $(B)/libcore.a $(HEADERS) $(wildcard tests/common/*.h) | $(B)/tests
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Wno-missing-prototypes -o $@ $< $(B)/libcore.a \
		$(CORE_LIBS) $(TEST_LIBS) $(ALL_LDFLAGS) -lm

$(B)/tests/%: tests/e2e/%.c $(B)/libcore.a $(HEADERS) $(wildcard tests/common/*.h) | $(B)/tests
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Wno-missing-prototypes -o $@ $< $(B)/libcore.a \
		$(CORE_LIBS) $(TEST_LIBS) $(ALL_LDFLAGS) -lm

# ---------------------------------------------------------------- tests
# Every suite prints its own result; tests/run-suites.sh adds them up into one closing line.
check: deps
	@$(MAKE) --no-print-directory all-tests
	@sh tests/run-suites.sh $(B)

all-tests: all $(UNIT_BIN) $(E2E_C_BIN) $(B)/benchfloor

check-unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

check-scenarios: $(B)/callsightd $(B)/tests/test_scenarios
	@sh tests/scenarios/run.sh $(B)/callsightd

# ---------------------------------------------------------------- macOS (compile only, via zig cc)
# every daemon and TUI source against macOS's libc headers, aarch64 and x86_64 (tools/cross-macos.sh
# says what is and is not checked; it installs zig 0.11.0 from npm into $(B)/zig when missing)
cross-macos: deps $(B)/rules_builtin.c $(B)/report_assets.c $(B)/scan_trigrams.c
	@sh tools/cross-macos.sh $(B)

# ---------------------------------------------------------------- fuzzing (clang libFuzzer)
FUZZ_SECONDS ?= 20
fuzz: deps
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# ---------------------------------------------------------------- benchmark (not a test)
bench: deps $(B)/callsightd $(B)/benchfloor
	@sh tests/bench/bench.sh $(B)/callsightd

# the two passes a replay makes over every line, each alone: what bounds a replay (bench.sh)
$(B)/benchfloor: tests/bench/floor.c $(B)/libcore.a $(HEADERS)
	$(CC) $(ALL_CFLAGS) -o $@ tests/bench/floor.c $(B)/libcore.a $(CORE_LIBS) $(ALL_LDFLAGS) -lm

# ---------------------------------------------------------------- demo
demo: deps all
	@sh tools/demo.sh $(B)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/doc/callsight
	install -m 0755 $(B)/callsightd $(DESTDIR)$(PREFIX)/bin/callsightd
	if [ -x $(B)/callsight ]; then install -m 0755 $(B)/callsight $(DESTDIR)$(PREFIX)/bin/callsight; fi
	install -m 0644 docs/callsightd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 docs/callsight.rules.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	if [ -f docs/callsight.1 ]; then install -m 0644 docs/callsight.1 $(DESTDIR)$(PREFIX)/share/man/man1/; fi
	install -m 0644 docs/callsightd.service docs/com.callsight.callsightd.plist docs/protocol.md \
		docs/causes.md docs/instrumenting-your-app.md docs/lab.md $(DESTDIR)$(PREFIX)/share/doc/callsight/
	install -d $(DESTDIR)$(PREFIX)/share/doc/callsight/lab
	install -m 0644 docs/lab/* $(DESTDIR)$(PREFIX)/share/doc/callsight/lab/

clean:
	rm -rf build build-asan
