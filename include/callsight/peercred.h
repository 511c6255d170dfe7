/*
 * peercred.h - who is on the other end of a connected Unix socket: the one platform difference
 * the daemon (which refuses other users) and the client (which refuses a socket served by another
 * user) share. Linux has SO_PEERCRED; macOS and the BSDs have getpeereid(3). Header-only so both
 * programs use the same code without the TUI seeing the daemon's headers.
 */
#ifndef CALLSIGHT_PEERCRED_H
#define CALLSIGHT_PEERCRED_H

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

/* 0 and *uid set, or -1 with errno */
static inline int
callsight_peer_uid(int fd, uid_t *uid)
{
#if defined(__linux__) && defined(SO_PEERCRED)
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	*uid = cred.uid;
	return 0;
#else
	gid_t gid;
	return getpeereid(fd, uid, &gid);
#endif
}

#endif
