/*
 * appcheck.c - what the installed app declares, read straight from the phone through
 * com.apple.mobile.installation_proxy: its UIBackgroundModes (is `audio` / `voip` there?) and its
 * microphone / camera usage descriptions. The diagnosis needs it: without the modes, suspension on
 * lock is certain (missing_background_mode); with them, another cause is at work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libimobiledevice/installation_proxy.h>
#include <libimobiledevice/libimobiledevice.h>

#include "callsightd.h"

static bool
dict_string_eq(plist_t dict, const char *key, const char *want)
{
	plist_t node = plist_dict_get_item(dict, key);
	if (node == NULL || plist_get_node_type(node) != PLIST_STRING)
		return false;
	char *v = NULL;
	plist_get_string_val(node, &v);
	bool eq = v && strcasecmp(v, want) == 0;
	free(v);
	return eq;
}

static bool
has_nonempty_string(plist_t dict, const char *key)
{
	plist_t node = plist_dict_get_item(dict, key);
	if (node == NULL || plist_get_node_type(node) != PLIST_STRING)
		return false;
	char *v = NULL;
	plist_get_string_val(node, &v);
	bool ok = v && v[0];
	free(v);
	return ok;
}

/* the app dict whose bundle id, executable or name is `want` */
static plist_t
find_app(plist_t apps, const char *want)
{
	static const char *const keys[] = { "CFBundleIdentifier", "CFBundleExecutable", "CFBundleName",
		"CFBundleDisplayName" };
	uint32_t n = plist_array_get_size(apps);
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		for (uint32_t i = 0; i < n; i++) {
			plist_t app = plist_array_get_item(apps, i);
			if (plist_get_node_type(app) == PLIST_DICT && dict_string_eq(app, keys[k], want))
				return app;
		}
	return NULL;
}

static void
read_modes(plist_t app, struct cs_app_facts *facts, char *modes_json, size_t modeslen)
{
	size_t used = 0;
	used += (size_t)snprintf(modes_json, modeslen, "[");
	plist_t modes = plist_dict_get_item(app, "UIBackgroundModes");
	uint32_t n = modes && plist_get_node_type(modes) == PLIST_ARRAY ? plist_array_get_size(modes) : 0;
	for (uint32_t i = 0; i < n; i++) {
		plist_t m = plist_array_get_item(modes, i);
		if (plist_get_node_type(m) != PLIST_STRING)
			continue;
		char *v = NULL;
		plist_get_string_val(m, &v);
		if (v == NULL)
			continue;
		if (strcmp(v, "audio") == 0)
			facts->mode_audio = true;
		if (strcmp(v, "voip") == 0)
			facts->mode_voip = true;
		/* mode names are plain identifiers; anything needing escapes is dropped */
		if (strpbrk(v, "\"\\") == NULL && used < modeslen)
			used += (size_t)snprintf(modes_json + used, modeslen - used, "%s\"%s\"",
			    used > 1 ? "," : "", v);
		free(v);
	}
	if (used < modeslen)
		snprintf(modes_json + used, modeslen - used, "]");
	else
		cs_strlcpy(modes_json, "[]", modeslen);
}

/* The one reading of an app's declarations, for the live check (an installation_proxy Browse entry)
 * and for --app-info (the Info.plist of a file, an .app folder or an .ipa): both carry the same keys. */
void
cs_app_facts_read(void *app_dict, struct cs_app_facts *facts, char *bundle, size_t bundlelen,
    char *modes_json, size_t modeslen)
{
	plist_t app = app_dict;
	memset(facts, 0, sizeof *facts);
	facts->known = true;
	facts->microphone_usage = has_nonempty_string(app, "NSMicrophoneUsageDescription");
	facts->camera_usage = has_nonempty_string(app, "NSCameraUsageDescription");
	read_modes(app, facts, modes_json, modeslen);
	char *b = NULL;
	plist_t node = plist_dict_get_item(app, "CFBundleIdentifier");
	if (node && plist_get_node_type(node) == PLIST_STRING)
		plist_get_string_val(node, &b);
	cs_strlcpy(bundle, b ? b : "", bundlelen);
	free(b);
}

int
cs_appcheck(struct idevice_private *device, const char *want, char *found_bundle, size_t foundlen,
    struct cs_app_facts *facts, char *modes_json, size_t modeslen, char *err, size_t errlen)
{
	instproxy_client_t ip = NULL;
	if (instproxy_client_start_service(device, &ip, "callsightd") != INSTPROXY_E_SUCCESS) {
		snprintf(err, errlen, "cannot start installation_proxy");
		return -1;
	}
	plist_t opts = instproxy_client_options_new();
	instproxy_client_options_add(opts, "ApplicationType", "User", NULL);
	instproxy_client_options_set_return_attributes(opts, "CFBundleIdentifier", "CFBundleExecutable",
	    "CFBundleName", "CFBundleDisplayName", "UIBackgroundModes", "NSMicrophoneUsageDescription",
	    "NSCameraUsageDescription", NULL);
	plist_t apps = NULL;
	instproxy_error_t e = instproxy_browse(ip, opts, &apps);
	instproxy_client_options_free(opts);
	instproxy_client_free(ip);
	if (e != INSTPROXY_E_SUCCESS || apps == NULL || plist_get_node_type(apps) != PLIST_ARRAY) {
		snprintf(err, errlen, "installation_proxy Browse failed (%d)", (int)e);
		plist_free(apps);
		return -1;
	}
	plist_t app = find_app(apps, want);
	if (app == NULL) {
		snprintf(err, errlen, "%s is not installed as a user app", want);
		plist_free(apps);
		return -1;
	}
	cs_app_facts_read(app, facts, found_bundle, foundlen, modes_json, modeslen);
	if (found_bundle[0] == '\0')
		cs_strlcpy(found_bundle, want, foundlen);
	plist_free(apps);
	return 0;
}
