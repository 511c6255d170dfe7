/* conn.c - sockets and connections of fakeiphone: listeners (Unix, loopback TCP), non-blocking
 * buffered reads and writes (plain or TLS), and handing input to the protocol of each connection.
 * Every socket is non-blocking and written with MSG_NOSIGNAL so a client that vanishes costs
 * nothing but its own connection. */
#include "fakeiphone.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "fakeiphone: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 || set_nonblock(fd) < 0) {
		fprintf(stderr, "fakeiphone: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Loopback only: the emulator hands out pair records and must never be reachable from outside. */
int listen_tcp_loopback(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 || set_nonblock(fd) < 0) {
		fprintf(stderr, "fakeiphone: 127.0.0.1:%d: %s\n", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void buf_append(struct buf *b, const void *data, size_t len)
{
	if (b->off > 0 && b->off == b->len)
		b->off = b->len = 0;
	if (b->len + len > b->cap) {
		if (b->off > 0) {
			memmove(b->p, b->p + b->off, b->len - b->off);
			b->len -= b->off;
			b->off = 0;
		}
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			perror("fakeiphone: realloc");
			abort();
		}
		b->p = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
}

void buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

struct conn *conn_new(struct fk *fk, int fd, int ofd, enum conn_kind kind)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->fd = fd;
	c->ofd = ofd;
	c->kind = kind;
	if (fd > 2)
		set_nonblock(fd);
	c->next = fk->conns;
	fk->conns = c;
	return c;
}

void conn_free(struct conn *c)
{
	tls_stop(c);
	if (c->fd > 2)
		close(c->fd);
	free(c->in.p);
	free(c->out.p);
	free(c);
}

void conn_kill(struct fk *fk, struct conn *c, const char *why)
{
	if (c->dead)
		return;
	vlog(fk, "conn fd %d (%s) closed: %s", c->fd, c->dev ? c->dev->udid : "-", why);
	c->dead = 1;
}

size_t conn_pending(const struct conn *c)
{
	return c->out.len - c->out.off;
}

static long raw_write(struct conn *c, const char *p, size_t n)
{
	if (c->ofd <= 2)
		return write(c->ofd, p, n);
	return send(c->ofd, p, n, MSG_NOSIGNAL);
}

void conn_flush(struct fk *fk, struct conn *c)
{
	if (c->dead || c->tls == TLS_HANDSHAKE)
		return;
	if (c->kind == C_SYSLOG && c->dev && c->dev->stalled)
		return;
	while (conn_pending(c) > 0) {
		const char *p = c->out.p + c->out.off;
		size_t n = conn_pending(c);
		long w = c->tls == TLS_UP ? tls_write(fk, c, p, n) : raw_write(c, p, n);
		if (w > 0) {
			buf_consume(&c->out, (size_t)w);
			continue;
		}
		if (w == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_kill(fk, c, strerror(errno));
		return;
	}
	if (c->tls == TLS_PENDING && tls_start(fk, c) < 0) {
		conn_kill(fk, c, "TLS setup failed");
		return;
	}
	if (c->close_after_flush)
		conn_kill(fk, c, "done");
}

void conn_send(struct fk *fk, struct conn *c, const void *data, size_t len)
{
	if (c->dead)
		return;
	buf_append(&c->out, data, len);
	conn_flush(fk, c);
}

void conn_dispatch(struct fk *fk, struct conn *c)
{
	enum conn_kind before;
	do {
		before = c->kind;
		switch (c->kind) {
		case C_MUX:
			usbmux_input(fk, c);
			break;
		case C_LOCKDOWN:
			lockdown_input(fk, c);
			break;
		case C_INSTPROXY:
			instproxy_input(fk, c);
			break;
		case C_AFC:
			afc_input(fk, c);
			break;
		case C_CRASHMOVER:	/* it only says "ping" */
		case C_CONTROL:
		case C_STDIN:
			control_input(fk, c);
			break;
		case C_LISTEN:
		case C_SYSLOG:	/* the device only talks; whatever the host says is dropped */
			buf_consume(&c->in, c->in.len - c->in.off);
			break;
		}
	} while (!c->dead && c->kind != before && c->in.len > c->in.off);
}

void conn_read(struct fk *fk, struct conn *c)
{
	char tmp[16384];
	if (c->tls == TLS_HANDSHAKE) {
		if (tls_handshake(fk, c) < 0) {
			conn_kill(fk, c, "TLS handshake failed");
			return;
		}
		conn_flush(fk, c);
		if (c->tls != TLS_UP)
			return;
		/* up: OpenSSL may already hold the first request, read on */
	}
	for (;;) {
		int was_tls = c->tls == TLS_UP;
		long r = was_tls ? tls_read(fk, c, tmp, sizeof(tmp)) : read(c->fd, tmp, sizeof(tmp));
		if (r > 0) {
			buf_append(&c->in, tmp, (size_t)r);
			if (c->kind == C_STDIN)
				break;	/* stdin stays blocking: one read per poll */
			continue;
		}
		if (r == 0 && was_tls)
			continue;	/* the host ended TLS (close_notify): plain text again */
		if (r == 0) {
			if (c->kind == C_STDIN) {
				vlog(fk, "stdin closed: no more commands from there");
				c->dead = 1;
				break;
			}
			conn_kill(fk, c, "peer closed");
			break;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (errno == EINTR)
			continue;
		conn_kill(fk, c, strerror(errno));
		break;
	}
	if (c->in.len > c->in.off)
		conn_dispatch(fk, c);
}
