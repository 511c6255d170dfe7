/*
 * log.c - what callsightd says once it runs: errors and warnings (and, with -v, what it does) with
 * a time and a level. In the foreground they go to stderr as before; a daemon started with -d
 * (as the TUI starts it) has no terminal, so its stderr becomes a log file beside the store (0600,
 * never through a symlink) and errors also go to syslog(3) (os_log on macOS receives it). A hook
 * lets the daemon send warnings and errors to its clients, whose status line shows the last one
 * (called on the event loop's thread only: other threads' messages go to the log alone).
 * One logger per process, as tmux's log.c: cs_log_close() puts it back as a test needs it.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "callsightd.h"

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static struct {
	enum cs_log_level	 max;		/* levels above it are not said */
	bool			 to_file;	/* stderr is the log file: stamp each line */
	bool			 to_syslog;
	cs_log_hook		 hook;
	void			*hook_arg;
	pthread_t		 hook_thread;	/* the hook runs on its setter's thread only (the loop's) */
	bool			 in_hook;	/* a hook that logs does not loop */
} logger = { .max = CS_LOG_WARN };

const char *
cs_log_level_name(enum cs_log_level level)
{
	return level <= CS_LOG_DEBUG ? level_names[level] : "?";
}

void
cs_log_set_level(enum cs_log_level max)
{
	logger.max = max;
}

void
cs_log_set_hook(cs_log_hook hook, void *arg)
{
	logger.hook = hook;
	logger.hook_arg = arg;
	logger.hook_thread = pthread_self();
}

int
cs_log_to_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		cs_set_error(err, errlen, "cannot open the log %s: %s", path, strerror(errno));
		return -1;
	}
	if (dup2(fd, STDERR_FILENO) < 0) {	/* stray messages (libraries') land there too */
		cs_set_error(err, errlen, "cannot log to %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	logger.to_file = true;
	logger.to_syslog = true;
	openlog("callsightd", LOG_PID, LOG_DAEMON);
	return 0;
}

void
cs_log(enum cs_log_level level, const char *fmt, ...)
{
	if (level > logger.max && !(logger.hook && level <= CS_LOG_WARN))
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (level <= logger.max) {
		if (logger.to_file) {
			char when[40];
			cs_format_time(cs_wall_us(), when, sizeof when);
			fprintf(stderr, "%s %s: %s\n", when, level_names[level], msg);
		} else {
			fprintf(stderr, "callsightd: %s\n", msg);
		}
		fflush(stderr);
		if (logger.to_syslog && level <= CS_LOG_WARN)
			syslog(level == CS_LOG_ERROR ? LOG_ERR : LOG_WARNING, "%s", msg);
	}
	if (logger.hook && level <= CS_LOG_WARN && pthread_equal(pthread_self(), logger.hook_thread) &&
	    !logger.in_hook) {
		logger.in_hook = true;
		logger.hook(level, msg, logger.hook_arg);
		logger.in_hook = false;
	}
}

void
cs_log_close(void)
{
	if (logger.to_syslog)
		closelog();
	memset(&logger, 0, sizeof logger);
	logger.max = CS_LOG_WARN;
}
