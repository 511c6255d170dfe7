# tui/tui.mk - builds callsight, the ncurses client, into $(B)/callsight. Included by the top
# Makefile, whose B, CC, OPT, WARN, SANFLAGS, CFLAGS, PKG_CONFIG and ALL_LDFLAGS it uses. The TUI
# never sees the daemon's headers: only include/ (the shared X-macro lists, version.h and common.h,
# whose code it links from $(B)/libcommon.a).
#
#   make build/callsight     (or make tui)

TUI_SRC := $(sort $(wildcard tui/*.c))
TUI_OBJ := $(patsubst tui/%.c,$(B)/obj/tui/%.o,$(TUI_SRC))
TUI_HDR := tui/tui.h tui/cmd.h $(wildcard include/callsight/*.h include/callsight/*.def)

# ncursesw for UTF-8 line drawing; plain ncurses where no ncursesw.pc exists (it is wide on macOS)
TUI_CURSES = $(shell $(PKG_CONFIG) --exists ncursesw 2>/dev/null && echo ncursesw || echo ncurses)
TUI_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TUI_CURSES) jansson 2>/dev/null)
TUI_LIBS   = $(shell $(PKG_CONFIG) --libs $(TUI_CURSES) jansson 2>/dev/null)
TUI_ALL_CFLAGS = -std=c17 -D_GNU_SOURCE -D_XOPEN_SOURCE_EXTENDED $(OPT) $(WARN) $(SANFLAGS) \
	-Iinclude $(TUI_CFLAGS) $(CFLAGS)

EXTRA_BINS += $(B)/callsight

.PHONY: tui
tui: $(B)/callsight

$(B)/obj/tui:
	@mkdir -p $@

$(B)/obj/tui/%.o: tui/%.c $(TUI_HDR) | $(B)/obj/tui
	$(CC) $(TUI_ALL_CFLAGS) -c -o $@ $<

$(B)/callsight: $(TUI_OBJ) $(B)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(TUI_OBJ) $(B)/libcommon.a $(TUI_LIBS)
