/*
 * metrics_http.c - `callsightd --metrics [ADDR:]PORT`: GET /metrics on the daemon's own libevent loop
 * (evhttp), so that a scrape reads the counters without locks and without a thread. Loopback
 * (127.0.0.1) unless an address is given: the metrics name phones and apps, and a lab chooses to
 * publish them. Anything but GET/HEAD /metrics is answered 404/405; headers and bodies are bounded
 * and a slow client is dropped after a timeout, so a scraper cannot hold the loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "callsightd.h"

#define HTTP_TIMEOUT_S	10
#define HTTP_MAX_HEADERS 8192

struct cs_metrics_http {
	struct evhttp		*http;
	struct cs_metrics	*metrics;
	cs_metrics_gather_cb	 gather;
	void			*ctx;
};

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct cs_metrics_http *h = arg;
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	size_t plen = uri ? strcspn(uri, "?") : 0;
	if (uri == NULL || plen != strlen("/metrics") || strncmp(uri, "/metrics", plen) != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "callsightd serves /metrics only");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "GET or HEAD");
		return;
	}
	if (h->gather)
		h->gather(h->ctx);
	size_t len;
	char *text = cs_metrics_render(h->metrics, &len);
	if (text == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, "cannot render the metrics");
		return;
	}
	struct evbuffer *body = evbuffer_new();
	evbuffer_add(body, text, len);
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

struct cs_metrics_http *
cs_metrics_http_new(struct event_base *base, const char *spec, struct cs_metrics *metrics,
    cs_metrics_gather_cb gather, void *ctx, char *err, size_t errlen)
{
	char host[256];
	unsigned port;
	if (cs_parse_host_port(spec, "127.0.0.1", host, sizeof host, &port) < 0) {
		cs_set_error(err, errlen, "--metrics: '%s' is not PORT, ADDR:PORT or [ADDR6]:PORT", spec);
		return NULL;
	}
	struct cs_metrics_http *h = cs_xcalloc(1, sizeof *h);
	h->metrics = metrics;
	h->gather = gather;
	h->ctx = ctx;
	h->http = evhttp_new(base);
	if (h->http == NULL) {
		cs_set_error(err, errlen, "--metrics: cannot create the HTTP server");
		free(h);
		return NULL;
	}
	evhttp_set_timeout(h->http, HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(h->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(h->http, 4096);	/* a scrape has no body */
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(h->http, on_request, h);
	errno = 0;
	if (evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port) == NULL) {
		cs_set_error(err, errlen, "--metrics: cannot listen on %s port %u: %s", host, port,
		    errno ? strerror(errno) : "address not usable");
		evhttp_free(h->http);
		free(h);
		return NULL;
	}
	return h;
}

void
cs_metrics_http_free(struct cs_metrics_http *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	free(h);
}
