/* fakeiphone - a fake iPhone for tests: speaks usbmuxd, lockdownd, syslog_relay and
 * installation_proxy well enough that the stock libimobiledevice tools (and callsightd) cannot tell
 * it from a real device. This header holds the one context struct (no other mutable globals) and
 * the functions each concern-file offers to the others. See README.md for the wire facts. */
#ifndef FAKEIPHONE_H
#define FAKEIPHONE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <plist/plist.h>
#include <openssl/ssl.h>

#define LOCKDOWN_PORT 62078
#define MAX_PORTS 16
#define OUT_HIGH_WATER (256 * 1024)

enum svc { SVC_NONE, SVC_SYSLOG, SVC_INSTPROXY, SVC_CRASHMOVER, SVC_AFC };

#define AFC_MAX_HANDLES 8

enum conn_kind {
	C_MUX,		/* usbmuxd client before Listen/Connect */
	C_LISTEN,	/* usbmuxd client subscribed to Attached/Detached */
	C_LOCKDOWN,	/* tunnel to lockdownd (port 62078) */
	C_SYSLOG,	/* tunnel to com.apple.syslog_relay */
	C_INSTPROXY,	/* tunnel to com.apple.mobile.installation_proxy */
	C_CRASHMOVER,	/* tunnel to com.apple.crashreportmover */
	C_AFC,		/* tunnel to com.apple.crashreportcopymobile (AFC) */
	C_CONTROL,	/* control socket client */
	C_STDIN		/* the control commands on stdin (replies on stdout) */
};

enum tls_state { TLS_OFF, TLS_PENDING, TLS_HANDSHAKE, TLS_UP };

struct buf {
	char *p;
	size_t off, len, cap;	/* unread bytes are p[off..len) */
};

struct device;

struct conn {
	struct conn *next;
	int fd;			/* read side */
	int ofd;		/* write side (== fd except for stdin) */
	enum conn_kind kind;
	struct device *dev;	/* device of a tunnel, NULL otherwise */
	struct buf in, out;
	SSL *ssl;
	enum tls_state tls;
	int tls_want_write;
	int session;		/* lockdownd session started */
	int dead;
	int close_after_flush;
	uint64_t lines;		/* syslog records queued to this client */
	size_t afc_file[AFC_MAX_HANDLES];	/* open AFC handles: report index + 1, 0 = free */
	size_t afc_pos[AFC_MAX_HANDLES];
};

/* a crash report on the phone (crash.c) */
struct crashfile {
	char *name, *data;
	size_t len;
	long long mtime;	/* unix seconds */
	uint64_t ready_ns;	/* the mover moves it from then on */
	int moved, removed;	/* visible to AFC; deleted by a client */
};

struct app {
	char *bundle, *name, *version, *modes, *mic, *camera;
};

struct port_entry {
	uint16_t port;
	enum svc svc;
};

struct device {
	char udid[64];		/* as the tools show it: a 24-char serial gets a dash after char 8 */
	char serial[64];	/* as usbmuxd reports it (no dash) */
	uint32_t id;		/* usbmuxd DeviceID, > 0 */
	char *name, *version, *product, *build, *capture;
	int ssl, loop, attached, locked, stalled, eof;
	unsigned rate;		/* lines per second, 0 = as fast as the clients read */
	char **lines;
	size_t nlines, pos;
	uint64_t next_due;	/* monotonic ns of the next capture line when rate > 0 */
	uint64_t sent_lines, sent_bytes;
	struct app *apps;
	size_t napps;
	struct port_entry ports[MAX_PORTS];
	uint16_t next_port;
	char *pair;		/* pair record as the host saved it */
	size_t pairlen;
	EVP_PKEY *key;
	X509 *cert;
	char *pubpem;
	size_t pubpemlen;
	struct crashfile *crash;	/* crash.c */
	size_t ncrash;
	uint64_t crash_removed, mover_runs, afc_requests;
};

struct fk {
	int verbose;
	char *mux_path, *ctl_path, *config;
	int tcp_port;
	int mux_fd, tcp_fd, ctl_fd;
	int use_stdin;
	struct device *devs;
	size_t ndevs;
	struct conn *conns;
	SSL_CTX *ssl_ctx;
	uint64_t rng;
	int quit;
	char buid[40];
};

/* main.c */
void vlog(struct fk *fk, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t now_ns(void);

/* config.c */
int config_load_file(struct fk *fk, const char *path);
int config_add_spec(struct fk *fk, const char *spec, int is_app);
int config_finish(struct fk *fk);
void config_free(struct fk *fk);
struct device *device_find(struct fk *fk, const char *udid);
struct device *device_by_id(struct fk *fk, uint32_t id);

/* conn.c */
int listen_unix(const char *path);
int listen_tcp_loopback(int port);
struct conn *conn_new(struct fk *fk, int fd, int ofd, enum conn_kind kind);
void conn_free(struct conn *c);
void conn_send(struct fk *fk, struct conn *c, const void *data, size_t len);
void conn_flush(struct fk *fk, struct conn *c);
void conn_read(struct fk *fk, struct conn *c);
void conn_kill(struct fk *fk, struct conn *c, const char *why);
size_t conn_pending(const struct conn *c);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_consume(struct buf *b, size_t n);
void conn_dispatch(struct fk *fk, struct conn *c);

/* plistio.c */
plist_t plist_parse(const char *data, size_t len);
void send_framed_plist(struct fk *fk, struct conn *c, plist_t p);
plist_t take_framed_plist(struct conn *c, int *bad);
char *dict_string(plist_t dict, const char *key);
uint64_t dict_uint(plist_t dict, const char *key, uint64_t def);

/* usbmux.c */
int usbmux_open(struct fk *fk);
void usbmux_close(struct fk *fk);
void usbmux_input(struct fk *fk, struct conn *c);
void usbmux_attached(struct fk *fk, struct device *d);
void usbmux_detached(struct fk *fk, struct device *d);

/* lockdown.c */
void lockdown_input(struct fk *fk, struct conn *c);

/* tls.c */
int tls_init(struct fk *fk);
void tls_free(struct fk *fk);
int tls_device_keys(struct device *d);
void tls_device_free(struct device *d);
int tls_start(struct fk *fk, struct conn *c);
int tls_handshake(struct fk *fk, struct conn *c);
long tls_read(struct fk *fk, struct conn *c, char *p, size_t n);
long tls_write(struct fk *fk, struct conn *c, const char *p, size_t n);
void tls_stop(struct conn *c);

/* syslog.c */
void syslog_connected(struct fk *fk, struct conn *c);
void syslog_tick(struct fk *fk);
int syslog_timeout_ms(struct fk *fk);
size_t syslog_emit(struct fk *fk, struct device *d, const char *data, size_t len, int is_line);
size_t syslog_clients(struct fk *fk, struct device *d);
int syslog_load(struct device *d);

/* instproxy.c */
void instproxy_input(struct fk *fk, struct conn *c);

/* crash.c */
void afc_input(struct fk *fk, struct conn *c);
void crashmover_connected(struct fk *fk, struct conn *c);
int crash_drop(struct device *d, const char *path, unsigned delay_ms, char *err, size_t errlen);
void crash_free(struct device *d);

/* control.c */
void control_input(struct fk *fk, struct conn *c);
int control_open(struct fk *fk);
void device_detach(struct fk *fk, struct device *d);
void device_attach(struct fk *fk, struct device *d);

#endif
