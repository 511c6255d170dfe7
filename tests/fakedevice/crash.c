/* crash.c - the phone's crash reports: com.apple.crashreportmover (sends "ping" once the reports
 * are moved to where the copy service sees them) and com.apple.crashreportcopymobile (AFC, the
 * Apple File Conduit protocol, over the reports folder). Enough of AFC for the stock
 * idevicecrashreport and callsightd: ReadDir, GetFileInfo, GetDeviceInfo, FileOpen/Read/Close,
 * RemovePath. Packets: "CFA6LPAA", entire_length, this_length, packet_num, operation (u64 LE), then
 * the data; answers echo packet_num (libimobiledevice src/afc.h/afc.c are the wire reference).
 * A report dropped with the `report`/`kill` control commands waits in staging (like
 * /var/mobile/Library/Logs/CrashReporter before the mover runs) until its delay is over and a
 * mover connection moves it. */
#include "fakeiphone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AFC_MAGIC "CFA6LPAA"
#define AFC_HEADER 40
#define AFC_MAX_PACKET (1u << 20)

enum {
	AFC_OP_STATUS = 1, AFC_OP_DATA = 2, AFC_OP_READ_DIR = 3, AFC_OP_REMOVE_PATH = 8,
	AFC_OP_GET_FILE_INFO = 0xa, AFC_OP_GET_DEVINFO = 0xb, AFC_OP_FILE_OPEN = 0xd,
	AFC_OP_FILE_OPEN_RES = 0xe, AFC_OP_READ = 0xf, AFC_OP_FILE_CLOSE = 0x14,
};
enum { AFC_E_SUCCESS = 0, AFC_E_UNKNOWN_PACKET_TYPE = 6, AFC_E_INVALID_ARG = 7, AFC_E_OBJECT_NOT_FOUND = 8 };

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static void afc_send(struct fk *fk, struct conn *c, uint64_t num, uint64_t op, const void *data, size_t len)
{
	unsigned char h[AFC_HEADER];
	memcpy(h, AFC_MAGIC, 8);
	put64(h + 8, AFC_HEADER + len);
	put64(h + 16, AFC_HEADER + len);
	put64(h + 24, num);
	put64(h + 32, op);
	buf_append(&c->out, h, sizeof h);
	if (len)
		buf_append(&c->out, data, len);
	conn_flush(fk, c);
}

static void afc_status(struct fk *fk, struct conn *c, uint64_t num, uint64_t code)
{
	unsigned char v[8];
	put64(v, code);
	afc_send(fk, c, num, AFC_OP_STATUS, v, sizeof v);
}

/* "./x", "/x", "x" -> the report named x; "", ".", "/", "./" -> the folder (NULL, *is_dir) */
static struct crashfile *find_file(struct device *d, const char *path, int *is_dir)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	while (*path == '/')
		path++;
	*is_dir = path[0] == '\0' || !strcmp(path, ".");
	if (*is_dir)
		return NULL;
	for (size_t i = 0; i < d->ncrash; i++)
		if (d->crash[i].moved && !strcmp(d->crash[i].name, path))
			return &d->crash[i];
	return NULL;
}

/* key\0value\0... */
static void kv(struct buf *b, const char *k, const char *v)
{
	buf_append(b, k, strlen(k) + 1);
	buf_append(b, v, strlen(v) + 1);
}

static void afc_request(struct fk *fk, struct conn *c, uint64_t num, uint64_t op, const char *data, size_t len)
{
	struct device *d = c->dev;
	char path[1024] = "";
	int is_dir = 0;
	if (op == AFC_OP_READ_DIR || op == AFC_OP_GET_FILE_INFO || op == AFC_OP_REMOVE_PATH) {
		size_t n = strnlen(data, len);
		if (n >= sizeof path) {
			afc_status(fk, c, num, AFC_E_INVALID_ARG);
			return;
		}
		memcpy(path, data, n);
	}
	struct buf b = { 0 };
	switch (op) {
	case AFC_OP_READ_DIR:
		if (find_file(d, path, &is_dir) || !is_dir) {
			afc_status(fk, c, num, AFC_E_OBJECT_NOT_FOUND);
			return;
		}
		buf_append(&b, ".", 2);
		buf_append(&b, "..", 3);
		for (size_t i = 0; i < d->ncrash; i++)
			if (d->crash[i].moved)
				buf_append(&b, d->crash[i].name, strlen(d->crash[i].name) + 1);
		afc_send(fk, c, num, AFC_OP_DATA, b.p, b.len);
		break;
	case AFC_OP_GET_FILE_INFO: {
		struct crashfile *f = find_file(d, path, &is_dir);
		if (!f && !is_dir) {
			afc_status(fk, c, num, AFC_E_OBJECT_NOT_FOUND);
			return;
		}
		char size[32], mtime[32];
		snprintf(size, sizeof size, "%zu", f ? f->len : (size_t)64);
		snprintf(mtime, sizeof mtime, "%llu", (unsigned long long)(f ? f->mtime : time(NULL)) * 1000000000ull);
		kv(&b, "st_size", size);
		kv(&b, "st_blocks", "8");
		kv(&b, "st_nlink", is_dir ? "2" : "1");
		kv(&b, "st_ifmt", is_dir ? "S_IFDIR" : "S_IFREG");
		kv(&b, "st_mtime", mtime);
		kv(&b, "st_birthtime", mtime);
		afc_send(fk, c, num, AFC_OP_DATA, b.p, b.len);
		break;
	}
	case AFC_OP_GET_DEVINFO:
		kv(&b, "Model", "iPhone15,2");
		kv(&b, "FSTotalBytes", "127989493760");
		kv(&b, "FSFreeBytes", "64000000000");
		kv(&b, "FSBlockSize", "4096");
		afc_send(fk, c, num, AFC_OP_DATA, b.p, b.len);
		break;
	case AFC_OP_FILE_OPEN: {
		if (len < 9) {
			afc_status(fk, c, num, AFC_E_INVALID_ARG);
			return;
		}
		size_t n = strnlen(data + 8, len - 8);
		if (n >= sizeof path) {
			afc_status(fk, c, num, AFC_E_INVALID_ARG);
			return;
		}
		memcpy(path, data + 8, n);
		struct crashfile *f = find_file(d, path, &is_dir);
		if (!f) {
			afc_status(fk, c, num, AFC_E_OBJECT_NOT_FOUND);
			return;
		}
		int slot = -1;
		for (int i = 0; i < AFC_MAX_HANDLES; i++)
			if (c->afc_file[i] == 0) {
				slot = i;
				break;
			}
		if (slot < 0) {
			afc_status(fk, c, num, AFC_E_INVALID_ARG);
			return;
		}
		c->afc_file[slot] = (size_t)(f - d->crash) + 1;	/* an index: d->crash may move */
		c->afc_pos[slot] = 0;
		unsigned char h[8];
		put64(h, (uint64_t)slot + 1);
		afc_send(fk, c, num, AFC_OP_FILE_OPEN_RES, h, sizeof h);
		break;
	}
	case AFC_OP_READ:
	case AFC_OP_FILE_CLOSE: {
		uint64_t h = len >= 8 ? get64((const unsigned char *)data) : 0;
		if (h == 0 || h > AFC_MAX_HANDLES || !c->afc_file[h - 1]) {
			afc_status(fk, c, num, AFC_E_INVALID_ARG);
			return;
		}
		if (op == AFC_OP_FILE_CLOSE) {
			c->afc_file[h - 1] = 0;
			afc_status(fk, c, num, AFC_E_SUCCESS);
			return;
		}
		uint64_t want = len >= 16 ? get64((const unsigned char *)data + 8) : 0;
		struct crashfile *f = &d->crash[c->afc_file[h - 1] - 1];
		size_t pos = c->afc_pos[h - 1], left = f->len - pos;
		size_t n = want < left ? (size_t)want : left;
		afc_send(fk, c, num, AFC_OP_DATA, f->data + pos, n);
		c->afc_pos[h - 1] = pos + n;
		break;
	}
	case AFC_OP_REMOVE_PATH: {
		struct crashfile *f = find_file(d, path, &is_dir);
		if (!f) {
			afc_status(fk, c, num, is_dir ? AFC_E_INVALID_ARG : AFC_E_OBJECT_NOT_FOUND);
			return;
		}
		for (struct conn *o = fk->conns; o; o = o->next)	/* no dangling open handles */
			for (int i = 0; i < AFC_MAX_HANDLES; i++)
				if (o->dev == d && o->afc_file[i] == (size_t)(f - d->crash) + 1)
					o->afc_file[i] = 0;
		f->removed = 1;
		f->moved = 0;
		d->crash_removed++;
		vlog(fk, "%s: AFC removed %s", d->udid, f->name);
		afc_status(fk, c, num, AFC_E_SUCCESS);
		break;
	}
	default:
		afc_status(fk, c, num, AFC_E_UNKNOWN_PACKET_TYPE);
		break;
	}
	free(b.p);
	d->afc_requests++;
}

void afc_input(struct fk *fk, struct conn *c)
{
	while (!c->dead && c->in.len - c->in.off >= AFC_HEADER) {
		const unsigned char *h = (const unsigned char *)c->in.p + c->in.off;
		uint64_t entire = get64(h + 8), num = get64(h + 24), op = get64(h + 32);
		if (memcmp(h, AFC_MAGIC, 8) != 0 || entire < AFC_HEADER || entire > AFC_MAX_PACKET) {
			conn_kill(fk, c, "bad AFC packet");
			return;
		}
		if (c->in.len - c->in.off < entire)
			return;
		afc_request(fk, c, num, op, (const char *)h + AFC_HEADER, (size_t)(entire - AFC_HEADER));
		buf_consume(&c->in, (size_t)entire);
	}
}

/* the mover: every report whose time has come is moved, then "ping" */
void crashmover_connected(struct fk *fk, struct conn *c)
{
	struct device *d = c->dev;
	uint64_t now = now_ns();
	size_t moved = 0;
	for (size_t i = 0; i < d->ncrash; i++)
		if (!d->crash[i].moved && !d->crash[i].removed && d->crash[i].ready_ns <= now) {
			d->crash[i].moved = 1;
			moved++;
		}
	d->mover_runs++;
	vlog(fk, "%s: crashreportmover moved %zu report(s)", d->udid, moved);
	buf_append(&c->out, "ping", 4);
	conn_flush(fk, c);
}

/* a report file from the host onto the phone (staged; visible after delay_ms and a mover run) */
int crash_drop(struct device *d, const char *path, unsigned delay_ms, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot read %s", path);
		return -1;
	}
	struct buf b = { 0 };
	char tmp[8192];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	struct crashfile *files = realloc(d->crash, (d->ncrash + 1) * sizeof(*files));
	if (!files)
		abort();
	d->crash = files;
	struct crashfile *cf = &d->crash[d->ncrash++];
	memset(cf, 0, sizeof(*cf));
	const char *base = strrchr(path, '/');
	cf->name = strdup(base ? base + 1 : path);
	cf->data = b.p ? b.p : strdup("");
	cf->len = b.len;
	cf->mtime = time(NULL);
	cf->ready_ns = now_ns() + (uint64_t)delay_ms * 1000000ull;
	return 0;
}

void crash_free(struct device *d)
{
	for (size_t i = 0; i < d->ncrash; i++) {
		free(d->crash[i].name);
		free(d->crash[i].data);
	}
	free(d->crash);
	d->crash = NULL;
	d->ncrash = 0;
}
