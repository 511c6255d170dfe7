/*
 * tui.h - the one header of callsight, the ncurses client of callsightd. The TUI shares nothing
 * with the daemon but include/callsight/ (the X-macro lists, version.h) and the NDJSON protocol
 * (docs/protocol.md), so everything it knows about a device lives in the model here, built from
 * records alone. All state is in one struct tui passed around; the only global is the signal flag
 * in main.c, which a signal handler cannot do without.
 */
#ifndef CALLSIGHT_TUI_H
#define CALLSIGHT_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <callsight/common.h>

/* ---------------------------------------------------------------- lanes, states, colours */

enum tui_lane {
#define CS_LANE(id, label) LANE_##id,
#include <callsight/lanes.def>
#undef CS_LANE
	LANE_COUNT
};
#define NLANES	LANE_none		/* the lanes drawn: all but "none" */

enum tui_colour {
	COL_NONE, COL_GREEN, COL_YELLOW, COL_RED, COL_BLUE, COL_MAGENTA, COL_CYAN, COL_DIM,
	COL_HEADER, COL_STATUS, COL_TITLE, COL_TITLE_FOCUS, COL_COUNT
};

/* fill patterns of a span (states.def's patterns, in their order): each state of a lane has its own,
 * so monochrome still tells them apart */
enum tui_fill {
	FILL_SOLID = CS_PAT_solid, FILL_DARK = CS_PAT_dark, FILL_MEDIUM = CS_PAT_medium,
	FILL_LIGHT = CS_PAT_light, FILL_LINE = CS_PAT_line, FILL_DOT = CS_PAT_dot,
	FILL_BLANK = CS_PAT_blank, FILL_COUNT = CS_PAT_COUNT
};

/* lanes and states: include/callsight/states.def through cs_states[], cs_state_find() (common/) */
enum tui_colour	 tui_state_colour(int state);	/* its tone's colour; COL_NONE for -1 */
const char	*tui_event_label(const char *kind);			/* events.def, or NULL */
const char	*tui_cause_label(const char *cause);			/* causes.def, or NULL */
const char	*tui_cause_advice(const char *cause);

/* ---------------------------------------------------------------- the model (model.c) */

#define TUI_MAX_DEVICES		64
#define TUI_ITEMS_PER_DEVICE	50000	/* events + flags + marks kept per device */
#define TUI_CHANGES_PER_LANE	10000	/* state changes kept per lane and device */

struct tui_change {
	int64_t	 t;		/* ms since the epoch, UTC */
	int	 state;		/* index in cs_states, -1 a state this build does not know */
};

struct tui_lanebuf {
	struct tui_change	*v;
	size_t			 n, cap;
};

struct tui_evidence {
	long	 line;
	int64_t	 t;
	char	*kind;
	char	*text;
};

enum tui_item_type { ITEM_EVENT, ITEM_FLAG, ITEM_MARK };

struct tui_item {
	int64_t			 t;
	uint64_t		 seq;		/* unique, to find an item again after inserts */
	enum tui_item_type	 type;
	long			 line;
	long			 id;		/* flag or mark id */
	int			 lane;		/* event: its lane; -1 none */
	bool			 disconnect;	/* flag: severity disconnect (else warning) */
	bool			 inferred;
	double			 confidence;
	char			*kind;		/* event kind, flag cause */
	char			*text;		/* the row shown in the event list, searched by '/' */
	char			*label;		/* flag label, mark note */
	char			*detail;	/* flag detail sentence */
	char			*advice;
	char			*sdk;		/* flag: the call SDK it names; NULL unknown */
	struct tui_evidence	*ev;
	size_t			 nev;
	char			**reports;	/* flag: the phone's crash/jetsam reports, one line each */
	size_t			 nreports;
	char			**alts;		/* flag: "cause (30%): what would tell them apart" */
	size_t			 nalts;
};

struct tui_device {
	char			*id;		/* UDID, or the device name of a replayed capture */
	char			*name, *ios, *product, *link;
	char			*app;		/* bundle of the app under test */
	char			*bgmodes;	/* "audio,voip"; NULL unknown */
	char			*sdk;		/* the app's call SDK (flags, app record); NULL unknown */
	struct tui_lanebuf	 lanes[NLANES];
	struct tui_item		**items;	/* sorted by time */
	size_t			 nitems, capitems;
	int			 disconnects, warnings;
	long			 daemon_flags;	/* from a devices answer; -1 unknown */
	int64_t			 tmin, tmax;	/* extent of what is known; 0 = nothing yet */
};

struct tui_model {
	struct tui_device	 dev[TUI_MAX_DEVICES];
	size_t			 ndev;
	size_t			 cap_items;
	uint64_t		 next_seq;
	char			*app_hint;	/* app named by summary records */
};

void	 model_init(struct tui_model *m, size_t cap_items);
void	 model_clear(struct tui_model *m);
int	 model_apply(struct tui_model *m, json_t *rec);	/* 0 applied, -1 ignored */
struct tui_device *model_device(struct tui_model *m, const char *id, bool create);
int	 model_lane_at(const struct tui_device *d, int lane, int64_t t);	/* state index, -1 */
size_t	 model_item_index(const struct tui_device *d, int64_t t);	/* first item with t' > t */
int64_t	 tui_parse_time(const char *iso);				/* 0 when malformed */
void	 tui_format_time(int64_t t, char *buf, size_t len, bool ms);

/* ---------------------------------------------------------------- the connection (client.c) */

enum tui_conn { CONN_DOWN, CONN_UP, CONN_FAILED };

/* what the client tells its owner (main.c wires them): it calls no other part of the TUI, as tmux's
 * proc_add_peer(..., client_dispatch) hands records to whoever set it up */
struct tui;
struct tui_client_hooks {
	void	(*status)(struct tui *t, bool error, const char *message);	/* for the status line */
	void	(*history_end)(struct tui *t);		/* the attach history is all in the model */
	void	(*report)(struct tui *t, const char *path);	/* a report bundle was written */
};

struct tui_client {
	struct tui_client_hooks hooks;
	char		 path[256];	/* socket */
	char		 privdir[200];	/* private replay: our temp dir; "" live */
	char		 trust[320];	/* why the last connect was refused (another user's socket) */
	const char	*replay;	/* capture file, private mode */
	const char	*crash_dir;	/* --crash-dir: the phone's reports, for the private daemon */
	const char	*argv0;
	pid_t		 child;		/* the private replay daemon */
	int		 fd;
	enum tui_conn	 state;
	bool		 hello;		/* hello seen and accepted */
	bool		 history_done;
	long		 next_id;
	struct cs_ndjson in;		/* the daemon's lines (common/ndjson.c) */
	char		*out;		/* requests not yet written */
	size_t		 outlen, outcap;
	int64_t		 retry_at;	/* monotonic ms of the next reconnect */
	char		 mode[16];	/* hello's mode */
	char		 version[32];
	long		 report_id, mark_id, devices_id, history_id;
};

struct tui;
int	 client_open(struct tui *t, char *err, size_t errlen);	/* resolve, start, connect */
void	 client_close(struct tui *t);
void	 client_read(struct tui *t);		/* the socket is readable */
void	 client_flush(struct tui *t);		/* write what is queued */
void	 client_tick(struct tui *t);		/* reconnect when the daemon went away */
long	 client_request(struct tui *t, json_t *req);	/* steals req; returns its id */
int	 client_socket_path(const char *opt, char *out, size_t len);
/* connect to a daemon's socket only if its folder is ours alone and the listener runs as us; -1
 * with errno (EPERM: not trusted, with the reason in err; else connect's errno) */
int	 client_connect_trusted(const char *path, char *err, size_t errlen);

/* ---------------------------------------------------------------- the user interface */

enum tui_pane { PANE_TIMELINE, PANE_EVENTS, PANE_DETAIL, PANE_COUNT };
enum tui_overlay { OVERLAY_NONE, OVERLAY_HELP, OVERLAY_DEVICES };
enum tui_prompt { PROMPT_NONE, PROMPT_SEARCH, PROMPT_MARK };

struct tui_rect { int y, x, h, w; };

struct tui_layout {
	struct tui_rect	 header, timeline, events, detail, status;
	bool		 detail_shown;
};

struct tui {
	struct tui_model	 model;
	struct tui_client	 client;
	struct tui_layout	 lay;

	size_t		 devsel;		/* the device shown */
	int64_t		 cursor;		/* time under the cursor */
	uint64_t	 sel_seq;		/* the selected event-list item */
	int		 zoom;			/* index in the zoom table */
	bool		 zoom_set;		/* the user chose a zoom: do not auto-fit */
	int64_t		 view_t0;		/* time of the timeline's first column */
	bool		 follow;		/* live: the cursor stays at the newest record */
	enum tui_pane	 focus;
	bool		 detail_open;		/* narrow screens: the detail pane is open */
	long		 detail_flag;		/* flag id shown in detail; -1 none */
	int		 detail_scroll;
	size_t		 ev_top;		/* first row shown in the event list */
	enum tui_overlay overlay;
	size_t		 ovl_sel;

	enum tui_prompt	 prompt;
	char		 input[256];
	size_t		 inputlen;
	char		 search[256];

	char		 status[512];
	bool		 status_error;
	int64_t		 status_until;		/* monotonic ms; 0 = until replaced */
	char		 conn_msg[512];		/* connection state, shown when no status */

	bool		 utf8, colour;
	bool		 quit;
	int		 exit_code;
	const char	*report_dir;
	const char	*socket_opt;
	bool		 dirty;
};

/* draw.c: colours, glyphs, clipped text */
void	 draw_init(struct tui *t);
int	 draw_attr(const struct tui *t, enum tui_colour c);
const char *draw_fill(const struct tui *t, enum tui_fill f);
const char *draw_glyph(const struct tui *t, const char *utf8, const char *ascii);
int	 draw_text(const struct tui *t, int y, int x, int w, int attr, const char *s);	/* cols used */
void	 draw_blank(int y, int x, int w, int attr);
void	 draw_frame(const struct tui *t, struct tui_rect r, const char *title);
void	 draw_box_title(const struct tui *t, struct tui_rect r, const char *title, bool focus);
int	 draw_wrap(const struct tui *t, const char *s, int w, int skip, int y, int x, int h, int attr);
int	 draw_wrap_count(const char *s, int w);

/* main.c / keys.c */
void	 tui_status(struct tui *t, bool error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
struct tui_device *tui_device(struct tui *t);	/* the device shown, or NULL */
void	 tui_layout(struct tui *t);
void	 tui_redraw(struct tui *t);
void	 tui_on_history_end(struct tui *t);
void	 tui_on_report(struct tui *t, const char *path);
void	 keys_handle(struct tui *t, int ch, bool is_key);
void	 keys_sync_view(struct tui *t);	/* keep cursor, selection and window consistent */
const struct tui_item *tui_selected(struct tui *t, size_t *index);
const struct tui_item *tui_detail_item(struct tui *t);

/* zoom: ms per timeline column */
extern const int64_t tui_zooms[];
extern const size_t tui_nzooms;
void	 tui_zoom_label(int64_t ms, char *buf, size_t len);

/* views */
void	 view_header(struct tui *t, struct tui_rect r);
void	 view_timeline(struct tui *t, struct tui_rect r);
void	 view_events(struct tui *t, struct tui_rect r);
int	 view_events_width(const struct tui *t, int rows);	/* the columns its rows want */
void	 view_detail(struct tui *t, struct tui_rect r);
void	 view_devices(struct tui *t);
void	 view_help(struct tui *t);
void	 view_status(struct tui *t, struct tui_rect r);

/* keys.c: the binding table, shared with the help overlay */
struct tui_binding {
	int		 key;
	const char	*keyname;
	const char	*help;
	void		(*fn)(struct tui *t);
};
extern const struct tui_binding tui_bindings[];
extern const size_t tui_nbindings;

#endif
