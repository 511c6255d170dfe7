/* lockdown.c - lockdownd (port 62078) of a fake device: QueryType, GetValue, pairing, sessions
 * (optionally TLS on the same socket), StartService and the errors a real phone answers
 * (InvalidService, PasswordProtected, ...). Every reply echoes Request, or libimobiledevice
 * fails the handshake. Services started here are connectable once through usbmuxd Connect. */
#include "fakeiphone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply(struct fk *fk, struct conn *c, plist_t p)
{
	send_framed_plist(fk, c, p);
	plist_free(p);
}

static plist_t answer(const char *request)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "Request", plist_new_string(request));
	return p;
}

static void error_reply(struct fk *fk, struct conn *c, const char *request, const char *error)
{
	plist_t p = answer(request);
	plist_dict_set_item(p, "Error", plist_new_string(error));
	vlog(fk, "%s: lockdownd %s -> %s", c->dev->udid, request, error);
	reply(fk, c, p);
}

static void set_str(plist_t d, const char *k, const char *v)
{
	plist_dict_set_item(d, k, plist_new_string(v));
}

static plist_t device_values(struct device *d)
{
	plist_t v = plist_new_dict();
	set_str(v, "ActivationState", "Activated");
	set_str(v, "BasebandVersion", "4.02.01");
	set_str(v, "BluetoothAddress", "f0:99:b6:12:34:56");
	set_str(v, "BuildVersion", d->build);
	set_str(v, "CPUArchitecture", "arm64e");
	set_str(v, "DeviceClass", "iPhone");
	set_str(v, "DeviceColor", "1");
	set_str(v, "DeviceName", d->name);
	if (tls_device_keys(d) == 0)
		plist_dict_set_item(v, "DevicePublicKey", plist_new_data(d->pubpem, d->pubpemlen));
	set_str(v, "HardwareModel", "D79AP");
	plist_dict_set_item(v, "PasswordProtected", plist_new_bool(d->locked));
	set_str(v, "ProductName", "iPhone OS");
	set_str(v, "ProductType", d->product);
	set_str(v, "ProductVersion", d->version);
	set_str(v, "ProtocolVersion", "2");
	set_str(v, "SerialNumber", "F2LFAKE0N72J");
	set_str(v, "TimeZone", "Europe/Berlin");
	plist_dict_set_item(v, "TrustedHostAttached", plist_new_bool(d->pair != NULL));
	plist_dict_set_item(v, "UniqueChipID", plist_new_uint(0x1A2D1E3C02802EULL + d->id));
	set_str(v, "UniqueDeviceID", d->udid);
	set_str(v, "WiFiAddress", "f0:99:b6:12:34:57");
	return v;
}

static void on_get_value(struct fk *fk, struct conn *c, plist_t msg)
{
	char *key = dict_string(msg, "Key");
	char *domain = dict_string(msg, "Domain");
	plist_t all = domain ? plist_new_dict() : device_values(c->dev);	/* other domains: empty */
	plist_t p = answer("GetValue");
	if (domain)
		set_str(p, "Domain", domain);
	if (!key) {
		plist_dict_set_item(p, "Value", all);
		all = NULL;
	} else {
		set_str(p, "Key", key);
		plist_t v = plist_dict_get_item(all, key);
		if (v)
			plist_dict_set_item(p, "Value", plist_copy(v));
		else
			set_str(p, "Error", "MissingValue");
	}
	vlog(fk, "%s: GetValue %s%s%s", c->dev->udid, domain ? domain : "", domain ? "/" : "", key ? key : "(all)");
	plist_free(all);
	free(key);
	free(domain);
	reply(fk, c, p);
}

static void on_pair(struct fk *fk, struct conn *c, const char *request)
{
	if (!strcmp(request, "Pair") && c->dev->locked) {
		error_reply(fk, c, request, "PasswordProtected");
		return;
	}
	vlog(fk, "%s: %s ok", c->dev->udid, request);
	reply(fk, c, answer(request));
}

static void on_start_session(struct fk *fk, struct conn *c)
{
	if (!c->dev->pair) {
		error_reply(fk, c, "StartSession", "InvalidHostID");
		return;
	}
	char sid[40];
	snprintf(sid, sizeof(sid), "%08X-FA4E-4E5B-9C1D-%012llX", c->dev->id,
		 (unsigned long long)(fk->rng++ & 0xffffffffffffULL));
	plist_t p = answer("StartSession");
	set_str(p, "SessionID", sid);
	plist_dict_set_item(p, "EnableSessionSSL", plist_new_bool(c->dev->ssl));
	c->session = 1;
	vlog(fk, "%s: StartSession (SSL %s)", c->dev->udid, c->dev->ssl ? "on" : "off");
	if (c->dev->ssl && c->tls == TLS_OFF)
		c->tls = TLS_PENDING;	/* TLS starts once this reply is out, on the same socket */
	reply(fk, c, p);
}

static void on_stop_session(struct fk *fk, struct conn *c, plist_t msg)
{
	char *sid = dict_string(msg, "SessionID");
	plist_t p = answer("StopSession");
	if (sid)
		set_str(p, "SessionID", sid);
	free(sid);
	c->session = 0;
	vlog(fk, "%s: StopSession", c->dev->udid);
	reply(fk, c, p);
}

static enum svc service_kind(const char *name)
{
	if (!strcmp(name, "com.apple.syslog_relay"))
		return SVC_SYSLOG;
	if (!strcmp(name, "com.apple.mobile.installation_proxy"))
		return SVC_INSTPROXY;
	if (!strcmp(name, "com.apple.crashreportmover"))
		return SVC_CRASHMOVER;
	if (!strcmp(name, "com.apple.crashreportcopymobile"))
		return SVC_AFC;
	return SVC_NONE;
}

static uint16_t open_port(struct device *d, enum svc s)
{
	int slot = 0;
	for (int i = 0; i < MAX_PORTS; i++)
		if (d->ports[i].svc == SVC_NONE) {
			slot = i;
			break;
		}
	if (d->next_port < 49152 || d->next_port > 65000)
		d->next_port = (uint16_t)(49152 + d->id * 100);
	uint16_t port = d->next_port++;
	d->ports[slot].port = port;
	d->ports[slot].svc = s;
	return port;
}

static void on_start_service(struct fk *fk, struct conn *c, plist_t msg)
{
	char *name = dict_string(msg, "Service");
	enum svc s = name ? service_kind(name) : SVC_NONE;
	if (!name)
		error_reply(fk, c, "StartService", "MissingService");
	else if (!c->session)
		error_reply(fk, c, "StartService", "SessionInactive");
	else if (c->dev->locked)
		error_reply(fk, c, "StartService", "PasswordProtected");
	else if (s == SVC_NONE)
		error_reply(fk, c, "StartService", "InvalidService");
	else {
		uint16_t port = open_port(c->dev, s);
		plist_t p = answer("StartService");
		set_str(p, "Service", name);
		plist_dict_set_item(p, "Port", plist_new_uint(port));
		plist_dict_set_item(p, "EnableServiceSSL", plist_new_bool(0));
		vlog(fk, "%s: StartService %s -> port %u", c->dev->udid, name, port);
		reply(fk, c, p);
	}
	free(name);
}

static void handle_request(struct fk *fk, struct conn *c, plist_t msg)
{
	char *req = dict_string(msg, "Request");
	if (!req) {
		error_reply(fk, c, "", "MissingRequest");
	} else if (!strcmp(req, "QueryType")) {
		plist_t p = answer("QueryType");
		set_str(p, "Type", "com.apple.mobile.lockdown");
		reply(fk, c, p);
	} else if (!strcmp(req, "GetValue")) {
		on_get_value(fk, c, msg);
	} else if (!strcmp(req, "SetValue") || !strcmp(req, "RemoveValue")) {
		reply(fk, c, answer(req));
	} else if (!strcmp(req, "Pair") || !strcmp(req, "ValidatePair") || !strcmp(req, "Unpair")) {
		on_pair(fk, c, req);
	} else if (!strcmp(req, "StartSession")) {
		on_start_session(fk, c);
	} else if (!strcmp(req, "StopSession")) {
		on_stop_session(fk, c, msg);
	} else if (!strcmp(req, "StartService")) {
		on_start_service(fk, c, msg);
	} else if (!strcmp(req, "Goodbye")) {
		c->close_after_flush = 1;
		reply(fk, c, answer(req));
	} else {
		error_reply(fk, c, req, "InvalidRequest");
	}
	free(req);
}

void lockdown_input(struct fk *fk, struct conn *c)
{
	int bad = 0;
	plist_t msg;
	while (!c->dead && c->tls != TLS_HANDSHAKE && (msg = take_framed_plist(c, &bad)) != NULL) {
		handle_request(fk, c, msg);
		plist_free(msg);
	}
	if (bad)
		conn_kill(fk, c, "bad lockdownd frame");
}
