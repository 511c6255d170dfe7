/* usbmux.c - the usbmuxd side of fakeiphone: the Unix (and optional loopback TCP) listener and
 * the plist protocol libusbmuxd speaks: 16-byte little-endian header + XML plist, ListDevices,
 * Listen (Attached/Detached), Connect (the socket then becomes a tunnel to a device port),
 * pair records and the BUID. Replies are XML only: libusbmuxd cannot read binary plists. */
#include "fakeiphone.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HDR_LEN 16
#define MSG_PLIST 8
#define RESULT_OK 0
#define RESULT_BADCOMMAND 1
#define RESULT_BADDEV 2
#define RESULT_CONNREFUSED 3
#define MAX_MUX_MSG (4u << 20)

int usbmux_open(struct fk *fk)
{
	fk->mux_fd = listen_unix(fk->mux_path);
	if (fk->mux_fd < 0)
		return -1;
	fk->tcp_fd = -1;
	if (fk->tcp_port > 0 && (fk->tcp_fd = listen_tcp_loopback(fk->tcp_port)) < 0)
		return -1;
	vlog(fk, "usbmuxd listening on %s%s", fk->mux_path, fk->tcp_port > 0 ? " and 127.0.0.1 TCP" : "");
	return 0;
}

void usbmux_close(struct fk *fk)
{
	if (fk->mux_fd >= 0) {
		close(fk->mux_fd);
		unlink(fk->mux_path);
	}
	if (fk->tcp_fd >= 0)
		close(fk->tcp_fd);
	fk->mux_fd = fk->tcp_fd = -1;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void mux_send(struct fk *fk, struct conn *c, uint32_t tag, plist_t p)
{
	char *xml = NULL;
	uint32_t len = 0;
	unsigned char hdr[HDR_LEN];
	plist_to_xml(p, &xml, &len);
	put_le32(hdr, HDR_LEN + len);
	put_le32(hdr + 4, 1);
	put_le32(hdr + 8, MSG_PLIST);
	put_le32(hdr + 12, tag);
	buf_append(&c->out, hdr, HDR_LEN);
	conn_send(fk, c, xml, len);
	free(xml);
}

static void mux_result(struct fk *fk, struct conn *c, uint32_t tag, uint32_t number)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "MessageType", plist_new_string("Result"));
	plist_dict_set_item(p, "Number", plist_new_uint(number));
	mux_send(fk, c, tag, p);
	plist_free(p);
}

static plist_t device_record(const struct device *d)
{
	plist_t props = plist_new_dict();
	plist_dict_set_item(props, "ConnectionSpeed", plist_new_uint(480000000));
	plist_dict_set_item(props, "ConnectionType", plist_new_string("USB"));
	plist_dict_set_item(props, "DeviceID", plist_new_uint(d->id));
	plist_dict_set_item(props, "LocationID", plist_new_uint(0x14100000u + d->id));
	plist_dict_set_item(props, "ProductID", plist_new_uint(0x12a8));
	plist_dict_set_item(props, "SerialNumber", plist_new_string(d->serial));
	plist_t rec = plist_new_dict();
	plist_dict_set_item(rec, "DeviceID", plist_new_uint(d->id));
	plist_dict_set_item(rec, "MessageType", plist_new_string("Attached"));
	plist_dict_set_item(rec, "Properties", props);
	return rec;
}

static void on_list_devices(struct fk *fk, struct conn *c, uint32_t tag)
{
	plist_t list = plist_new_array();
	for (size_t i = 0; i < fk->ndevs; i++)
		if (fk->devs[i].attached)
			plist_array_append_item(list, device_record(&fk->devs[i]));
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "DeviceList", list);
	mux_send(fk, c, tag, p);
	plist_free(p);
}

static void on_listen(struct fk *fk, struct conn *c, uint32_t tag)
{
	mux_result(fk, c, tag, RESULT_OK);
	c->kind = C_LISTEN;
	for (size_t i = 0; i < fk->ndevs; i++)
		if (fk->devs[i].attached) {
			plist_t rec = device_record(&fk->devs[i]);
			mux_send(fk, c, 0, rec);
			plist_free(rec);
		}
}

static enum svc port_service(struct device *d, uint16_t port)
{
	for (int i = 0; i < MAX_PORTS; i++)
		if (d->ports[i].port == port && d->ports[i].svc != SVC_NONE) {
			enum svc s = d->ports[i].svc;
			d->ports[i].svc = SVC_NONE;	/* a service port takes one connection */
			d->ports[i].port = 0;
			return s;
		}
	return SVC_NONE;
}

static void on_connect(struct fk *fk, struct conn *c, uint32_t tag, plist_t msg)
{
	struct device *d = device_by_id(fk, (uint32_t)dict_uint(msg, "DeviceID", 0));
	uint16_t raw = (uint16_t)dict_uint(msg, "PortNumber", 0);
	uint16_t port = (uint16_t)(raw >> 8 | raw << 8);	/* sent in network order */
	if (!d || !d->attached) {
		vlog(fk, "Connect: no device %u", (unsigned)dict_uint(msg, "DeviceID", 0));
		mux_result(fk, c, tag, RESULT_BADDEV);
		return;
	}
	enum conn_kind kind = C_LOCKDOWN;
	if (port != LOCKDOWN_PORT) {
		enum svc s = port_service(d, port);
		if (s == SVC_NONE) {
			vlog(fk, "Connect: %s port %u refused", d->udid, port);
			mux_result(fk, c, tag, RESULT_CONNREFUSED);
			return;
		}
		static const enum conn_kind kinds[] = {
			[SVC_SYSLOG] = C_SYSLOG, [SVC_INSTPROXY] = C_INSTPROXY,
			[SVC_CRASHMOVER] = C_CRASHMOVER, [SVC_AFC] = C_AFC,
		};
		kind = kinds[s];
	}
	vlog(fk, "Connect: %s port %u", d->udid, port);
	mux_result(fk, c, tag, RESULT_OK);
	c->dev = d;
	c->kind = kind;
	if (kind == C_SYSLOG)
		syslog_connected(fk, c);
	else if (kind == C_CRASHMOVER)
		crashmover_connected(fk, c);
}

static struct device *pair_device(struct fk *fk, plist_t msg)
{
	char *id = dict_string(msg, "PairRecordID");
	struct device *d = id ? device_find(fk, id) : NULL;
	free(id);
	if (!d)
		d = device_by_id(fk, (uint32_t)dict_uint(msg, "DeviceID", 0));
	return d;
}

static void on_read_pair_record(struct fk *fk, struct conn *c, uint32_t tag, plist_t msg)
{
	struct device *d = pair_device(fk, msg);
	if (!d || !d->pair) {
		vlog(fk, "ReadPairRecord: none for %s", d ? d->udid : "unknown device");
		mux_result(fk, c, tag, RESULT_BADDEV);
		return;
	}
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "PairRecordData", plist_new_data(d->pair, d->pairlen));
	mux_send(fk, c, tag, p);
	plist_free(p);
}

static void on_save_pair_record(struct fk *fk, struct conn *c, uint32_t tag, plist_t msg)
{
	struct device *d = pair_device(fk, msg);
	plist_t n = plist_dict_get_item(msg, "PairRecordData");
	if (!d || !n || plist_get_node_type(n) != PLIST_DATA) {
		mux_result(fk, c, tag, RESULT_BADDEV);
		return;
	}
	char *data = NULL;
	uint64_t len = 0;
	plist_get_data_val(n, &data, &len);
	free(d->pair);
	d->pair = data;
	d->pairlen = (size_t)len;
	vlog(fk, "SavePairRecord: %s (%zu bytes)", d->udid, d->pairlen);
	mux_result(fk, c, tag, RESULT_OK);
}

static void on_delete_pair_record(struct fk *fk, struct conn *c, uint32_t tag, plist_t msg)
{
	struct device *d = pair_device(fk, msg);
	if (d) {
		free(d->pair);
		d->pair = NULL;
		d->pairlen = 0;
		vlog(fk, "DeletePairRecord: %s", d->udid);
	}
	mux_result(fk, c, tag, RESULT_OK);
}

static void on_read_buid(struct fk *fk, struct conn *c, uint32_t tag)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "BUID", plist_new_string(fk->buid));
	mux_send(fk, c, tag, p);
	plist_free(p);
}

static void handle_message(struct fk *fk, struct conn *c, uint32_t tag, plist_t msg)
{
	char *type = dict_string(msg, "MessageType");
	vlog(fk, "usbmuxd <- %s (tag %u)", type ? type : "?", tag);
	if (!type)
		mux_result(fk, c, tag, RESULT_BADCOMMAND);
	else if (!strcmp(type, "ListDevices"))
		on_list_devices(fk, c, tag);
	else if (!strcmp(type, "Listen"))
		on_listen(fk, c, tag);
	else if (!strcmp(type, "Connect"))
		on_connect(fk, c, tag, msg);
	else if (!strcmp(type, "ReadPairRecord"))
		on_read_pair_record(fk, c, tag, msg);
	else if (!strcmp(type, "SavePairRecord"))
		on_save_pair_record(fk, c, tag, msg);
	else if (!strcmp(type, "DeletePairRecord"))
		on_delete_pair_record(fk, c, tag, msg);
	else if (!strcmp(type, "ReadBUID"))
		on_read_buid(fk, c, tag);
	else
		mux_result(fk, c, tag, RESULT_BADCOMMAND);
	free(type);
}

/* handles complete messages until the connection turns into a tunnel or a listener */
void usbmux_input(struct fk *fk, struct conn *c)
{
	while (c->kind == C_MUX && !c->dead && c->in.len - c->in.off >= HDR_LEN) {
		const unsigned char *h = (const unsigned char *)c->in.p + c->in.off;
		uint32_t len = get_le32(h), type = get_le32(h + 8), tag = get_le32(h + 12);
		if (len < HDR_LEN || len > MAX_MUX_MSG) {
			conn_kill(fk, c, "bad usbmuxd header");
			return;
		}
		if (c->in.len - c->in.off < len)
			return;
		plist_t msg = type == MSG_PLIST ? plist_parse(c->in.p + c->in.off + HDR_LEN, len - HDR_LEN) : NULL;
		buf_consume(&c->in, len);
		if (msg && plist_get_node_type(msg) == PLIST_DICT)
			handle_message(fk, c, tag, msg);
		else
			mux_result(fk, c, tag, RESULT_BADCOMMAND);
		plist_free(msg);
	}
}

static void notify_listeners(struct fk *fk, plist_t p)
{
	for (struct conn *c = fk->conns; c; c = c->next)
		if (c->kind == C_LISTEN && !c->dead)
			mux_send(fk, c, 0, p);
}

void usbmux_attached(struct fk *fk, struct device *d)
{
	plist_t rec = device_record(d);
	notify_listeners(fk, rec);
	plist_free(rec);
}

void usbmux_detached(struct fk *fk, struct device *d)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "MessageType", plist_new_string("Detached"));
	plist_dict_set_item(p, "DeviceID", plist_new_uint(d->id));
	notify_listeners(fk, p);
	plist_free(p);
}
