/*
 * redact.c - takes secrets out of log text before it leaves the machine in a bug-report bundle:
 * OpenTok tokens (plain and URL-encoded), JWTs, API keys and secrets (AWS, Stripe, Google), bearer
 * credentials, cookies, passwords and passcodes, e-mail addresses (plain, URL-encoded, non-ASCII),
 * phone numbers, IPv4 and IPv6 addresses, Wi-Fi BSSIDs and SSIDs, coordinates, serial numbers and
 * user names in home-folder paths. Each kind is a PCRE2 pattern in a static const table, applied in
 * order with pcre2_substitute.
 *
 * Why it is built this way:
 *  - Line structure is kept: no pattern can match a newline (classes spell out [ \t], never \s),
 *    so a caller may join many texts with '\n', redact once and split them back.
 *  - Look-alikes are kept: time stamps (12:05:02.903672), pids ([4242]), hex addresses
 *    (0x283138450), versions (2.27.2), UUIDs and UDIDs. Every number pattern is fenced with
 *    lookarounds so it cannot start or end inside a longer word, number or dotted/colon run.
 *  - No global mutable state: the patterns are compiled inside each cs_redact() call and freed
 *    before it returns. Compiling the table costs ~0.05 ms, JIT-compiling it ~0.35 ms more; the JIT
 *    makes matching ~10x faster (~4 MB/s -> ~50 MB/s, measured in test_redact), so it is used for
 *    texts over JIT_THRESHOLD bytes. A report batches its texts into a few calls.
 *  - Byte mode (no PCRE2_UTF): the patterns are ASCII, so any bytes are safe to scan, and a
 *    negated class swallows a whole multi-byte character rather than splitting it.
 *  - It fails closed: if anything goes wrong cs_redact returns NULL, never the unredacted text.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "callsightd.h"

/* an IPv4 address: four 0-255 parts */
#define OCTET	"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#define IPV4	"(?:" OCTET "\\.){3}" OCTET
#define H16	"[0-9A-Fa-f]{1,4}"

/* A value that follows a key word: everything up to a blank, quote, separator or markup. An earlier
 * redaction marker is left alone. */
#define VALUE	"(?!\\[redacted)[^ \\t\\r\\n\"'&,;<>\\\\)\\]}]+"
/* e-mail parts; bytes >= 0x80 are the UTF-8 of internationalized addresses (byte mode) */
#define EM_LOCAL "[A-Za-z0-9._%+\\x80-\\xff-]"
#define EM_LABEL "[A-Za-z0-9\\x80-\\xff-]+"
#define EM_TLD	 "(?:[A-Za-z]{2,}|[A-Za-z0-9-]*[\\x80-\\xff][A-Za-z0-9\\x80-\\xff-]*)"
/* not right after an error code's key word: OSStatus values (2003329396) look like phone numbers */
#define NOT_A_CODE "(?<![Cc]ode[ =:])(?<![Ee]rror[ =:])(?<![Ee]rr[ =:])(?<![Ss]tatus[ =:])"

struct redaction {
	const char	*what;		/* for error messages and tests */
	const char	*pattern;
	const char	*replacement;	/* ${1} keeps the key that introduced a secret */
	uint32_t	 options;
};

static const struct redaction redactions[] = {
	/* OpenTok / Vonage tokens: "T1==" then base64 */
	{ "token", "T1==[A-Za-z0-9+/=]+", "[redacted-token]", 0 },
	/* ... and URL-encoded in a query string ("T1%3D%3D..."; %2B %2F %3D inside) */
	{ "token urlencoded", "T1%3D%3D(?:[A-Za-z0-9+/=]|%[0-9A-Fa-f]{2})+", "[redacted-token]",
	  PCRE2_CASELESS },
	/* HTTP credentials */
	{ "authorization",
	  "(\\bauthorization[\"']?[ \\t]*[:=][ \\t]*[\"']?(?:(?:bearer|basic|digest|token)[ \\t]+)?)" VALUE,
	  "${1}[redacted-secret]", PCRE2_CASELESS },
	{ "bearer", "(\\bbearer[ \\t]+)" VALUE, "${1}[redacted-secret]", PCRE2_CASELESS },
	/* 40-hex-char secrets a few characters after a key/secret/token word ("key is 9f86…") */
	{ "hex secret",
	  "((?:key|secret|token|signature)[^\\r\\n]{0,16}?)(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])",
	  "${1}[redacted-secret]", PCRE2_CASELESS },
	/* key = value, key: value, "key":"value" (api_key, apiKey, x-api-key, client_secret, sessionToken, …):
	 * the key word is matched wherever it ends a name, so no costly scan for the name's start */
	{ "key value",
	  "((?:api[_-]?key|api[_-]?secret|secret|token|password|passwd|pwd|passcode|private[_-]?key"
	  "|access[_-]?key|x-opentok-auth)[\"']?[ \\t]*[:=][ \\t]*[\"']?)" VALUE,
	  "${1}[redacted-secret]", PCRE2_CASELESS },
	/* a Cookie / Set-Cookie header: every value in it, to the end of the line or the quote */
	{ "cookie", "(\\b(?:set-)?cookie[\"']?[ \\t]*[:=][ \\t]*)(?!\\[redacted)[^\\r\\n\"]+",
	  "${1}[redacted-cookie]", PCRE2_CASELESS },
	/* bare JSON Web Tokens: three base64url parts, the first a JSON header ("eyJ") */
	{ "jwt", "(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*",
	  "[redacted-token]", 0 },
	/* provider keys by their published prefixes: AWS access key ids, Stripe, Google API keys */
	{ "aws key id", "(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])", "[redacted-secret]", 0 },
	{ "stripe key", "(?<![A-Za-z0-9_])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}", "[redacted-secret]", 0 },
	{ "google key", "(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])", "[redacted-secret]", 0 },
	/* e-mail: also URL-encoded (a%40b.com) and internationalized (UTF-8 local part or domain) */
	{ "email", "(?<![A-Za-z0-9._%+\\x80-\\xff-])" EM_LOCAL "+(?:@|%40)" EM_LABEL "(?:\\." EM_LABEL ")*\\."
	  EM_TLD "(?![A-Za-z0-9\\x80-\\xff-])", "[redacted-email]", 0 },
	/* Wi-Fi: a BSSID (a MAC, iOS may drop leading zeros) or an SSID, after their key word */
	{ "bssid", "(\\bbssid[\"']?[ \\t]*[:=]?[ \\t]*[\"']?)[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5}(?![0-9A-Fa-f:])",
	  "${1}[redacted-bssid]", PCRE2_CASELESS },
	{ "ssid quoted", "(\\bssid[\"']?(?:[ \\t]*[:=])?[ \\t]*)(?:\"[^\"\\r\\n]*\"|'[^'\\r\\n]*')",
	  "${1}[redacted-ssid]", PCRE2_CASELESS },
	{ "ssid", "(\\bssid[\"']?[ \\t]*[:=][ \\t]*)" VALUE, "${1}[redacted-ssid]", PCRE2_CASELESS },
	/* where the phone is: CoreLocation's <+lat,-lon>, lat/lon keys, a bare pair with 5+ decimals */
	{ "coordinates <>", "<[+-]?[0-9]{1,2}\\.[0-9]{3,},[ \\t]?[+-]?[0-9]{1,3}\\.[0-9]{3,}>",
	  "<[redacted-location]>", 0 },
	{ "coordinate keys", "(\\b(?:latitude|longitude|lat|lon|lng)[\"']?[ \\t]*[:=][ \\t]*[\"']?)[+-]?[0-9]{1,3}\\.[0-9]+",
	  "${1}[redacted-location]", PCRE2_CASELESS },
	{ "coordinate pair", "(?<![0-9A-Za-z_.:+-])[+-]?[0-9]{1,2}\\.[0-9]{5,},[ \\t]?[+-]?[0-9]{1,3}\\.[0-9]{5,}(?![0-9])",
	  "[redacted-location]", 0 },
	/* a device serial number after its key word (SerialNumber, serial number, serial_no) */
	{ "serial", "(\\bserial(?:[ _-]?(?:number|no))?[\"']?[ \\t]*[:=][ \\t]*[\"']?)" VALUE,
	  "${1}[redacted-serial]", PCRE2_CASELESS },
	/* the user's name in a home-folder path (/Users/anna/..., /home/anna/...) */
	{ "user path", "(/(?:Users|home)/)(?!Shared/|\\[redacted)[^/ \\t\\r\\n\"'<>:]+(?=/)",
	  "${1}[redacted-user]", 0 },
	/* IPv6 (full, compressed, link-local with zone, IPv4-mapped); never a time (no "::", < 8 groups)
	 * or a MAC address (6 groups) */
	{ "ipv6",
	  "(?<![0-9A-Za-z_:.])(?=[0-9A-Fa-f]{0,4}:)(?:"
	  "(?:" H16 ":){7}" H16
	  "|(?:" H16 ":){1,4}:" IPV4
	  "|::(?:[Ff]{4}(?::0{1,4})?:)?" IPV4
	  "|(?:" H16 ":){1,6}:" H16
	  "|(?:" H16 ":){1,5}(?::" H16 "){2}"
	  "|(?:" H16 ":){1,4}(?::" H16 "){1,3}"
	  "|(?:" H16 ":){1,3}(?::" H16 "){1,4}"
	  "|(?:" H16 ":){1,2}(?::" H16 "){1,5}"
	  "|" H16 ":(?::" H16 "){1,6}"
	  "|(?:" H16 ":){2,7}:"
	  "|:(?::" H16 "){1,7}"
	  ")(?:%[0-9A-Za-z]+)?(?![0-9A-Za-z_:]|\\.[0-9])",
	  "[redacted-ip]", 0 },
	/* IPv4, with or without a port; never part of a longer dotted run (versions, OIDs) */
	{ "ipv4", "(?<![0-9A-Za-z_.-])" IPV4 "(?![0-9A-Za-z_-]|\\.[0-9])", "[redacted-ip]", 0 },
	/* ... also glued to a word by a dash, as ICE names relays ("relay-203.0.113.9") */
	{ "ipv4 dashed", "(?<=[A-Za-z]-)" IPV4 "(?![0-9A-Za-z_-]|\\.[0-9])", "[redacted-ip]", 0 },
	/* phone numbers: international (+ then 7 to 15 digits, a few separators between them) */
	{ "phone +", "(?<![0-9A-Za-z_+])\\+[1-9](?:[ .()-]{0,2}[0-9]){6,14}(?![0-9A-Za-z_]|[.:][0-9])",
	  "[redacted-phone]", 0 },
	/* (415) 555-2671, 415-555-2671, 415.555.2671, 415 555 2671 */
	{ "phone nanp",
	  "(?<![0-9A-Za-z_.:+-])(?:\\([0-9]{3}\\)[ .-]?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}(?![0-9A-Za-z_-]|[.:][0-9])",
	  "[redacted-phone]", 0 },
	/* 06 12 34 56 78, 06-12-34-56-78, 06.12.34.56.78 (separators required) */
	{ "phone grouped",
	  "(?<![0-9A-Za-z_.:+-])0[1-9](?:([ .-])[0-9]{2})(?:\\1[0-9]{2}){3}(?![0-9A-Za-z_-]|[.:][0-9])",
	  "[redacted-phone]", 0 },
	/* a bare 10-digit North American number (area code and exchange start 2-9), never an error code */
	{ "phone 10 digits", "(?<![0-9A-Za-z_.:+#=(/-])" NOT_A_CODE "[2-9][0-9]{2}[2-9][0-9]{6}(?![0-9A-Za-z_-]|[.:][0-9])",
	  "[redacted-phone]", 0 },
	/* tel: URIs */
	{ "phone tel", "(\\btel:)[+0-9().-]{5,}", "${1}[redacted-phone]", PCRE2_CASELESS },
	/* device identifiers in the phone's crash and jetsam reports (crashreport.c): the vendor id,
	 * the UDID and the CrashReporter key, after their key word ("deviceIdentifierForVendor":"…",
	 * CrashReporter Key:   …) */
	{ "device id",
	  "((?:deviceIdentifierForVendor|identifierForVendor|UniqueDeviceID|crashReporterKey|CrashReporter Key)"
	  "[\"']?[ \\t]*[:=][ \\t]*[\"']?)" VALUE, "${1}[redacted-device-id]", 0 },
};

#define NREDACTIONS (sizeof redactions / sizeof redactions[0])
#define JIT_THRESHOLD	(16 * 1024)	/* below this, interpreting is cheaper than JIT-compiling */

/* Apply one compiled pattern to text (len bytes): a new NUL-terminated string in *out. */
static int
substitute(pcre2_code *code, const struct redaction *r, const char *text, size_t len, char **out,
    size_t *outlen, pcre2_match_data *md)
{
	uint32_t options = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
	    PCRE2_SUBSTITUTE_UNSET_EMPTY;
	PCRE2_SIZE size = len + len / 4 + 256;
	for (int attempt = 0; attempt < 2; attempt++) {
		char *buf = cs_xmalloc(size);
		PCRE2_SIZE got = size;
		int rc = pcre2_substitute(code, (PCRE2_SPTR)text, len, 0, options, md, NULL,
		    (PCRE2_SPTR)r->replacement, PCRE2_ZERO_TERMINATED, (PCRE2_UCHAR *)buf, &got);
		if (rc >= 0) {
			*out = buf;
			*outlen = got;
			return 0;
		}
		free(buf);
		if (rc != PCRE2_ERROR_NOMEMORY)
			return -1;
		size = got;	/* the length needed, with PCRE2_SUBSTITUTE_OVERFLOW_LENGTH */
	}
	return -1;
}

static pcre2_code *
compile(const struct redaction *r, size_t text_len)
{
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED, r->options,
	    &errcode, &erroff, NULL);
	if (code && text_len >= JIT_THRESHOLD)
		pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);	/* no JIT here: interpreted, same result */
	return code;
}

char *
cs_redact(const char *text, size_t len)
{
	if (text == NULL)
		return NULL;
	char *cur = cs_xstrndup(text, len);
	size_t curlen = strlen(cur);	/* a NUL inside ends the text, as for every C string here */
	pcre2_match_data *md = NULL;
	for (size_t i = 0; i < NREDACTIONS; i++) {
		pcre2_code *code = compile(&redactions[i], curlen);
		if (code == NULL)
			goto fail;
		if (md == NULL)
			md = pcre2_match_data_create(16, NULL);
		char *next;
		size_t nextlen;
		int rc = md ? substitute(code, &redactions[i], cur, curlen, &next, &nextlen, md) : -1;
		pcre2_code_free(code);
		if (rc < 0)
			goto fail;
		free(cur);
		cur = next;
		curlen = nextlen;
	}
	pcre2_match_data_free(md);
	return cur;
fail:
	pcre2_match_data_free(md);
	free(cur);
	return NULL;
}
