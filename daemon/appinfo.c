/*
 * appinfo.c - `callsightd --replay FILE --app-info PATH`: what the app declares (UIBackgroundModes,
 * microphone / camera usage strings), read from the app itself instead of a phone: its Info.plist
 * (XML or binary: libplist), an .app folder, or an .ipa (a zip: libzip) holding
 * Payload/NAME.app/Info.plist. The facts come out of cs_app_facts_read(), the same reading the live
 * check (appcheck.c) applies to installation_proxy's answer, so a replay gets exactly what a live
 * session with the phone attached would get.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <plist/plist.h>
#include <zip.h>

#include "callsightd.h"

/* An Info.plist is a few KiB; anything this large is not one (and is not read into memory). */
#define MAX_PLIST_BYTES (8u << 20)

/* Parse an Info.plist held in memory (XML or binary) and read its facts; name is for messages. */
static int
facts_from_plist_bytes(const char *name, const char *data, size_t len, char *bundle, size_t bundlelen,
    struct cs_app_facts *facts, char *modes_json, size_t modeslen, char *err, size_t errlen)
{
	plist_t root = NULL;
	if (len > 0 && len <= MAX_PLIST_BYTES) {
		/* libplist 2.2 .. 2.6 agree on these two (plist_from_memory's signature changed in 2.3) */
		if (plist_is_binary(data, (uint32_t)len))
			plist_from_bin(data, (uint32_t)len, &root);
		else
			plist_from_xml(data, (uint32_t)len, &root);
	}
	if (root == NULL) {
		snprintf(err, errlen, "%s: not a property list (XML or binary)", name);
		return -1;
	}
	if (plist_get_node_type(root) != PLIST_DICT) {
		snprintf(err, errlen, "%s: the property list is not a dictionary, so not an Info.plist", name);
		plist_free(root);
		return -1;
	}
	cs_app_facts_read(root, facts, bundle, bundlelen, modes_json, modeslen);
	plist_free(root);
	if (bundle[0] == '\0') {
		snprintf(err, errlen, "%s: no CFBundleIdentifier, so not an app's Info.plist", name);
		return -1;
	}
	return 0;
}

/* Read a whole regular file of at most MAX_PLIST_BYTES; the caller frees *out. */
static int
read_small_file(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_size > (off_t)MAX_PLIST_BYTES)
		why = "too large for an Info.plist";
	if (why) {
		snprintf(err, errlen, "%s: %s", path, why);
		close(fd);
		return -1;
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = malloc(cap);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0 || (len += (size_t)n) == cap)
			break;
	}
	close(fd);
	if (len == cap) {	/* grew while we read it: still not an Info.plist we can trust */
		snprintf(err, errlen, "%s: changed while being read", path);
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* The app's Info.plist inside an .ipa: Payload/<one>.app/Info.plist (not a nested bundle's). */
static int
facts_from_ipa(const char *path, char *bundle, size_t bundlelen, struct cs_app_facts *facts,
    char *modes_json, size_t modeslen, char *err, size_t errlen)
{
	int zerr = 0;
	zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
	if (za == NULL) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		snprintf(err, errlen, "%s: not a readable .ipa (zip): %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	zip_int64_t found = -1;
	zip_int64_t n = zip_get_num_entries(za, 0);
	for (zip_int64_t i = 0; i < n && found < 0; i++) {
		const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
		if (name == NULL || strncmp(name, "Payload/", 8) != 0)
			continue;
		const char *app = name + 8;
		const char *dot = strstr(app, ".app/");
		if (dot && dot > app && memchr(app, '/', (size_t)(dot - app)) == NULL &&
		    strcmp(dot + 5, "Info.plist") == 0)
			found = i;
	}
	if (found < 0) {
		snprintf(err, errlen, "%s: no Payload/NAME.app/Info.plist in the archive, so not an .ipa", path);
		zip_close(za);
		return -1;
	}
	zip_stat_t zs;
	if (zip_stat_index(za, (zip_uint64_t)found, 0, &zs) < 0 || !(zs.valid & ZIP_STAT_SIZE) ||
	    zs.size > MAX_PLIST_BYTES) {
		snprintf(err, errlen, "%s: %s is missing its size or too large", path,
		    zip_get_name(za, (zip_uint64_t)found, 0));
		zip_close(za);
		return -1;
	}
	char *buf = malloc(zs.size ? (size_t)zs.size : 1);
	zip_file_t *zf = buf ? zip_fopen_index(za, (zip_uint64_t)found, 0) : NULL;
	zip_int64_t got = zf ? zip_fread(zf, buf, zs.size) : -1;
	if (zf)
		zip_fclose(zf);
	char name[512];
	snprintf(name, sizeof name, "%s: %s", path, zs.name ? zs.name : "Info.plist");
	int rc;
	if (got < 0 || (zip_uint64_t)got != zs.size) {
		snprintf(err, errlen, "%s: cannot be read: %s", name, zip_strerror(za));
		rc = -1;
	} else {
		rc = facts_from_plist_bytes(name, buf, (size_t)got, bundle, bundlelen, facts, modes_json,
		    modeslen, err, errlen);
	}
	free(buf);
	zip_close(za);
	return rc;
}

int
cs_appinfo_load(const char *path, char *bundle, size_t bundlelen, struct cs_app_facts *facts,
    char *modes_json, size_t modeslen, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char plist_path[4096];
	const char *file = path;
	if (S_ISDIR(st.st_mode)) {	/* an .app folder */
		if ((size_t)snprintf(plist_path, sizeof plist_path, "%s/Info.plist", path) >= sizeof plist_path) {
			snprintf(err, errlen, "%s: path too long", path);
			return -1;
		}
		if (access(plist_path, F_OK) < 0) {
			snprintf(err, errlen, "%s: a folder without an Info.plist, so not an .app", path);
			return -1;
		}
		file = plist_path;
	}
	char *data = NULL;
	size_t len = 0;
	if (!S_ISDIR(st.st_mode) && S_ISREG(st.st_mode) && st.st_size >= 4) {
		/* a zip (an .ipa) starts with a local file header */
		char magic[4] = { 0 };
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t m = fd >= 0 ? read(fd, magic, sizeof magic) : -1;
		if (fd >= 0)
			close(fd);
		if (m == 4 && memcmp(magic, "PK\x03\x04", 4) == 0)
			return facts_from_ipa(path, bundle, bundlelen, facts, modes_json, modeslen, err, errlen);
	}
	if (read_small_file(file, &data, &len, err, errlen) < 0)
		return -1;
	int rc = facts_from_plist_bytes(file, data, len, bundle, bundlelen, facts, modes_json, modeslen,
	    err, errlen);
	free(data);
	return rc;
}
