/*
 * cmd.h - callsight's scriptable subcommands (tmux's cmd-*.c): `callsight tail` and
 * `callsight report`, and the blocking connection they share.
 */
#ifndef CALLSIGHT_CMD_H
#define CALLSIGHT_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <callsight/common.h>

struct cmd_conn {
	int			 fd;
	struct cs_ndjson	 in;	/* the daemon's lines (common/ndjson.c) */
	bool			 eof;
};

int	 cmd_connect(struct cmd_conn *c, const char *socket_opt, char *err, size_t errlen);
void	 cmd_close(struct cmd_conn *c);
int	 cmd_send(struct cmd_conn *c, json_t *req);		/* steals req */
char	*cmd_read_line(struct cmd_conn *c, int timeout_ms);	/* NULL: timeout or EOF (c->eof) */
json_t	*cmd_read(struct cmd_conn *c, int timeout_ms);

int	 cmd_tail(int argc, char **argv);
int	 cmd_report(int argc, char **argv);

#endif
