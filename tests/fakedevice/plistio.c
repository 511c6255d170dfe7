/* plistio.c - plist helpers shared by the device services: parsing what a host sends (XML or
 * binary, libimobiledevice uses both) and the lockdownd framing (4-byte big-endian length +
 * plist) that installation_proxy uses too. Replies are always XML, as the device sends them. */
#include "fakeiphone.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FRAME (16u << 20)

plist_t plist_parse(const char *data, size_t len)
{
	plist_t p = NULL;
	if (len >= 8 && memcmp(data, "bplist00", 8) == 0)
		plist_from_bin(data, (uint32_t)len, &p);
	else if (len > 0)
		plist_from_xml(data, (uint32_t)len, &p);
	return p;
}

void send_framed_plist(struct fk *fk, struct conn *c, plist_t p)
{
	char *xml = NULL;
	uint32_t len = 0;
	plist_to_xml(p, &xml, &len);
	unsigned char hdr[4] = { len >> 24, len >> 16, len >> 8, len };
	buf_append(&c->out, hdr, 4);
	conn_send(fk, c, xml, len);
	free(xml);
}

/* the next complete frame's plist, NULL if none yet; *bad set on garbage (caller closes) */
plist_t take_framed_plist(struct conn *c, int *bad)
{
	*bad = 0;
	size_t avail = c->in.len - c->in.off;
	if (avail < 4)
		return NULL;
	const unsigned char *h = (const unsigned char *)c->in.p + c->in.off;
	uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	if (len == 0 || len > MAX_FRAME) {
		*bad = 1;
		return NULL;
	}
	if (avail < 4 + (size_t)len)
		return NULL;
	plist_t p = plist_parse(c->in.p + c->in.off + 4, len);
	buf_consume(&c->in, 4 + (size_t)len);
	if (!p || plist_get_node_type(p) != PLIST_DICT) {
		plist_free(p);
		*bad = 1;
		return NULL;
	}
	return p;
}

char *dict_string(plist_t dict, const char *key)
{
	plist_t n = plist_dict_get_item(dict, key);
	char *s = NULL;
	if (n && plist_get_node_type(n) == PLIST_STRING)
		plist_get_string_val(n, &s);
	return s;
}

uint64_t dict_uint(plist_t dict, const char *key, uint64_t def)
{
	plist_t n = plist_dict_get_item(dict, key);
	uint64_t v = def;
	if (n && plist_get_node_type(n) == PLIST_UINT)
		plist_get_uint_val(n, &v);
	return v;
}
