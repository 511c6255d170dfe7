/*
 * privdir.h - is a socket's folder private to us? Owned by our uid, a real directory (not a
 * symlink), mode 0700. The daemon checks the folder it serves in (server.c) and every client
 * checks it again before it sends anything (tui/client.c), because with XDG_RUNTIME_DIR unset the
 * folder lives in a shared /tmp where another user may have planted it (and a fake socket).
 * Header-only so the daemon and the TUI share one check without sharing headers.
 */
#ifndef CALLSIGHT_PRIVDIR_H
#define CALLSIGHT_PRIVDIR_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* 0 when dir is ours alone; -1 with a message naming dir and the fix (errno ENOENT when absent) */
static inline int
callsight_check_private_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(dir, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot use %s: %s", dir, strerror(e));
		errno = e;
		return -1;
	}
	errno = EPERM;
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "%s is a symbolic link: refusing to use it", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != getuid()) {
		snprintf(err, errlen, "%s is owned by uid %ld, not by you (uid %ld): refusing to use it",
		    dir, (long)st.st_uid, (long)getuid());
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s has mode %04o: others can reach it; it must be 0700 "
		    "(chmod 700 %s)", dir, (unsigned)(st.st_mode & 07777), dir);
		return -1;
	}
	return 0;
}

/* the folder part of a socket path ("." when it has none) */
static inline void
callsight_socket_dir(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

#endif
