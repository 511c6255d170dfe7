/*
 * sockcompat.h - socket calls that differ between Linux and macOS, in one place: a close-on-exec
 * socket (SOCK_CLOEXEC is Linux/BSD, macOS lacks it) and a send that cannot raise SIGPIPE
 * (MSG_NOSIGNAL on Linux, the SO_NOSIGPIPE socket option on macOS). Header-only, shared by the
 * daemon and the client; `make cross-macos` compiles every user against macOS's headers.
 */
#ifndef CALLSIGHT_SOCKCOMPAT_H
#define CALLSIGHT_SOCKCOMPAT_H

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

/* socket(2) with FD_CLOEXEC set (atomically where the system can) and, where the system has no
 * per-send flag, SIGPIPE turned off for the socket */
static inline int
callsight_socket_cloexec(int domain, int type, int protocol)
{
#ifdef SOCK_CLOEXEC
	return socket(domain, type | SOCK_CLOEXEC, protocol);
#else
	int fd = socket(domain, type, protocol);
	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		close(fd);
		return -1;
	}
#ifdef SO_NOSIGPIPE
	int on = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
	return fd;
#endif
}

#ifdef MSG_NOSIGNAL
#define CALLSIGHT_MSG_NOSIGNAL	MSG_NOSIGNAL
#else
#define CALLSIGHT_MSG_NOSIGNAL	0	/* SO_NOSIGPIPE, set by callsight_socket_cloexec */
#endif

#endif
