/*
 * tar.c - a .tar.gz of finished files, written in-process: ustar headers are 512-byte blocks and
 * zlib's gzip stream does the compression (pkg-config zlib). Chosen over spawning `tar czf` because
 * it needs no external tool's flags or exit codes, works the same on macOS and Debian, and every
 * error comes back as an error here. A tar header holds its member's size, so members are archived
 * once their files are complete (the report streams them into a folder first) and copied in 64 KiB
 * chunks: memory stays flat whatever the files' size. The archive is written under a hidden name
 * and renamed into place: complete or absent, never half.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "callsightd.h"

/* an octal field, NUL-terminated, as ustar wants */
static void
tar_octal(char *field, size_t width, uint64_t value)
{
	snprintf(field, width, "%0*llo", (int)width - 1, (unsigned long long)value);
}

static int
tar_header(gzFile gz, const char *name, char type, uint64_t size, int64_t mtime)
{
	char h[512];
	memset(h, 0, sizeof h);
	if (strlen(name) >= 100)
		return -1;
	memcpy(h, name, strlen(name));
	tar_octal(h + 100, 8, type == '5' ? 0755 : 0644);	/* mode */
	tar_octal(h + 108, 8, 0);				/* uid */
	tar_octal(h + 116, 8, 0);				/* gid */
	tar_octal(h + 124, 12, size);
	tar_octal(h + 136, 12, (uint64_t)mtime);
	memset(h + 148, ' ', 8);				/* checksum: spaces while summing */
	h[156] = type;
	memcpy(h + 257, "ustar", 6);				/* magic "ustar\0" */
	memcpy(h + 263, "00", 2);				/* version */
	memcpy(h + 265, "callsight", 9);			/* uname */
	memcpy(h + 297, "callsight", 9);			/* gname */
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof h; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);			/* six digits, NUL, then the space */
	h[155] = ' ';
	return gzwrite(gz, h, sizeof h) == (int)sizeof h ? 0 : -1;
}

/* One member: its header (the size comes from the finished file), then the file copied in chunks. */
static int
tar_entry(gzFile gz, const char *entry, const char *path, int64_t mtime)
{
	static const char zeros[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || tar_header(gz, entry, '0', (uint64_t)st.st_size, mtime) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char buf[65536];
	uint64_t done = 0;
	ssize_t n;
	while (done < (uint64_t)st.st_size && (n = read(fd, buf, sizeof buf)) > 0) {
		if (gzwrite(gz, buf, (unsigned)n) != (int)n)
			break;
		done += (uint64_t)n;
	}
	close(fd);
	if (done != (uint64_t)st.st_size)
		return -1;
	size_t pad = (512 - done % 512) % 512;
	return pad == 0 || gzwrite(gz, zeros, (unsigned)pad) == (int)pad ? 0 : -1;
}

static int
join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);
	return n >= 0 && (size_t)n < len ? 0 : -1;
}

static int
write_entries(gzFile gz, const char *top, const char *src_dir, const char *const *files, size_t nfiles)
{
	static const char zeros[1024];
	int64_t mtime = (int64_t)time(NULL);
	char entry[PATH_MAX], path[PATH_MAX];
	if (join(entry, sizeof entry, top, "") < 0 || tar_header(gz, entry, '5', 0, mtime) < 0)
		return -1;
	for (size_t i = 0; i < nfiles; i++)
		if (join(entry, sizeof entry, top, files[i]) < 0 || join(path, sizeof path, src_dir, files[i]) < 0 ||
		    tar_entry(gz, entry, path, mtime) < 0)
			return -1;
	return gzwrite(gz, zeros, sizeof zeros) == (int)sizeof zeros ? 0 : -1;	/* end of archive */
}

int
cs_tar_write(const char *out_dir, const char *final, const char *top, const char *src_dir,
    const char *const *files, size_t nfiles, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd = join(tmp, sizeof tmp, out_dir, ".callsight-partial-XXXXXX") < 0 ? -1 : mkstemp(tmp);
	if (fd < 0) {
		cs_set_error(err, errlen, "cannot create a file in %s: %s", out_dir, strerror(errno));
		return -1;
	}
	gzFile gz = gzdopen(fd, "wb9");
	if (gz == NULL) {
		close(fd);
		unlink(tmp);
		cs_set_error(err, errlen, "cannot compress into %s", tmp);
		return -1;
	}
	errno = 0;
	int rc = write_entries(gz, top, src_dir, files, nfiles);
	if (gzclose(gz) != Z_OK)
		rc = -1;
	if (rc < 0) {
		cs_set_error(err, errlen, "cannot write %s (the name must be under 90 characters): %s", final,
		    errno ? strerror(errno) : "compression failed");
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, final) != 0) {
		cs_set_error(err, errlen, "cannot move the report to %s: %s", final, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
