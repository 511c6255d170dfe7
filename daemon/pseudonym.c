/*
 * pseudonym.c - stable pseudonyms for the phones in a redacted bug-report bundle: the owner's name
 * ("Anna Smith's iPhone", also as the hostname its syslog lines carry, "Anna-Smiths-iPhone") and
 * the UDID (with and without its dash, either case) become "phone-1a2b3c4d" and
 * "device-1a2b3c4d" in every record, the HTML and the bundle's folder name. The 8 hex digits are
 * HMAC-SHA256(key, UDID) with a key of 32 random bytes drawn for each bundle and never stored: the
 * same phone reads the same everywhere in one bundle, and two bundles cannot be linked or the
 * UDID recovered. OpenSSL's libcrypto does the HMAC and the random key (well-kept, and the
 * daemon already links it for --forward); the replacing is plain longest-first string search.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "callsightd.h"

#define KEY_BYTES	32

struct alias {
	char	*from, *to;
};

struct cs_pseudonyms {
	unsigned char	 key[KEY_BYTES];
	struct alias	*v;
	size_t		 n, cap;
};

struct cs_pseudonyms *
cs_pseudonyms_new(void)
{
	struct cs_pseudonyms *p = cs_xcalloc(1, sizeof *p);
	if (RAND_bytes(p->key, sizeof p->key) != 1) {
		free(p);
		return NULL;
	}
	return p;
}

static void
add_alias(struct cs_pseudonyms *p, const char *from, const char *to)
{
	if (from[0] == '\0' || strcmp(from, to) == 0)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].from, from) == 0)
			return;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->v = cs_xrealloc(p->v, p->cap * sizeof *p->v);
	}
	/* kept longest first, so that a whole name is replaced before any shorter alias inside it */
	size_t at = p->n, len = strlen(from);
	while (at > 0 && strlen(p->v[at - 1].from) < len) {
		p->v[at] = p->v[at - 1];
		at--;
	}
	p->v[at].from = cs_xstrdup(from);
	p->v[at].to = cs_xstrdup(to);
	p->n++;
}

/* a name that says nothing about its owner stays ("iPhone", "iPad", one or two letters) */
static bool
personal_name(const char *name)
{
	static const char *const generic[] = { "iPhone", "iPad", "iPod", "iPod touch", "Apple Watch" };
	if (strlen(name) < 3)
		return false;
	for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
		if (strcmp(name, generic[i]) == 0)
			return false;
	return true;
}

/* "Anna Smith's iPhone" as a hostname in its syslog lines: other characters than letters and
 * digits become a single '-', the apostrophe (' or U+2019) dropped ("Anna-Smiths-iPhone") or,
 * as some tools write it, a '-' too ("Anna-Smith-s-iPhone") */
static void
host_form(const char *name, bool drop_apostrophe, char *out, size_t len)
{
	size_t o = 0;
	for (const unsigned char *s = (const unsigned char *)name; *s && o + 1 < len; s++) {
		bool apostrophe = *s == '\'' || (s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0x99 && (s += 2));
		if (apostrophe && drop_apostrophe)
			continue;
		if (isalnum(*s))
			out[o++] = (char)*s;
		else if (o > 0 && out[o - 1] != '-')
			out[o++] = '-';
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	out[o] = '\0';
}

void
cs_pseudonyms_add_device(struct cs_pseudonyms *p, const char *udid, const char *name)
{
	if (udid == NULL || udid[0] == '\0')
		return;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	if (HMAC(EVP_sha256(), p->key, sizeof p->key, (const unsigned char *)udid, strlen(udid), mac,
	    &maclen) == NULL || maclen < 4)
		memset(mac, 0, 4);
	char hex[9], dev[32], phone[32];
	snprintf(hex, sizeof hex, "%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3]);
	snprintf(dev, sizeof dev, "device-%s", hex);
	snprintf(phone, sizeof phone, "phone-%s", hex);
	/* the UDID as given, without its dash, and in either case */
	char forms[4][128];
	size_t k = 0;
	cs_strlcpy(forms[0], udid, sizeof forms[0]);
	for (const char *s = udid; *s && k + 1 < sizeof forms[1]; s++)
		if (*s != '-')
			forms[1][k++] = *s;
	forms[1][k] = '\0';
	for (int f = 0; f < 2; f++) {
		for (k = 0; forms[f][k]; k++) {
			forms[2 + f][k] = (char)(isupper((unsigned char)forms[f][k]) ?
			    tolower((unsigned char)forms[f][k]) : toupper((unsigned char)forms[f][k]));
		}
		forms[2 + f][k] = '\0';
	}
	for (int f = 0; f < 4; f++)
		if (strlen(forms[f]) >= 8)	/* a short id ("a.log") is no UDID: the exact form only */
			add_alias(p, forms[f], dev);
	add_alias(p, udid, dev);
	if (name != NULL && personal_name(name)) {
		char host[256];
		add_alias(p, name, phone);
		for (int drop = 0; drop < 2; drop++) {
			host_form(name, drop, host, sizeof host);
			if (personal_name(host))
				add_alias(p, host, phone);
		}
	}
}

/* s with every alias replaced (longest first, so a name wins over its parts); NULL: unchanged */
char *
cs_pseudonyms_apply(const struct cs_pseudonyms *p, const char *s)
{
	char *cur = NULL;
	for (size_t i = 0; i < p->n; i++) {
		const struct alias *a = &p->v[i];
		const char *src = cur ? cur : s;
		if (strstr(src, a->from) == NULL)
			continue;
		size_t fl = strlen(a->from), tl = strlen(a->to), n = 0;
		for (const char *q = src; (q = strstr(q, a->from)) != NULL; q += fl)
			n++;
		char *out = cs_xmalloc(strlen(src) + n * (tl > fl ? tl - fl : 0) + 1), *o = out;
		for (const char *q = src, *hit; ; q = hit + fl) {
			hit = strstr(q, a->from);
			size_t keep = hit ? (size_t)(hit - q) : strlen(q);
			memcpy(o, q, keep);
			o += keep;
			if (hit == NULL)
				break;
			memcpy(o, a->to, tl);
			o += tl;
		}
		*o = '\0';
		free(cur);
		cur = out;
	}
	return cur;
}

void
cs_pseudonyms_free(struct cs_pseudonyms *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].from);
		free(p->v[i].to);
	}
	free(p->v);
	free(p);
}
