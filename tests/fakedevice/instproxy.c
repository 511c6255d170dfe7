/* instproxy.c - com.apple.mobile.installation_proxy of a fake device, enough for
 * `ideviceinstaller -l` and for callsight's app check: Browse (answered in batches of
 * BrowsingApplications, then Complete) and Lookup, honouring ApplicationType and ReturnAttributes.
 * Same framing as lockdownd; the request key is Command. */
#include "fakeiphone.h"

#include <stdlib.h>
#include <string.h>

#define BATCH 2

static void set_str(plist_t d, const char *k, const char *v)
{
	if (v)
		plist_dict_set_item(d, k, plist_new_string(v));
}

static plist_t modes_array(const char *csv)
{
	plist_t a = plist_new_array();
	char *copy = strdup(csv), *save = NULL;
	for (char *t = strtok_r(copy, ",+ ", &save); t; t = strtok_r(NULL, ",+ ", &save))
		plist_array_append_item(a, plist_new_string(t));
	free(copy);
	return a;
}

static plist_t app_dict(const struct device *d, const struct app *a)
{
	plist_t p = plist_new_dict();
	set_str(p, "ApplicationType", "User");
	set_str(p, "CFBundleDisplayName", a->name);
	set_str(p, "CFBundleExecutable", a->name);
	set_str(p, "CFBundleIdentifier", a->bundle);
	set_str(p, "CFBundleName", a->name);
	set_str(p, "CFBundlePackageType", "APPL");
	set_str(p, "CFBundleShortVersionString", a->version);
	set_str(p, "CFBundleVersion", a->version);
	set_str(p, "MinimumOSVersion", "13.0");
	set_str(p, "NSCameraUsageDescription", a->camera);
	set_str(p, "NSMicrophoneUsageDescription", a->mic);
	if (a->modes && *a->modes)
		plist_dict_set_item(p, "UIBackgroundModes", modes_array(a->modes));
	(void)d;
	return p;
}

/* keeps only the requested attributes, as the device does */
static plist_t filtered(plist_t app, plist_t attrs)
{
	if (!attrs || plist_get_node_type(attrs) != PLIST_ARRAY)
		return app;
	plist_t out = plist_new_dict();
	for (uint32_t i = 0; i < plist_array_get_size(attrs); i++) {
		char *k = NULL;
		plist_get_string_val(plist_array_get_item(attrs, i), &k);
		plist_t v = k ? plist_dict_get_item(app, k) : NULL;
		if (v)
			plist_dict_set_item(out, k, plist_copy(v));
		free(k);
	}
	plist_free(app);
	return out;
}

static int type_matches(plist_t opts)
{
	char *type = opts ? dict_string(opts, "ApplicationType") : NULL;
	int ok = !type || !strcmp(type, "User") || !strcmp(type, "Any");
	free(type);
	return ok;
}

static void send_status(struct fk *fk, struct conn *c, plist_t p)
{
	send_framed_plist(fk, c, p);
	plist_free(p);
}

static plist_t complete(void)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "Status", plist_new_string("Complete"));
	return p;
}

static void on_browse(struct fk *fk, struct conn *c, plist_t opts)
{
	struct device *d = c->dev;
	plist_t attrs = opts ? plist_dict_get_item(opts, "ReturnAttributes") : NULL;
	size_t total = type_matches(opts) ? d->napps : 0;
	for (size_t i = 0; i < total; i += BATCH) {
		plist_t list = plist_new_array();
		size_t n = 0;
		for (; n < BATCH && i + n < total; n++)
			plist_array_append_item(list, filtered(app_dict(d, &d->apps[i + n]), attrs));
		plist_t p = plist_new_dict();
		plist_dict_set_item(p, "CurrentAmount", plist_new_uint(n));
		plist_dict_set_item(p, "CurrentIndex", plist_new_uint(i));
		plist_dict_set_item(p, "CurrentList", list);
		plist_dict_set_item(p, "Status", plist_new_string("BrowsingApplications"));
		plist_dict_set_item(p, "Total", plist_new_uint(total));
		send_status(fk, c, p);
	}
	vlog(fk, "%s: Browse -> %zu apps", d->udid, total);
	send_status(fk, c, complete());
}

static int wanted(plist_t ids, const char *bundle)
{
	if (!ids || plist_get_node_type(ids) != PLIST_ARRAY)
		return 1;
	for (uint32_t i = 0; i < plist_array_get_size(ids); i++) {
		char *s = NULL;
		plist_get_string_val(plist_array_get_item(ids, i), &s);
		int eq = s && !strcmp(s, bundle);
		free(s);
		if (eq)
			return 1;
	}
	return 0;
}

static void on_lookup(struct fk *fk, struct conn *c, plist_t opts)
{
	struct device *d = c->dev;
	plist_t attrs = opts ? plist_dict_get_item(opts, "ReturnAttributes") : NULL;
	plist_t ids = opts ? plist_dict_get_item(opts, "BundleIDs") : NULL;
	plist_t result = plist_new_dict();
	for (size_t i = 0; type_matches(opts) && i < d->napps; i++)
		if (wanted(ids, d->apps[i].bundle))
			plist_dict_set_item(result, d->apps[i].bundle, filtered(app_dict(d, &d->apps[i]), attrs));
	plist_t p = complete();
	plist_dict_set_item(p, "LookupResult", result);
	vlog(fk, "%s: Lookup", d->udid);
	send_status(fk, c, p);
}

static void handle_command(struct fk *fk, struct conn *c, plist_t msg)
{
	char *cmd = dict_string(msg, "Command");
	plist_t opts = plist_dict_get_item(msg, "ClientOptions");
	if (opts && plist_get_node_type(opts) != PLIST_DICT)
		opts = NULL;
	if (cmd && !strcmp(cmd, "Browse")) {
		on_browse(fk, c, opts);
	} else if (cmd && !strcmp(cmd, "Lookup")) {
		on_lookup(fk, c, opts);
	} else {
		plist_t p = plist_new_dict();
		plist_dict_set_item(p, "Error", plist_new_string(cmd ? "UnknownCommand" : "MissingCommand"));
		plist_dict_set_item(p, "Status", plist_new_string("Complete"));
		send_status(fk, c, p);
	}
	free(cmd);
}

void instproxy_input(struct fk *fk, struct conn *c)
{
	int bad = 0;
	plist_t msg;
	while (!c->dead && (msg = take_framed_plist(c, &bad)) != NULL) {
		handle_command(fk, c, msg);
		plist_free(msg);
	}
	if (bad)
		conn_kill(fk, c, "bad installation_proxy frame");
}
