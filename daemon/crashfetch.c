/*
 * crashfetch.c - copies new crash and jetsam reports off a live iPhone, the way idevicecrashreport
 * does (libimobiledevice tools/idevicecrashreport.c): start com.apple.crashreportmover and wait for
 * its "ping" (the phone has moved its reports to where the copy service sees them), then walk
 * com.apple.crashreportcopymobile over AFC (libimobiledevice's afc API: read_directory,
 * get_file_info, file_open/read/close). Unlike idevicecrashreport it never removes anything from
 * the phone, and it only reads files that look like reports, are no older than `since` and that
 * the caller does not know yet. Runs on a device's capture thread (device.c): it blocks, briefly.
 */
#include <stdlib.h>
#include <string.h>

#include <libimobiledevice/afc.h>
#include <libimobiledevice/libimobiledevice.h>
#include <libimobiledevice/lockdown.h>

#include "callsightd.h"

#define PING_WAIT_MS	2000	/* per receive; a phone with many reports takes a while */
#define PING_ATTEMPTS	10
#define MAX_DEPTH	3	/* Retired/, Assistant/, ... */
#define READ_CHUNK	(64 * 1024)

struct walk {
	afc_client_t		 afc;
	int64_t			 since_s;
	struct cs_crash_fetch	*f;
	int			 copied;
};

/* the mover moves the reports, then says "ping" */
static int
run_mover(idevice_t dev, lockdownd_client_t lc, char *err, size_t errlen)
{
	lockdownd_service_descriptor_t svc = NULL;
	lockdownd_error_t le = lockdownd_start_service(lc, "com.apple.crashreportmover", &svc);
	if (le != LOCKDOWN_E_SUCCESS) {
		cs_set_error(err, errlen, "could not start com.apple.crashreportmover (%d)", (int)le);
		return -1;
	}
	idevice_connection_t conn = NULL;
	int rc = -1;
	if (idevice_connect(dev, svc->port, &conn) != IDEVICE_E_SUCCESS ||
	    (svc->ssl_enabled && idevice_connection_enable_ssl(conn) != IDEVICE_E_SUCCESS)) {
		cs_set_error(err, errlen, "could not connect to com.apple.crashreportmover");
		goto out;
	}
	char ping[4];
	size_t have = 0;
	for (int i = 0; i < PING_ATTEMPTS && have < sizeof ping; i++) {
		uint32_t got = 0;
		idevice_error_t e = idevice_connection_receive_timeout(conn, ping + have,
		    (uint32_t)(sizeof ping - have), &got, PING_WAIT_MS);
		have += got;
		if (e != IDEVICE_E_SUCCESS && e != IDEVICE_E_TIMEOUT)
			break;
	}
	if (have == sizeof ping && memcmp(ping, "ping", 4) == 0)
		rc = 0;
	else
		cs_set_error(err, errlen, "com.apple.crashreportmover did not say ping");
out:
	if (conn)
		idevice_disconnect(conn);
	lockdownd_service_descriptor_free(svc);
	return rc;
}

static const char *
info_value(char **info, const char *key)
{
	for (size_t i = 0; info && info[i] && info[i + 1]; i += 2)
		if (strcmp(info[i], key) == 0)
			return info[i + 1];
	return NULL;
}

static void
copy_file(struct walk *w, const char *path, uint64_t size)
{
	uint64_t handle = 0;
	if (afc_file_open(w->afc, path, AFC_FOPEN_RDONLY, &handle) != AFC_E_SUCCESS)
		return;
	char *data = cs_xmalloc((size_t)size + 1);
	size_t len = 0;
	for (;;) {
		uint32_t got = 0;
		size_t room = (size_t)size + 1 - len;	/* one more: a file that grew is cut, not overrun */
		if (room == 0)
			break;
		if (afc_file_read(w->afc, handle, data + len, (uint32_t)(room < READ_CHUNK ? room : READ_CHUNK),
		    &got) != AFC_E_SUCCESS || got == 0)
			break;
		len += got;
	}
	afc_file_close(w->afc, handle);
	if (len <= size && w->f->got(path, data, len, w->f->ctx))
		w->copied++;
	free(data);
}

static void
walk_dir(struct walk *w, const char *dir, int depth)
{
	char **list = NULL;
	if (afc_read_directory(w->afc, dir, &list) != AFC_E_SUCCESS)
		return;
	for (size_t i = 0; list && list[i]; i++) {
		const char *name = list[i];
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		char path[1024];
		if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
			continue;
		char **info = NULL;
		if (afc_get_file_info(w->afc, path, &info) != AFC_E_SUCCESS || info == NULL)
			continue;
		const char *ifmt = info_value(info, "st_ifmt");
		const char *size_s = info_value(info, "st_size");
		const char *mtime_s = info_value(info, "st_mtime");	/* ns */
		uint64_t size = size_s ? strtoull(size_s, NULL, 10) : 0;
		int64_t mtime = mtime_s ? (int64_t)(strtoull(mtime_s, NULL, 10) / 1000000000ull) : 0;
		bool is_dir = ifmt && strcmp(ifmt, "S_IFDIR") == 0;
		bool is_reg = ifmt && strcmp(ifmt, "S_IFREG") == 0;
		afc_dictionary_free(info);
		if (is_dir && depth < MAX_DEPTH)
			walk_dir(w, path, depth + 1);
		else if (is_reg && cs_crash_report_name(name) && mtime >= w->since_s &&
		    size <= CS_REPORT_MAX_BYTES && !w->f->known(path, w->f->ctx))
			copy_file(w, path, size);
	}
	afc_dictionary_free(list);
}

int
cs_crash_fetch(struct idevice_private *dev, struct cs_crash_fetch *f, char *err, size_t errlen)
{
	lockdownd_client_t lc = NULL;
	lockdownd_error_t le = lockdownd_client_new_with_handshake(dev, &lc, "callsightd");
	if (le != LOCKDOWN_E_SUCCESS) {
		cs_set_error(err, errlen, "lockdownd handshake failed (%d)", (int)le);
		return -1;
	}
	if (run_mover(dev, lc, err, errlen) < 0) {
		lockdownd_client_free(lc);
		return -1;
	}
	lockdownd_service_descriptor_t svc = NULL;
	le = lockdownd_start_service(lc, "com.apple.crashreportcopymobile", &svc);
	lockdownd_client_free(lc);
	if (le != LOCKDOWN_E_SUCCESS) {
		cs_set_error(err, errlen, "could not start com.apple.crashreportcopymobile (%d)", (int)le);
		return -1;
	}
	struct walk w = { .since_s = f->since_s, .f = f };
	afc_error_t ae = afc_client_new(dev, svc, &w.afc);
	lockdownd_service_descriptor_free(svc);
	if (ae != AFC_E_SUCCESS) {
		cs_set_error(err, errlen, "AFC on com.apple.crashreportcopymobile failed (%d)", (int)ae);
		return -1;
	}
	walk_dir(&w, ".", 0);
	afc_client_free(w.afc);
	return w.copied;
}
