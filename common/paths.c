/*
 * paths.c - where the daemon's socket lives by default, for the daemon that listens there and the
 * client that connects (include/callsight/common.h): one rule, so both always agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <callsight/common.h>

int
cs_socket_default_path(char *out, size_t outlen)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	int n;
	if (runtime && runtime[0] == '/') {
		n = snprintf(out, outlen, "%s/callsight/sock", runtime);
	} else {
		const char *tmp = getenv("TMPDIR");
		if (tmp == NULL || tmp[0] != '/')
			tmp = "/tmp";
		n = snprintf(out, outlen, "%s/callsight-%ld/sock", tmp, (long)getuid());
	}
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}
