/*
 * test_redact.c - cs_redact takes out every kind of secret a device log carries (OpenTok tokens,
 * API keys and secrets, bearer credentials, e-mails, phone numbers, IPv4/IPv6 addresses) and keeps
 * everything that only looks like one (times, pids, hex addresses, versions, UUIDs, UDIDs), and the
 * number of lines. It also measures what a call costs (the patterns are compiled per call).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "callsightd.h"

static char *
redact(const char *text)
{
	char *out = cs_redact(text, strlen(text));
	assert_non_null(out);
	return out;
}

static size_t
count_lines(const char *s)
{
	size_t n = 1;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* the secret is gone, the marker is there, and the text around it is kept */
static void
expect_redacted(const char *text, const char *secret, const char *marker, const char *kept)
{
	char *out = redact(text);
	if (strstr(out, secret) != NULL || strstr(out, marker) == NULL ||
	    (kept && strstr(out, kept) == NULL))
		fail_msg("redact(\"%s\") = \"%s\": want '%s' gone, '%s' in, '%s' kept", text, out, secret,
		    marker, kept ? kept : "");
	assert_int_equal(count_lines(out), count_lines(text));
	free(out);
}

static void
expect_kept(const char *text)
{
	char *out = redact(text);
	if (strcmp(out, text) != 0)
		fail_msg("redact changed a look-alike:\n  in:  %s\n  out: %s", text, out);
	free(out);
}

static void
test_opentok_tokens(void **state)
{
	expect_redacted("Mar  4 12:00:01 iPhone VideoCall(Foundation)[4242] <Notice>: connecting with "
	    "token T1==cGFydG5lcl9pZD00NzI3JnNpZz1hYmMxMjM6c2Vzc2lvbl9pZD0xX01YNDA+/==",
	    "T1==cGFydG5lc", "[redacted-token]", "Mar  4 12:00:01 iPhone VideoCall(Foundation)[4242]");
	expect_redacted("token=T1==abc123 next", "abc123", "[redacted-token]", " next");
}

static void
test_keys_and_secrets(void **state)
{
	expect_redacted("init api_key=46278712 done", "46278712", "api_key=[redacted-secret]", " done");
	expect_redacted("config {apiKey: \"4627abcd\", sessionId: \"1_MX40\"}", "4627abcd",
	    "apiKey: \"[redacted-secret]\"", NULL);
	expect_redacted("{\"apiKey\":\"zz9876\"}", "zz9876", "[redacted-secret]", NULL);
	expect_redacted("client_secret=s3cr3t-VALUE&x=1", "s3cr3t", "client_secret=[redacted-secret]", "&x=1");
	expect_redacted("GET /v2 Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
	    "eyJhbGci", "Authorization: Bearer [redacted-secret]", "GET /v2");
	expect_redacted("header authorization=Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "[redacted-secret]", NULL);
	expect_redacted("project key 0123456789abcdef0123456789abcdef01234567 loaded",
	    "0123456789abcdef0123456789abcdef01234567", "[redacted-secret]", " loaded");
	expect_redacted("x-api-key: AbC-123_x", "AbC-123_x", "[redacted-secret]", NULL);
	expect_redacted("password=hunter2", "hunter2", "password=[redacted-secret]", NULL);
}

static void
test_emails(void **state)
{
	expect_redacted("user ana.maria+calls@example.co.uk signed in", "ana.maria", "[redacted-email]",
	    " signed in");
	expect_redacted("<bob@corp.example.com>", "bob@", "<[redacted-email]>", NULL);
}

static void
test_phone_numbers(void **state)
{
	expect_redacted("calling +1 (415) 555-2671 now", "555-2671", "[redacted-phone]", " now");
	expect_redacted("caller +447700900123", "447700900123", "[redacted-phone]", NULL);
	expect_redacted("callee +33 6 12 34 56 78.", "12 34 56", "[redacted-phone]", ".");
	expect_redacted("number (415) 555-2671", "555-2671", "[redacted-phone]", NULL);
	expect_redacted("number 415-555-2671", "415-555", "[redacted-phone]", NULL);
	expect_redacted("number 415.555.2671", "415.555", "[redacted-phone]", NULL);
	expect_redacted("numéro 06 12 34 56 78", "12 34 56", "[redacted-phone]", "numéro ");
	expect_redacted("handle tel:+14155552671", "4155552671", "tel:[redacted-phone]", NULL);
}

static void
test_ip_addresses(void **state)
{
	expect_redacted("connecting to 192.168.1.23:443", "192.168", "[redacted-ip]:443", NULL);
	expect_redacted("ice candidate 10.0.0.1 udp", "10.0.0.1", "[redacted-ip]", " udp");
	expect_redacted("peer=[2001:db8:85a3::8a2e:370:7334]:3478", "2001:db8", "[[redacted-ip]]:3478", NULL);
	expect_redacted("local fe80::1c2b:3aff:fe4d:5e6f%en0 up", "fe80::", "[redacted-ip]", " up");
	expect_redacted("addr 2001:0db8:0000:0000:0000:ff00:0042:8329", "0db8", "[redacted-ip]", NULL);
	expect_redacted("mapped ::ffff:203.0.113.7", "203.0", "[redacted-ip]", NULL);
	expect_redacted("host:172.16.4.1", "172.16", "host:[redacted-ip]", NULL);
}

static void
test_look_alikes_kept(void **state)
{
	expect_kept("Mar  4 12:05:02 iPhone VideoCall(Foundation)[4242] <Notice>: sessionDidConnect:");
	expect_kept("2026-03-04 12:05:02.903672+0100 VideoCall[4242:1234567] [OTSession] connected");
	expect_kept("2026-03-04 12:05:02.903672-0800 VideoCall[4242:88] time 12:05:02.903672");
	expect_kept("<UIApplicationSceneDeactivationAssertion: 0x283138450; reason: systemAnimation>");
	expect_kept("OpenTok iOS SDK version 2.27.2 (build 2.27.2.1234) libwebrtc 1.2.3");
	expect_kept("Entry, display name dk.app uuid AB8ACE6E-EE1D-3475-BE23-1E3AA10C9D92 pid 488 stats 8");
	expect_kept("device 00008030-001A2D1E3C02802E attached, ECID 0x1A2D1E3C02802E");
	expect_kept("Assertion 31-31-1700 (target:[application<com.example.VideoCall>:796]) created");
	expect_kept("processStartTime calculated start is 10361.686905 (now:10361.690707, diff0.003802)");
	expect_kept("Error Domain=OTSessionErrorDomain Code=1022 \"connection dropped\" UserInfo={}");
	expect_kept("AUIOClient_StartIO failed (561145187) ");
	expect_kept("kernel: memorystatus: killing_top_process pid 4242 [VideoCall] (per-process-limit) 2048KB");
	expect_kept("SBApplicationStateKey = 8; BKSApplicationStateExtensionKey = 0;");
	expect_kept("git 5d41402abc4b2a76b9719d911017c592aaaaaaaa; bytes 1024 2048 4096");
	expect_kept("route 3c:22:fb:aa:bb:cc changed at 17:20:05; SpringBoard[59] -[SBLockScreen lock]");
	expect_kept("Set jetsam priority to 10 [0] flag[1]; session 2026-03-04 12:00:02");
	expect_kept("Token expired in 3600 s; secret handshake done");
}


/* issue 14 item 15: the kinds that used to get through, one row each (text, what must go, the
 * marker that replaces it, what must stay) - and the look-alikes of each that must stay whole */
static const struct {
	const char	*text, *secret, *marker, *kept;
} more_secrets[] = {
	{ "connect?token=T1%3D%3DcGFydG5lcl9pZD00NzI3JnNpZz1h%2Fb%3D&x=1", "cGFydG5lcl9pZD00",
	  "[redacted-token]", "&x=1" },
	{ "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok",
	  "eyJzdWIiOiIx", "[redacted-token]", " ok" },
	{ "X-OPENTOK-AUTH: T1==abc and x-opentok-auth=zzTopSecret9", "zzTopSecret9", "[redacted-", NULL },
	{ "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI",
	  "[redacted-secret]", "aws_secret_access_key = " },
	{ "aws_access_key_id=AKIAIOSFODNN7EXAMPLE region=us-east-1", "AKIAIOSFODNN7EXAMPLE",
	  "[redacted-secret]", " region=us-east-1" },
	{ "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc charge", "4eC39HqLyjWDarjtT1zdp7dc", "[redacted-secret]",
	  " charge" },
	{ "maps AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe loaded", "AIzaSyDaGmWKa4JsXZ", "[redacted-secret]",
	  " loaded" },
	{ "push privateKey=MIIEvQIBADANBgkqhkiG9w0BAQEFAASC end", "MIIEvQIBADAN", "privateKey=[redacted-secret]",
	  " end" },
	{ "login user=ana pwd=Hunter22 ok", "Hunter22", "pwd=[redacted-secret]", " ok" },
	{ "meeting passcode: 834921 joined", "834921", "passcode: [redacted-secret]", " joined" },
	{ "Cookie: sid=9f8e7d6c5b4a; theme=dark", "9f8e7d6c5b4a", "[redacted-cookie]", "Cookie: " },
	{ "Set-Cookie: session=abcdef123456; Path=/; HttpOnly", "abcdef123456", "[redacted-cookie]", NULL },
	{ "invite to a%40b.com sent", "a%40b.com", "[redacted-email]", " sent" },
	{ "user ana.maria%40example.co.uk", "example.co.uk", "[redacted-email]", NULL },
	{ "mail jos\xc3\xa9@ex\xc3\xa4mple.de sent", "mple.de", "[redacted-email]", " sent" },
	{ "mail \xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a ok",
	  "@\xe4\xbe\x8b", "[redacted-email]", " ok" },
	{ "calling 4155552671 now", "4155552671", "[redacted-phone]", " now" },
	{ "ICE relay-203.0.113.9 udp", "203.0.113.9", "relay-[redacted-ip]", " udp" },
	{ "wifi BSSID: 3c:22:fb:aa:bb:cc rssi -60", "3c:22:fb:aa:bb:cc", "[redacted-bssid]", " rssi -60" },
	{ "wifi bssid=3c:22:fb:a:b:c", "3c:22:fb:a:b:c", "[redacted-bssid]", NULL },
	{ "joined SSID 'Anna Home 5G' channel 36", "Anna Home", "[redacted-ssid]", " channel 36" },
	{ "wifi ssid=AnnaHome, rssi", "AnnaHome", "[redacted-ssid]", ", rssi" },
	{ "location <+37.33233141,-122.03121860> +/- 5.00m", "37.33233141", "[redacted-location]",
	  " +/- 5.00m" },
	{ "fix latitude: 48.858370, longitude: 2.294481 ok", "48.858370", "[redacted-location]", " ok" },
	{ "at 48.8583701,2.2944813 now", "2.2944813", "[redacted-location]", " now" },
	{ "device SerialNumber: F2LXK0ABHG7F attached", "F2LXK0ABHG7F", "[redacted-serial]", " attached" },
	{ "serial number = C39XK0ABHG7F", "C39XK0ABHG7F", "[redacted-serial]", NULL },
	{ "open /Users/annasmith/Library/Logs/x.log", "annasmith", "/Users/[redacted-user]/Library", NULL },
	{ "home /home/anna/.config/callsight", "anna/", "/home/[redacted-user]/.config", NULL },
};

static const char *const more_look_alikes[] = {
	"Error Domain=NSOSStatusErrorDomain Code=2003329396 \"(null)\"",
	"AVAudioSession error 2003329396 on activate",
	"OSStatus 2003334207; status 2003334207",
	"AUIOClient_StartIO failed (561145187) ",
	"route 3c:22:fb:aa:bb:cc changed at 17:20:05",
	"SSID changed; ssid lookup done",
	"processStartTime 10361.686905 (now:10361.690707, diff0.003802)",
	"gain 0.5,0.25 level -12.5 dB",
	"open /Users/Shared/callsight/x.log",
	"path /var/mobile/Containers/Data/Application/AB8ACE6E-EE1D-3475-BE23-1E3AA10C9D92",
	"OpenTok iOS SDK version 2.27.2 (build 2.27.2.1234)",
	"serial queue com.apple.main-thread drained",
	"Assertion 31-31-1700 created; frame 1280x720 at 30 fps",
	"mach time 1732551205123456 ticks",
	"device 00008030-001A2D1E3C02802E attached, ECID 0x1A2D1E3C02802E",
	"sessionId: 1_MX40Nzk0MjU0MX5-MTYwMTAxNDQ3MjQ4Nn5",
};

static void
test_more_secrets_table(void **state)
{
	for (size_t i = 0; i < sizeof more_secrets / sizeof more_secrets[0]; i++)
		expect_redacted(more_secrets[i].text, more_secrets[i].secret, more_secrets[i].marker,
		    more_secrets[i].kept);
	for (size_t i = 0; i < sizeof more_look_alikes / sizeof more_look_alikes[0]; i++)
		expect_kept(more_look_alikes[i]);
}

static void
test_line_count_and_edges(void **state)
{
	const char *text = "a api_key=1\n\nb 10.0.0.1\nc +14155552671\nd bob@x.io\n\nT1==abc\n";
	char *out = redact(text);
	assert_int_equal(count_lines(out), count_lines(text));
	assert_null(strstr(out, "10.0.0.1"));
	free(out);
	out = cs_redact("", 0);
	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
	out = cs_redact("bob@x.io trailing", 8);	/* len bounds the text */
	assert_string_equal(out, "[redacted-email]");
	free(out);
	assert_null(cs_redact(NULL, 0));
}

static void
test_cost(void **state)
{
	/* one small call (compile the table + match), and 1 MiB of log */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100; i++)
		free(redact("connect 10.0.0.1 token T1==abc"));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double small = ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9) / 100;

	const char *line = "Mar  4 12:00:02 iPhone runningboardd(RunningBoard)[33] <Notice>: Calculated state "
	    "for application<com.example.VideoCall>: running-active (role: UserInteractiveNonFocal)\n";
	size_t len = strlen(line), n = (1 << 20) / len;
	char *big = cs_xmalloc(n * len + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(big + i * len, line, len);
	big[n * len] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *out = cs_redact(big, n * len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double bigt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_non_null(out);
	assert_string_equal(out, big);
	printf("redact: %.3f ms per small call (patterns compiled each call); %.1f MB/s on a 1 MiB log\n",
	    small * 1000, (double)(n * len) / bigt / 1e6);
	free(out);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opentok_tokens),
		cmocka_unit_test(test_keys_and_secrets),
		cmocka_unit_test(test_emails),
		cmocka_unit_test(test_phone_numbers),
		cmocka_unit_test(test_ip_addresses),
		cmocka_unit_test(test_look_alikes_kept),
		cmocka_unit_test(test_more_secrets_table),
		cmocka_unit_test(test_line_count_and_edges),
		cmocka_unit_test(test_cost),
	};
	return cmocka_run_group_tests_name("redact", tests, NULL, NULL);
}
