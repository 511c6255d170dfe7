# tests/fakedevice/fakedevice.mk - builds the device emulator fakeiphone (usbmuxd, lockdownd,
# syslog_relay, installation_proxy) that tests/e2e/fakedevice-*.sh drive the stock
# libimobiledevice tools against. Included by the top Makefile; uses its B, CC, ALL_CFLAGS and
# ALL_LDFLAGS. pkg-config is asked when the recipe runs, so `make deps` works before the packages.

FAKEDEVICE_SRC := $(sort $(wildcard tests/fakedevice/*.c))
FAKEDEVICE_HDR := $(wildcard tests/fakedevice/*.h)
FAKEDEVICE_PKGS := libplist-2.0 openssl

$(B)/fakeiphone: $(FAKEDEVICE_SRC) $(FAKEDEVICE_HDR) tests/fakedevice/fakedevice.mk
	@mkdir -p $(B)
	$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(FAKEDEVICE_PKGS)) -o $@ $(FAKEDEVICE_SRC) \
		$(ALL_LDFLAGS) $(shell $(PKG_CONFIG) --libs $(FAKEDEVICE_PKGS))
EXTRA_BINS += $(B)/fakeiphone
