/*
 * util.c - the daemon's own helpers: private folders (mkdir -p 0700) and HOST:PORT specs. What the
 * TUI needs too (allocation, strings, clocks, ISO times, the socket's place) is in common/.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "callsightd.h"

int
cs_make_dirs(const char *dir, const char *what, char *err, size_t errlen)
{
	char path[4096];
	if (cs_strlcpy(path, dir, sizeof path) >= sizeof path) {
		cs_set_error(err, errlen, "%s folder name too long: %s", what, dir);
		return -1;
	}
	for (char *p = path + 1;; p++) {
		bool end = *p == '\0';
		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			cs_set_error(err, errlen, "cannot create the %s folder %s: %s", what, path,
			    strerror(errno));
			return -1;
		}
		if (end)
			break;
		*p = '/';
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cs_set_error(err, errlen, "the %s folder %s is not a folder", what, dir);
		return -1;
	}
	return 0;
}

/* "PORT", "HOST:PORT" or "[V6]:PORT" into host and port; 0 ok. */
int
cs_parse_host_port(const char *spec, const char *default_host, char *host, size_t hostlen,
    unsigned *port)
{
	const char *colon = strrchr(spec, ':');
	const char *p = colon ? colon + 1 : spec;
	char *end;
	long v = strtol(p, &end, 10);
	if (*p == '\0' || *end || v < 1 || v > 65535)
		return -1;
	*port = (unsigned)v;
	if (colon == NULL) {
		cs_strlcpy(host, default_host, hostlen);
		return 0;
	}
	size_t n = (size_t)(colon - spec);
	if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
		spec++;
		n -= 2;
	}
	if (n == 0 || n >= hostlen || memchr(spec, '[', n) || memchr(spec, ']', n))
		return -1;
	memcpy(host, spec, n);
	host[n] = '\0';
	return 0;
}
