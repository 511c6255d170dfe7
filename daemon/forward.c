/*
 * forward.c - `callsightd --forward URL`: the store's records to a lab's central syslog, without loss.
 *
 *   relp://HOST:PORT        RELP (librelp): the collector acknowledges every message
 *   syslog+tcp://HOST:PORT  RFC 5424 over TCP, RFC 6587 octet counting
 *   syslog+tls://HOST:PORT  the same over TLS (OpenSSL), the certificate verified (--forward-ca)
 *
 * Why it is built this way:
 *  - The store is the queue. Records are read from the store (cs_store_forward_rows) after a cursor
 *    per collector and record type, and the cursor (the forward table in the store) moves only past
 *    records the collector confirmed. A collector down for an hour, callsightd killed with -9, a Mac
 *    that reboots: what was not confirmed is read again and sent again; nothing is lost, and at most
 *    the unconfirmed window (RELP: FWD_RELP_WINDOW messages) is sent twice.
 *  - The loop never waits on a collector. One worker thread per collector does the blocking I/O
 *    (librelp is blocking); the loop (cs_forwarder_tick, every FWD_TICK_MS) only moves records from
 *    the store into a bounded window (FWD_WINDOW records) and confirmed ones out of it, under a
 *    mutex held for pointer moves only. Formatting and redaction happen in the worker.
 *  - What "confirmed" means: RELP acks each message (txnr). librelp has no per-message callback, but
 *    it sends message k only when fewer than W messages are unacknowledged (its window), and rsyslog
 *    answers in order, so once message k is sent every message up to k-W is acked. The last W are
 *    confirmed by a clean close ("close" is answered after every message before it) when the stream
 *    pauses for FWD_IDLE_CLOSE_MS; a close that fails confirms nothing. syslog+tcp/tls have no
 *    acknowledgement in the protocol: a message is confirmed when the kernel took it; what was in
 *    the socket buffer when the collector died is lost (use relp:// for no loss).
 *  - Backoff: a failed connect waits 1 s, then 2, 4 ... FWD_BACKOFF_MAX_S.
 *  - Each message is RFC 5424 (https://www.rfc-editor.org/rfc/rfc5424): APP-NAME callsightd, MSGID the
 *    record type, SD-ELEMENT [callsight@32473 udid device app cause sdk] (32473 is the example
 *    private enterprise number RFC 5612 reserves for documentation), MSG the record's NDJSON as in
 *    docs/protocol.md, redacted as reports are (cs_redact) unless --no-redact.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#ifdef CS_HAVE_RELP
#include <librelp.h>
#endif

#include "callsight/sockcompat.h"
#include "callsightd.h"

#define FWD_WINDOW		4096	/* records in memory per collector */
#define FWD_RELP_WINDOW		128	/* RELP messages in flight (librelp's window) */
#define FWD_IDLE_CLOSE_MS	300	/* RELP: a pause this long closes the session to confirm the tail */
#define FWD_BACKOFF_MIN_S	1
#define FWD_BACKOFF_MAX_S	60
#define FWD_IO_TIMEOUT_S	10	/* a collector that takes no data for this long is dropped */
#define FWD_MAX_JSON		(60 * 1024)	/* a longer record has its message cut (collectors' limits) */
#define FWD_CUT_MESSAGE		(8 * 1024)
#define FWD_FACILITY		16	/* local0 */
#define FWD_SD_ID		"callsight@32473"

enum fwd_scheme { FWD_RELP, FWD_TCP, FWD_TLS };

static const struct {
	const char	*prefix;
	enum fwd_scheme	 scheme;
} schemes[] = {
	{ "relp://", FWD_RELP },
	{ "syslog+tcp://", FWD_TCP },
	{ "syslog+tls://", FWD_TLS },
};

/* The record types in the order a refill reads them: flags first, lines last. */
static const unsigned forward_order[] = { CS_REC_FLAG, CS_REC_DEVICE, CS_REC_APP, CS_REC_EVENT, CS_REC_LINE };
#define NTYPES (sizeof forward_order / sizeof forward_order[0])

/* RFC 5424 severity of a record (the facility is local0). */
static const struct {
	const char	*type;
	int		 severity;
} severities[] = {
	{ "flag", 4 },		/* warning; a flag of severity warning is notice (5) */
	{ "device", 6 }, { "app", 6 }, { "event", 6 },
	{ "line", 7 },
};

struct fwd_entry {
	int		 type;		/* index in forward_order */
	int64_t		 id;		/* row id in the store */
	char		*json;		/* the record as read (compact JSON) */
	char		 sd[5][160];	/* udid, device, app, cause, sdk */
	char		 time[40];
	char		*msg;		/* the framed message, built by the worker */
	size_t		 len;
};

static const char *const sd_names[5] = { "udid", "device", "app", "cause", "sdk" };

struct cs_forwarder {
	/* fixed at creation */
	char		 url[512];
	enum fwd_scheme	 scheme;
	char		 host[256];
	char		 port[16];
	char		*ca_file;
	unsigned	 types;
	bool		 redact;
	char		 hostname[256];
	long		 pid;

	/* the loop's */
	struct cs_store	*store;
	int64_t		 read_after[NTYPES];	/* the last row id put into the window */
	int64_t		 acked[NTYPES];		/* the stored cursor */
	char		 name_udid[8][64], name_name[8][128];	/* UDID -> device name cache */
	unsigned	 name_next;
	uint64_t	 total_confirmed;

	/* shared: under mu. Entries are numbered; entry k is ring[k % FWD_WINDOW].
	 * head <= confirmed <= sent <= tail; the loop adds at tail and frees below confirmed, the worker
	 * sends from sent and moves confirmed. */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	pthread_t	 thread;
	bool		 thread_started;
	struct fwd_entry ring[FWD_WINDOW];
	uint64_t	 head, confirmed, sent, tail;
	bool		 stop;

	/* the worker's */
	int		 fd;
	SSL_CTX		*ssl_ctx;
	SSL		*ssl;
#ifdef CS_HAVE_RELP
	relpEngine_t	*relp;
	relpClt_t	*relp_clt;
	bool		 relp_error;
	bool		 relp_closing;
	bool		 relp_unacked_known;
	uint64_t	 relp_unacked;	/* librelp's unacknowledged messages (relp_debug) */
#endif
	bool		 connected;
	int		 backoff_s;
	char		 last_error[256];
};

/* ---------------------------------------------------------------- URL */

static int
parse_url(struct cs_forwarder *f, const char *url, char *err, size_t errlen)
{
	size_t i;
	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if (strncmp(url, schemes[i].prefix, strlen(schemes[i].prefix)) == 0)
			break;
	if (i == sizeof schemes / sizeof schemes[0]) {
		cs_set_error(err, errlen, "--forward %s: not relp://HOST:PORT, syslog+tcp://HOST:PORT or "
		    "syslog+tls://HOST:PORT", url);
		return -1;
	}
	f->scheme = schemes[i].scheme;
	const char *rest = url + strlen(schemes[i].prefix);
	char hostport[300];
	cs_strlcpy(hostport, rest, sizeof hostport);
	hostport[strcspn(hostport, "/")] = '\0';	/* a trailing slash is harmless */
	unsigned port;
	if (strchr(hostport, ':') == NULL ||
	    cs_parse_host_port(hostport, "", f->host, sizeof f->host, &port) < 0 || f->host[0] == '\0') {
		cs_set_error(err, errlen, "--forward %s: give HOST:PORT after %s", url, schemes[i].prefix);
		return -1;
	}
	snprintf(f->port, sizeof f->port, "%u", port);
#ifndef CS_HAVE_RELP
	if (f->scheme == FWD_RELP) {
		cs_set_error(err, errlen, "--forward %s: this callsightd was built without librelp, so it "
		    "cannot speak RELP (install librelp-dev or `brew install librelp` and rebuild); "
		    "syslog+tcp:// and syslog+tls:// work without it", url);
		return -1;
	}
#endif
	return 0;
}

/* ---------------------------------------------------------------- formatting (worker) */

static void
put_sd_value(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			fputc('\\', out);
		fputc(*v, out);
	}
}

/* A record too long for a collector keeps its fields, its message cut. */
static char *
fit_json(const char *json)
{
	if (strlen(json) <= FWD_MAX_JSON)
		return cs_xstrdup(json);
	json_t *r = json_loads(json, 0, NULL);
	const char *m = json_string_value(json_object_get(r, "message"));
	char *out = NULL;
	if (m) {
		size_t n = cs_utf8_cut(m, FWD_CUT_MESSAGE, strlen(m));
		json_object_set_new(r, "message", json_stringn(m, n));
		json_object_set_new(r, "message_cut", json_true());
		out = json_dumps(r, CS_JSON_DUMP);
	}
	json_decref(r);
	if (out == NULL || strlen(out) > FWD_MAX_JSON) {
		free(out);
		out = cs_xstrdup("{\"type\":\"unforwardable\",\"why\":\"record too long\"}");
	}
	return out;
}

/* Redact n records' JSON texts in place with one cs_redact call (it compiles its patterns per call:
 * one call per record would cost more than the rest of forwarding). Compact JSON has no newline, so
 * the texts are joined with '\n' and split back. The patterns never match a quote, backslash or
 * newline, so each text stays JSON; it is checked all the same, and a record that would not parse
 * (or a failed redaction) is not sent in clear. */
static void
redact_batch(char **texts, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += strlen(texts[i]) + 1;
	char *joined = cs_xmalloc(total + 1), *p = joined;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(texts[i]);
		memcpy(p, texts[i], len);
		p += len;
		*p++ = '\n';
	}
	char *clean = cs_redact(joined, (size_t)(p - joined));
	free(joined);
	char *line = clean;
	for (size_t i = 0; i < n; i++) {
		char *end = line ? strchr(line, '\n') : NULL;
		json_t *check = NULL;
		if (end) {
			*end = '\0';
			check = json_loads(line, 0, NULL);
		}
		free(texts[i]);
		texts[i] = cs_xstrdup(check ? line : "{\"type\":\"unforwardable\",\"why\":\"redaction failed\"}");
		json_decref(check);
		line = end ? end + 1 : NULL;
	}
	free(clean);
}

/* Build the framed message of an entry from its (redacted) body: RFC 5424, octet-counted for
 * syslog+tcp/tls. Takes body. */
static void
format_entry(struct cs_forwarder *f, struct fwd_entry *e, char *body)
{
	const char *type = cs_store_record_type_name(forward_order[e->type]);
	int severity = 6;
	for (size_t i = 0; i < sizeof severities / sizeof severities[0]; i++)
		if (strcmp(severities[i].type, type) == 0)
			severity = severities[i].severity;
	if (forward_order[e->type] == CS_REC_FLAG) {
		int cause = cs_cause_from_name(e->sd[3]);
		if (cause >= 0 && cs_cause_severity((enum cs_cause)cause) == CS_SEV_warning)
			severity = 5;
	}
	char *syslog = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&syslog, &size);
	if (out == NULL)
		abort();
	fprintf(out, "<%d>1 %s %s callsightd %ld %s [" FWD_SD_ID, FWD_FACILITY * 8 + severity,
	    e->time[0] ? e->time : "-", f->hostname, f->pid, type);
	for (int i = 0; i < 5; i++) {
		fprintf(out, " %s=\"", sd_names[i]);
		put_sd_value(out, e->sd[i]);
		fputc('"', out);
	}
	fprintf(out, "] %s", body);
	fclose(out);
	free(body);
	if (f->scheme == FWD_RELP) {
		e->msg = syslog;
		e->len = size;
		return;
	}
	/* RFC 6587 3.4.1 octet counting: MSG-LEN SP SYSLOG-MSG */
	size_t n = (size_t)snprintf(NULL, 0, "%zu ", size) + size;
	e->msg = cs_xmalloc(n + 1);
	snprintf(e->msg, n + 1, "%zu %s", size, syslog);
	e->len = n;
	free(syslog);
}

#define FWD_FORMAT_BATCH 512

/* Format the entries from sent on that have no message yet, a batch at a time. Called with mu
 * held; drops it while formatting (the entries between sent and tail are the worker's). */
static void
format_from_sent(struct cs_forwarder *f)
{
	struct fwd_entry *batch[FWD_FORMAT_BATCH];
	char *bodies[FWD_FORMAT_BATCH];
	size_t n = 0;
	for (uint64_t k = f->sent; k < f->tail && n < FWD_FORMAT_BATCH; k++) {
		struct fwd_entry *e = &f->ring[k % FWD_WINDOW];
		if (e->msg == NULL)
			batch[n++] = e;
	}
	pthread_mutex_unlock(&f->mu);
	for (size_t i = 0; i < n; i++)
		bodies[i] = fit_json(batch[i]->json);
	if (f->redact && n > 0)
		redact_batch(bodies, n);
	for (size_t i = 0; i < n; i++)
		format_entry(f, batch[i], bodies[i]);
	pthread_mutex_lock(&f->mu);
}

/* ---------------------------------------------------------------- transports (worker) */

static void
set_error(struct cs_forwarder *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
set_error(struct cs_forwarder *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->last_error, sizeof f->last_error, fmt, ap);
	va_end(ap);
}

static int
tcp_connect(struct cs_forwarder *f)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	int rc = getaddrinfo(f->host, f->port, &hints, &res);
	if (rc != 0) {
		set_error(f, "cannot resolve %s: %s", f->host, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = callsight_socket_cloexec(a->ai_family, a->ai_socktype, a->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = { FWD_IO_TIMEOUT_S, 0 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);	/* connect and send */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		set_error(f, "cannot connect to %s port %s: %s", f->host, f->port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	f->fd = fd;
	return fd < 0 ? -1 : 0;
}

static bool
is_ip_address(const char *host)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int
tls_handshake(struct cs_forwarder *f)
{
	if (f->ssl_ctx == NULL) {
		f->ssl_ctx = SSL_CTX_new(TLS_client_method());
		if (f->ssl_ctx == NULL) {
			set_error(f, "cannot create a TLS context");
			return -1;
		}
		SSL_CTX_set_min_proto_version(f->ssl_ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(f->ssl_ctx, SSL_VERIFY_PEER, NULL);
		int ok = f->ca_file ? SSL_CTX_load_verify_locations(f->ssl_ctx, f->ca_file, NULL)
		    : SSL_CTX_set_default_verify_paths(f->ssl_ctx);
		if (ok != 1) {
			set_error(f, "cannot load the CA certificates %s", f->ca_file ? f->ca_file : "(system)");
			SSL_CTX_free(f->ssl_ctx);
			f->ssl_ctx = NULL;
			return -1;
		}
	}
	f->ssl = SSL_new(f->ssl_ctx);
	SSL_set_fd(f->ssl, f->fd);
	/* the name (or address) we dialled must be the certificate's */
	X509_VERIFY_PARAM *param = SSL_get0_param(f->ssl);
	if (is_ip_address(f->host)) {
		X509_VERIFY_PARAM_set1_ip_asc(param, f->host);
	} else {
		SSL_set_tlsext_host_name(f->ssl, f->host);
		X509_VERIFY_PARAM_set1_host(param, f->host, 0);
	}
	if (SSL_connect(f->ssl) != 1) {
		long v = SSL_get_verify_result(f->ssl);
		unsigned long e = ERR_get_error();
		set_error(f, "TLS handshake with %s port %s failed: %s", f->host, f->port,
		    v != X509_V_OK ? X509_verify_cert_error_string(v) : e ? ERR_reason_error_string(e)
		    : "the collector closed the connection");
		ERR_clear_error();
		return -1;
	}
	return 0;
}

#ifdef CS_HAVE_RELP
static void
relp_on_err(void *usr, char *objinfo, char *errmsg, relpRetVal code)
{
	struct cs_forwarder *f = usr;
	f->relp_error = true;
	set_error(f, "RELP %s: %s (%d)", objinfo ? objinfo : "", errmsg ? errmsg : "", (int)code);
}

/* librelp keeps its acknowledgements to itself: there is no per-message callback and no way to
 * ask for the unacknowledged count. It does report that count through its debug hook at every
 * change ("ADD sess %p unacked %d, sessState %d", "DEL sess %p unacked %d, ..." in librelp's
 * src/relpsess.c), and it calls the hook unconditionally (a NULL hook crashes it). The hook takes no
 * context pointer, so the worker that runs librelp names itself in a thread-local. The count makes
 * the confirmation exact: with rsyslog answering in order, sent - unacked messages are acked. When
 * the messages never show (another librelp), the window rule alone still holds. The "close"
 * frame's own ADD is not a message of ours and is left out. */
static _Thread_local struct cs_forwarder *relp_self;

static void
relp_debug(char *fmt, ...)
{
	struct cs_forwarder *f = relp_self;
	static const char add[] = "ADD sess %p unacked %d,", del[] = "DEL sess %p unacked %d,";
	bool is_add = strncmp(fmt, add, sizeof add - 1) == 0;
	if (f == NULL || (!is_add && strncmp(fmt, del, sizeof del - 1) != 0) || (is_add && f->relp_closing))
		return;
	va_list ap;
	va_start(ap, fmt);
	(void)va_arg(ap, void *);
	int n = va_arg(ap, int);
	va_end(ap);
	if (n >= 0) {
		f->relp_unacked = (uint64_t)n;
		f->relp_unacked_known = true;
	}
}

static void
relp_drop(struct cs_forwarder *f)
{
	if (f->relp_clt)
		relpEngineCltDestruct(f->relp, &f->relp_clt);
	f->relp_clt = NULL;
}

static int
relp_connect(struct cs_forwarder *f)
{
	if (f->relp == NULL) {
		if (relpEngineConstruct(&f->relp) != RELP_RET_OK) {
			set_error(f, "cannot start librelp");
			return -1;
		}
		relpEngineSetDbgprint(f->relp, relp_debug);
		relpEngineSetOnErr(f->relp, relp_on_err);
		relpEngineSetEnableCmd(f->relp, (unsigned char *)"syslog", eRelpCmdState_Required);
	}
	if (relpEngineCltConstruct(f->relp, &f->relp_clt) != RELP_RET_OK) {
		set_error(f, "cannot create a RELP client");
		return -1;
	}
	relpCltSetUsrPtr(f->relp_clt, f);
	relpCltSetTimeout(f->relp_clt, FWD_IO_TIMEOUT_S);
	relpCltSetConnTimeout(f->relp_clt, FWD_IO_TIMEOUT_S);
	relpCltSetWindowSize(f->relp_clt, FWD_RELP_WINDOW);
	f->relp_error = false;
	f->relp_closing = false;
	f->relp_unacked_known = false;
	f->relp_unacked = 0;
	relpRetVal rc = relpCltConnect(f->relp_clt, 0, (unsigned char *)f->port, (unsigned char *)f->host);
	if (rc != RELP_RET_OK) {
		if (!f->relp_error)
			set_error(f, "cannot open a RELP session with %s port %s (librelp error %d)", f->host,
			    f->port, (int)rc);
		relp_drop(f);
		return -1;
	}
	return 0;
}
#endif

static int
transport_connect(struct cs_forwarder *f)
{
	f->fd = -1;
	switch (f->scheme) {
	case FWD_RELP:
#ifdef CS_HAVE_RELP
		return relp_connect(f);
#else
		return -1;
#endif
	case FWD_TCP:
		return tcp_connect(f);
	case FWD_TLS:
		return tcp_connect(f) < 0 ? -1 : tls_handshake(f);
	}
	return -1;
}

/* graceful: RELP sends "close" and waits for its answer; 0 when it came (every message before it
 * was acknowledged) */
static int
transport_close(struct cs_forwarder *f, bool graceful)
{
	int rc = 0;
#ifdef CS_HAVE_RELP
	if (f->relp_clt) {
		f->relp_error = false;
		f->relp_closing = true;
		relp_drop(f);	/* a broken session is dropped without the close handshake */
		f->relp_closing = false;
		rc = f->relp_error ? -1 : 0;
	}
#endif
	if (f->ssl) {
		if (graceful)
			SSL_shutdown(f->ssl);
		SSL_free(f->ssl);
		f->ssl = NULL;
	}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	return rc;
}

/* A stopped collector shows as EOF or an error on the socket before the next write would
 * vanish into the socket buffer. */
static bool
peer_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 0) <= 0)
		return false;
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int
transport_send(struct cs_forwarder *f, const char *msg, size_t len)
{
	switch (f->scheme) {
	case FWD_RELP:
#ifdef CS_HAVE_RELP
		f->relp_error = false;
		if (relpCltSendSyslog(f->relp_clt, (unsigned char *)msg, len) != RELP_RET_OK) {
			if (!f->relp_error)
				set_error(f, "RELP send to %s port %s failed", f->host, f->port);
			return -1;
		}
		return 0;
#else
		return -1;
#endif
	case FWD_TCP:
		if (peer_closed(f->fd)) {
			set_error(f, "%s port %s closed the connection", f->host, f->port);
			return -1;
		}
		for (size_t off = 0; off < len;) {
			ssize_t n = send(f->fd, msg + off, len - off, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				set_error(f, "send to %s port %s: %s", f->host, f->port,
				    n < 0 ? strerror(errno) : "closed");
				return -1;
			}
			off += (size_t)n;
		}
		return 0;
	case FWD_TLS:
		if (peer_closed(f->fd)) {
			set_error(f, "%s port %s closed the TLS connection", f->host, f->port);
			return -1;
		}
		if (SSL_write(f->ssl, msg, (int)len) != (int)len) {
			set_error(f, "TLS send to %s port %s failed", f->host, f->port);
			ERR_clear_error();
			return -1;
		}
		return 0;
	}
	return -1;
}

/* ---------------------------------------------------------------- the worker */

static void
timed_wait(struct cs_forwarder *f, int ms)
{
	struct timespec ts;
	cs_realtime_after_ms(&ts, ms);
	pthread_cond_timedwait(&f->cv, &f->mu, &ts);
}

/* Move confirmed up to what the collector is known to have acknowledged (mu held). RELP: message
 * sent-W for sure (see the top), sent-unacked when librelp told us; TCP/TLS: what the kernel took. */
static void
confirm(struct cs_forwarder *f)
{
	uint64_t sure = f->sent;
	if (f->scheme == FWD_RELP) {
		sure = f->sent > FWD_RELP_WINDOW ? f->sent - FWD_RELP_WINDOW : 0;
#ifdef CS_HAVE_RELP
		if (f->relp_unacked_known && f->relp_unacked <= f->sent && f->sent - f->relp_unacked > sure)
			sure = f->sent - f->relp_unacked;
#endif
	}
	if (sure > f->confirmed)
		f->confirmed = sure;
}

static void
lost_connection(struct cs_forwarder *f)
{
	cs_log(CS_LOG_WARN, "forward %s: %s; %llu message%s to send again, retrying in %d s",
	    f->url, f->last_error, (unsigned long long)(f->tail - f->confirmed),
	    f->tail - f->confirmed == 1 ? "" : "s", f->backoff_s);
	f->connected = false;
	f->sent = f->confirmed;	/* what was not confirmed goes again */
}

static void *
worker(void *arg)
{
	struct cs_forwarder *f = arg;
	int64_t retry_at = 0;
#ifdef CS_HAVE_RELP
	relp_self = f;
#endif
	bool said_down = false;
	pthread_mutex_lock(&f->mu);
	while (!f->stop) {
		if (!f->connected) {
			if (f->sent == f->tail) {
				timed_wait(f, 1000);
				continue;
			}
			int64_t now = cs_mono_ms();
			if (now < retry_at) {
				timed_wait(f, (int)(retry_at - now));
				continue;
			}
			pthread_mutex_unlock(&f->mu);
			int rc = transport_connect(f);
			if (rc < 0)
				transport_close(f, false);
			pthread_mutex_lock(&f->mu);
			if (rc < 0) {
				if (!said_down)
					cs_log(CS_LOG_WARN, "forward %s: %s; retrying (backoff up to %d s)",
					    f->url, f->last_error, FWD_BACKOFF_MAX_S);
				said_down = true;
				retry_at = cs_mono_ms() + f->backoff_s * 1000LL;
				f->backoff_s = f->backoff_s * 2 > FWD_BACKOFF_MAX_S ? FWD_BACKOFF_MAX_S : f->backoff_s * 2;
				continue;
			}
			cs_log(said_down ? CS_LOG_INFO : CS_LOG_DEBUG, "forward %s: connected", f->url);
			said_down = false;
			f->connected = true;
			f->backoff_s = FWD_BACKOFF_MIN_S;
			f->sent = f->confirmed;
			continue;
		}
		if (f->sent < f->tail) {
			struct fwd_entry *e = &f->ring[f->sent % FWD_WINDOW];
			if (e->msg == NULL)
				format_from_sent(f);
			pthread_mutex_unlock(&f->mu);
			int rc = transport_send(f, e->msg, e->len);	/* e is ours: see struct */
			if (rc < 0)
				transport_close(f, false);
			pthread_mutex_lock(&f->mu);
			if (rc < 0) {
				if (f->scheme == FWD_RELP)
					confirm(f);	/* what was acked before it broke */
				lost_connection(f);
				retry_at = cs_mono_ms() + f->backoff_s * 1000LL;
				continue;
			}
			f->sent++;
			confirm(f);
			continue;
		}
		if (f->confirmed < f->sent) {	/* RELP: a pause; close cleanly to confirm the tail */
			uint64_t tail = f->tail;
			timed_wait(f, FWD_IDLE_CLOSE_MS);
			if (f->stop || f->tail != tail)
				continue;
			pthread_mutex_unlock(&f->mu);
			int rc = transport_close(f, true);
			pthread_mutex_lock(&f->mu);
			f->connected = false;
			if (rc == 0) {
				f->confirmed = f->sent;
			} else {	/* the acks read before the close failed still count */
				confirm(f);
				if (f->confirmed < f->sent)
					lost_connection(f);
			}
			continue;
		}
		timed_wait(f, 1000);
	}
	if (f->connected) {	/* shutting down: a clean close confirms what it can */
		pthread_mutex_unlock(&f->mu);
		int rc = transport_close(f, true);
		pthread_mutex_lock(&f->mu);
		if (rc == 0)
			f->confirmed = f->sent;
		else if (f->scheme == FWD_RELP)
			confirm(f);
		f->connected = false;
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* ---------------------------------------------------------------- the loop's side */

static const char *
device_name(struct cs_forwarder *f, const char *udid)
{
	for (unsigned i = 0; i < 8; i++)
		if (f->name_udid[i][0] && strcmp(f->name_udid[i], udid) == 0 && f->name_name[i][0])
			return f->name_name[i];
	unsigned i = f->name_next++ % 8;
	cs_strlcpy(f->name_udid[i], udid, sizeof f->name_udid[i]);
	cs_store_device_name(f->store, udid, f->name_name[i], sizeof f->name_name[i]);
	return f->name_name[i];
}

static void
remember_name(struct cs_forwarder *f, const char *udid, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return;
	for (unsigned i = 0; i < 8; i++) {
		if (strcmp(f->name_udid[i], udid) == 0) {
			cs_strlcpy(f->name_name[i], name, sizeof f->name_name[i]);
			return;
		}
	}
	unsigned i = f->name_next++ % 8;
	cs_strlcpy(f->name_udid[i], udid, sizeof f->name_udid[i]);
	cs_strlcpy(f->name_name[i], name, sizeof f->name_name[i]);
}

struct refill {
	struct cs_forwarder	*f;
	int			 type;
};

static int
add_row(json_t *record, int64_t id, void *arg)
{
	struct refill *r = arg;
	struct cs_forwarder *f = r->f;
	struct fwd_entry e = { .type = r->type, .id = id };
	const char *udid = json_string_value(json_object_get(record, "device"));
	if (forward_order[r->type] == CS_REC_DEVICE && udid)
		remember_name(f, udid, json_string_value(json_object_get(record, "name")));
	const char *app = json_string_value(json_object_get(record, "app"));
	if (app == NULL)
		app = json_string_value(json_object_get(record, "bundle"));
	const char *cause = json_string_value(json_object_get(record, "cause"));
	const char *sdk = json_string_value(json_object_get(record, "sdk"));
	const char *when = json_string_value(json_object_get(record, "time"));
	const char *values[5] = { udid, udid ? device_name(f, udid) : NULL, app, cause, sdk };
	for (int i = 0; i < 5; i++) {
		const char *v = values[i] ? values[i] : "";
		size_t n = cs_utf8_cut(v, sizeof e.sd[i] - 1, strlen(v));
		memcpy(e.sd[i], v, n);
		e.sd[i][n] = '\0';
	}
	cs_strlcpy(e.time, when ? when : "", sizeof e.time);
	e.json = json_dumps(record, CS_JSON_DUMP);
	json_decref(record);
	if (e.json == NULL)
		e.json = cs_xstrdup("{\"type\":\"unforwardable\",\"why\":\"cannot serialize\"}");
	pthread_mutex_lock(&f->mu);
	f->ring[f->tail % FWD_WINDOW] = e;
	f->tail++;
	pthread_mutex_unlock(&f->mu);
	f->read_after[r->type] = id;
	return 0;
}

/* Confirmed records leave the window; their cursors go to the store, committed at once: a kill -9
 * later sends again only what was not confirmed yet (and since what is read next is committed, a
 * failed commit can never take back rows already sent). */
static void
drain(struct cs_forwarder *f)
{
	bool moved[NTYPES] = { false };
	pthread_mutex_lock(&f->mu);
	while (f->head < f->confirmed) {
		struct fwd_entry *e = &f->ring[f->head % FWD_WINDOW];
		f->acked[e->type] = e->id;
		moved[e->type] = true;
		free(e->json);
		free(e->msg);
		memset(e, 0, sizeof *e);
		f->head++;
		f->total_confirmed++;
	}
	pthread_mutex_unlock(&f->mu);
	for (size_t t = 0; t < NTYPES; t++)
		if (moved[t])
			cs_store_forward_set(f->store, f->url, forward_order[t], f->acked[t]);
	cs_store_commit(f->store);
}

void
cs_forwarder_tick(struct cs_forwarder *f)
{
	drain(f);
	/* new records into the window */
	pthread_mutex_lock(&f->mu);
	size_t room = FWD_WINDOW - (size_t)(f->tail - f->head);
	pthread_mutex_unlock(&f->mu);
	size_t before = room;
	for (size_t t = 0; t < NTYPES && room > 0; t++) {
		if (!(f->types & forward_order[t]))
			continue;
		struct refill r = { .f = f, .type = (int)t };
		pthread_mutex_lock(&f->mu);
		uint64_t tail0 = f->tail;
		pthread_mutex_unlock(&f->mu);
		cs_store_forward_rows(f->store, forward_order[t], f->read_after[t], room, add_row, &r);
		pthread_mutex_lock(&f->mu);
		room -= (size_t)(f->tail - tail0);
		pthread_mutex_unlock(&f->mu);
	}
	if (room != before) {
		pthread_mutex_lock(&f->mu);
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
	}
}

struct cs_forwarder *
cs_forwarder_new(struct cs_store *store, const struct cs_forward_options *o, char *err, size_t errlen)
{
	struct cs_forwarder *f = cs_xcalloc(1, sizeof *f);
	if (parse_url(f, o->url, err, errlen) < 0) {
		free(f);
		return NULL;
	}
	if (f->scheme == FWD_TLS && o->ca_file && access(o->ca_file, R_OK) != 0) {
		cs_set_error(err, errlen, "--forward-ca %s: %s", o->ca_file, strerror(errno));
		free(f);
		return NULL;
	}
	cs_strlcpy(f->url, o->url, sizeof f->url);
	f->ca_file = o->ca_file ? cs_xstrdup(o->ca_file) : NULL;
	f->types = o->types;
	f->redact = o->redact;
	f->store = store;
	f->fd = -1;
	f->backoff_s = FWD_BACKOFF_MIN_S;
	f->pid = (long)getpid();
	/* RFC 5424 HOSTNAME: printable US-ASCII, no space */
	if (gethostname(f->hostname, sizeof f->hostname - 1) != 0 || f->hostname[0] == '\0')
		cs_strlcpy(f->hostname, "-", sizeof f->hostname);
	for (char *p = f->hostname; *p; p++)
		if (*p <= 32 || *p >= 127)
			*p = '_';
	for (size_t t = 0; t < NTYPES; t++) {
		if (cs_store_forward_get(store, f->url, forward_order[t], &f->acked[t]) < 0) {
			cs_set_error(err, errlen, "--forward %s: cannot read its cursor from the store", o->url);
			free(f->ca_file);
			free(f);
			return NULL;
		}
		f->read_after[t] = f->acked[t];
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (pthread_create(&f->thread, NULL, worker, f) != 0) {
		cs_set_error(err, errlen, "--forward %s: cannot start its thread", o->url);
		cs_forwarder_free(f);
		return NULL;
	}
	f->thread_started = true;
	return f;
}

void
cs_forwarder_free(struct cs_forwarder *f)
{
	if (f == NULL)
		return;
	if (f->thread_started) {
		pthread_mutex_lock(&f->mu);
		f->stop = true;
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->thread, NULL);
		drain(f);	/* store the cursor of what the last close confirmed */
	}
	for (uint64_t k = f->head; k < f->tail; k++) {
		free(f->ring[k % FWD_WINDOW].json);
		free(f->ring[k % FWD_WINDOW].msg);
	}
	transport_close(f, false);
	if (f->ssl_ctx)
		SSL_CTX_free(f->ssl_ctx);
#ifdef CS_HAVE_RELP
	if (f->relp)
		relpEngineDestruct(&f->relp);
#endif
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f->ca_file);
	free(f);
}
