/*
 * report-html.c - the bundle's report.html: one page that stands alone (inline CSS and SVG from
 * daemon/report/, embedded at build; no JavaScript, no network): the verdict, the device and app
 * facts, the lanes as an SVG timeline (whole window and around the drop), each flag with its fix,
 * the phone's reports and the evidence lines. Every log text is hostile: it is HTML-escaped
 * (& < > " ') wherever it is written, and the page's Content-Security-Policy forbids scripts and
 * network fetches anyway.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "report.h"
#include "report_assets.h"

/* the page's CSS and SVG pattern definitions: daemon/report/, embedded at build (tools/embed.sh) */
static const char *
report_asset(const char *name)
{
	for (const struct cs_embedded_file *f = cs_report_assets; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f->text;
	return "";
}

/* ---------------------------------------------------------------- html helpers */

static void
html(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* "12:00:02.123" (UTC) */
static void
clock_text(int64_t time_us, char *buf, size_t len, bool ms)
{
	char iso[40];
	cs_format_time(time_us, iso, sizeof iso);
	snprintf(buf, len, "%.*s", ms ? 12 : 8, iso + 11);
}

static void
day_time_text(int64_t time_us, char *buf, size_t len)
{
	char iso[40];
	cs_format_time(time_us, iso, sizeof iso);
	snprintf(buf, len, "%.10s %.12s UTC", iso, iso + 11);
}

static bool
is_warning(const json_t *flag)
{
	return strcmp(jstr(flag, "severity"), "warning") == 0;
}

/* ---------------------------------------------------------------- html: style and header */


static void
write_head(FILE *out, const struct report *r)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", out);
	/* no scripts, no network: everything the page needs is in it */
	fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'; img-src data:\">\n", out);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>callsight report", out);
	if (r->focus) {
		fputs(" — ", out);
		html(out, jstr(r->focus, "cause"));
	}
	if (r->device) {
		fputs(" — ", out);
		html(out, device_name(r, r->device));
	}
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", report_asset("report.css"));
}

/* The flag the report leads with: the one asked for, else the first drop, else the first warning. */
static const json_t *
lead_flag(const struct report *r)
{
	if (r->focus)
		return r->focus;
	size_t i;
	json_t *f;
	json_array_foreach(r->flags, i, f) {
		if (!is_warning(f))
			return f;
	}
	return json_array_get(r->flags, 0);
}

static void
write_verdict(FILE *out, const struct report *r)
{
	size_t disconnects = 0, warnings = 0, i;
	json_t *f;
	json_array_foreach(r->flags, i, f) {
		if (is_warning(f))
			warnings++;
		else
			disconnects++;
	}
	const json_t *lead = lead_flag(r);
	const char *klass = lead == NULL ? "clear" : is_warning(lead) ? "warning" : "disconnect";
	fprintf(out, "<header class=\"verdict %s\">\n<div class=\"brand\">callsight · bug report</div>\n<h1>", klass);
	if (lead == NULL) {
		fputs("No dropped call in this window</h1>\n<p>", out);
	} else {
		fputs(is_warning(lead) ? "Warning: " : "Call dropped: ", out);
		html(out, jstr(lead, "label"));
		fputs("</h1>\n<p>Cause <code>", out);
		html(out, jstr(lead, "cause"));
		char when[64];
		day_time_text(record_time(lead), when, sizeof when);
		fprintf(out, "</code> · confidence %.0f%% · %s", json_number_value(json_object_get(lead,
		    "confidence")) * 100, when);
		if (json_is_true(json_object_get(lead, "inferred")))
			fputs(" · inferred: the app never reported the drop", out);
		fputs("<br>", out);
	}
	fprintf(out, "%zu dropped call%s and %zu warning%s in the window", disconnects, disconnects == 1 ? "" : "s",
	    warnings, warnings == 1 ? "" : "s");
	if (r->device) {
		fputs(" · ", out);
		html(out, device_name(r, r->device));
	}
	fputs("</p>\n</header>\n", out);
}

/* ---------------------------------------------------------------- html: facts */

static void
fact(FILE *out, const char *label, const char *value)
{
	fprintf(out, "<div><dt>%s</dt><dd>", label);
	html(out, value[0] ? value : "—");
	fputs("</dd></div>\n", out);
}

/* The call SDK the bundle is about: the focus flag's, else the first flag's that names one, else the
 * app record's; "" when the log never showed it. */
static const char *
report_sdk(const struct report *r, const json_t *app)
{
	if (r->focus && jstr(r->focus, "sdk")[0])
		return jstr(r->focus, "sdk");
	size_t i;
	json_t *f;
	json_array_foreach(r->flags, i, f)
		if (jstr(f, "sdk")[0])
			return jstr(f, "sdk");
	return app ? jstr(app, "sdk") : "";
}

static void
fact_bool(FILE *out, const char *label, bool yes, const char *yes_text, const char *no_text)
{
	fprintf(out, "<div><dt>%s</dt><dd class=\"%s\">%s %s</dd></div>\n", label, yes ? "yes" : "no",
	    yes ? "✓" : "✗", yes ? yes_text : no_text);
}

static bool
has_mode(const json_t *app, const char *mode)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(app, "background_modes"), i, m) {
		if (json_is_string(m) && strcmp(json_string_value(m), mode) == 0)
			return true;
	}
	return false;
}

/* the app under test: the focus flag's, else the first flag's, else the first app known */
static const json_t *
app_of_interest(const struct report *r, const char **bundle)
{
	const json_t *flag = r->focus ? r->focus : json_array_get(r->flags, 0);
	*bundle = flag ? jstr(flag, "app") : "";
	size_t i;
	json_t *app;
	json_array_foreach(r->apps, i, app) {
		if ((*bundle)[0] == '\0' || strcmp(jstr(app, "bundle"), *bundle) == 0) {
			*bundle = jstr(app, "bundle");
			return app;
		}
	}
	return NULL;
}

static void
write_facts(FILE *out, const struct report *r)
{
	fputs("<section>\n<h2>Device and app</h2>\n<dl class=\"facts\">\n", out);
	const json_t *dev = r->device ? json_object_get(r->devices, r->device) : NULL;
	if (dev == NULL && json_object_size(r->devices) == 1)
		dev = json_object_iter_value(json_object_iter(r->devices));
	fact(out, "Device", dev ? jstr(dev, "name") : r->device ? r->device : "all devices");
	fact(out, "UDID", dev ? jstr(dev, "device") : r->device ? r->device : "");
	char os[96];
	snprintf(os, sizeof os, "%s%s%s", dev && jstr(dev, "product_version")[0] ? "iOS " : "",
	    dev ? jstr(dev, "product_version") : "", "");
	fact(out, "iOS", os);
	fact(out, "Model", dev ? jstr(dev, "product_type") : "");

	const char *bundle;
	const json_t *app = app_of_interest(r, &bundle);
	fact(out, "App", bundle);
	fact(out, "Call SDK", report_sdk(r, app));
	if (app) {
		bool audio = has_mode(app, "audio"), voip = has_mode(app, "voip");
		fact_bool(out, "Background modes", audio && voip, "audio + voip",
		    audio ? "no voip" : voip ? "no audio" : "no audio, no voip");
		fact_bool(out, "Microphone usage", json_is_true(json_object_get(app, "microphone_usage")),
		    "declared", "missing");
		fact_bool(out, "Camera usage", json_is_true(json_object_get(app, "camera_usage")), "declared",
		    "missing");
	} else {
		fact(out, "Background modes", "not read from the phone");
		fact(out, "Microphone usage", "");
		fact(out, "Camera usage", "");
	}
	char from[64], to[64], counts[160];
	day_time_text(r->t_start, from, sizeof from);
	day_time_text(r->t_end, to, sizeof to);
	fact(out, "Window from", from);
	fact(out, "Window to", to);
	int n = snprintf(counts, sizeof counts, "%zu lines · %zu records", r->nlines, r->nrecords);
	if (r->plot_from && n > 0 && (size_t)n < sizeof counts)
		snprintf(counts + n, sizeof counts - (size_t)n, " (the timeline draws the newest %d; all are in "
		    "events.ndjson)", HTML_MAX_RECORDS);
	fact(out, "Captured", counts);
	fact(out, "Secrets", r->opt->redact ? "redacted" : "NOT redacted");
	fputs("</dl>\n</section>\n", out);
}

/* ---------------------------------------------------------------- html: timeline (SVG) */

#define SVG_W		1140
#define SVG_LEFT	96	/* lane labels */
#define SVG_RIGHT	24
#define LANE_H		24
#define LANE_GAP	6
#define FLAG_ROW	34	/* flag labels above the lanes */
#define AXIS_H		30

/* What a lane state means (states.def's tone), for colour and pattern (greyscale keeps the pattern
 * and the label); the legend names every state of a tone from the same list. */
static const struct { const char *fill, *text, *pattern; } tone_style[CS_TONE_COUNT] = {
	[CS_TONE_none] = { "#eceff1", "#78838f", NULL },
	[CS_TONE_good] = { "#66bb6a", "#0d2e10", NULL },
	[CS_TONE_note] = { "#90caf9", "#0d2a45", NULL },
	[CS_TONE_warn] = { "#ffb74d", "#4a2a00", "url(#dots)" },
	[CS_TONE_bad] = { "#e57373", "#4a0b0b", "url(#hatch)" },
	[CS_TONE_dark] = { "#455a64", "#ffffff", NULL },
};

static enum cs_tone
state_tone(enum cs_lane lane, const char *state)
{
	int s = cs_state_find(lane, state);
	return s < 0 ? CS_TONE_none : cs_states[s].tone;
}

struct axis {
	int64_t	t0, t1;
	double	x0, x1;
};

static double
x_of(const struct axis *a, int64_t t)
{
	if (t < a->t0)
		t = a->t0;
	if (t > a->t1)
		t = a->t1;
	return a->x0 + (a->x1 - a->x0) * (double)(t - a->t0) / (double)(a->t1 - a->t0);
}

static void
svg_defs(FILE *out)
{
	fputs(report_asset("svg-defs.svg"), out);
}

/* one span of a lane: a filled (maybe patterned) box with the state's name when it fits */
static void
svg_span(FILE *out, double x0, double x1, double y, enum cs_lane lane, const char *state)
{
	if (x1 - x0 < 0.5)
		return;
	enum cs_tone tone = state_tone(lane, state);
	const char *fill = tone_style[tone].pattern ? tone_style[tone].pattern : tone_style[tone].fill;
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"#fff\" "
	    "stroke-width=\"1\"><title>", x0, y, x1 - x0, LANE_H, fill);
	html(out, state);
	fputs("</title></rect>", out);
	double need = (double)strlen(state) * 6.6 + 10;
	if (x1 - x0 >= need) {
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11.5\" font-weight=\"600\" fill=\"%s\"%s>",
		    x0 + 6, y + LANE_H / 2.0 + 4, tone_style[tone].text,
		    tone_style[tone].pattern ? " paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\"" : "");
		html(out, state);
		fputs("</text>", out);
	}
	fputc('\n', out);
}

/* one lane of one device: the state before the window, then each change */
static void
svg_lane(FILE *out, const struct report *r, const struct axis *a, const char *udid, enum cs_lane lane,
    double y)
{
	const char *lane_name = cs_lane_name(lane);
	fprintf(out, "<text x=\"%d\" y=\"%.1f\" font-size=\"12.5\" font-weight=\"600\" fill=\"#1d2330\" "
	    "text-anchor=\"end\">%s</text>\n", SVG_LEFT - 12, y + LANE_H / 2.0 + 4, cs_lane_label(lane));
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"#f7f8fa\" stroke=\"#e2e5ea\"/>\n",
	    a->x0, y, a->x1 - a->x0, LANE_H);
	char key[256];
	device_lane_key(udid, lane_name, key, sizeof key);
	const json_t *prior = json_object_get(r->prior, key);
	const char *state = prior ? jstr(prior, "state") : NULL;
	int64_t from = a->t0;
	size_t i;
	json_t *rec;
	json_array_foreach(r->records, i, rec) {
		if (strcmp(jstr(rec, "type"), "state") != 0 || strcmp(jstr(rec, "lane"), lane_name) != 0 ||
		    strcmp(jstr(rec, "device"), udid) != 0)
			continue;
		int64_t t = record_time(rec);
		if (state)
			svg_span(out, x_of(a, from), x_of(a, t), y, lane, state);
		state = jstr(rec, "state");
		from = t;
	}
	if (state)
		svg_span(out, x_of(a, from), a->x1, y, lane, state);
	/* events of this lane: small ticks along the lane's foot */
	json_array_foreach(r->records, i, rec) {
		if (strcmp(jstr(rec, "type"), "event") != 0 || strcmp(jstr(rec, "lane"), lane_name) != 0 ||
		    strcmp(jstr(rec, "device"), udid) != 0)
			continue;
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"2\" height=\"6\" fill=\"#1d2330\"><title>",
		    x_of(a, record_time(rec)) - 1, y + LANE_H - 6);
		html(out, jstr(rec, "kind"));
		fputs(" ", out);
		html(out, jstr(rec, "time"));
		fputs("</title></rect>\n", out);
	}
}

/* a tick every 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 6, 12 h: about 8 of them */
static int64_t
tick_step(int64_t span_us)
{
	static const int64_t steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
		21600, 43200, 86400 };
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (span_us / (steps[i] * SEC) <= 9)
			return steps[i] * SEC;
	return span_us / 8 + 1;
}

static void
svg_axis(FILE *out, const struct axis *a, double top, double bottom)
{
	int64_t step = tick_step(a->t1 - a->t0);
	int64_t first = (a->t0 / step + (a->t0 % step ? 1 : 0)) * step;
	for (int64_t t = first; t <= a->t1; t += step) {
		char label[16];
		clock_text(t, label, sizeof label, false);
		double x = x_of(a, t);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#cfd4db\" "
		    "stroke-dasharray=\"2 3\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#5d6675\" "
		    "text-anchor=\"middle\">%s</text>\n", x, top, x, bottom + 4, x, bottom + 18, label);
	}
}

/* flags: a line over the lanes and the cause id above them; marks: a dashed blue line */
static void
svg_markers(FILE *out, const struct report *r, const struct axis *a, const char *udid, double top,
    double bottom)
{
	size_t i;
	json_t *m;
	json_array_foreach(r->marks, i, m) {
		if (strcmp(jstr(m, "device"), udid) != 0)
			continue;
		double x = x_of(a, record_time(m));
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1565c0\" "
		    "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"><title>mark: ", x, top, x, bottom);
		html(out, jstr(m, "note"));
		fputs("</title></line>\n", out);
	}
	double last_label_end = -1e9;
	int row = 0;
	json_array_foreach(r->flags, i, m) {
		if (strcmp(jstr(m, "device"), udid) != 0)
			continue;
		bool warn = is_warning(m);
		const char *colour = warn ? "#c77700" : "#c62828";
		double x = x_of(a, record_time(m));
		char label[160];
		snprintf(label, sizeof label, "#%lld %s", (long long)jint(m, "id"), jstr(m, "cause"));
		double width = (double)strlen(label) * 7.3 + 14;
		row = x < last_label_end ? (row + 1) % 2 : 0;	/* two rows, so close flags stay legible */
		double ly = top - FLAG_ROW + 2 + row * 15;
		double lx = x + width > a->x1 + SVG_RIGHT ? x - width : x;
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>"
		    "<path d=\"M%.1f %.1f l-5 -7 h10 z\" fill=\"%s\"/>", x, ly + 12, x, bottom, colour, x, top,
		    colour);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" rx=\"3\" fill=\"%s\"/>"
		    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" font-weight=\"700\" fill=\"#fff\">",
		    lx, ly, width, colour, lx + 8, ly + 10.5);
		html(out, label);
		fputs("<title>", out);
		html(out, jstr(m, "label"));
		fputs("</title></text>\n", out);
		if (row == 0 || lx + width > last_label_end)
			last_label_end = lx + width;
	}
}

/* the devices to draw: the one asked for, else each device with records */
static json_t *
timeline_devices(const struct report *r)
{
	json_t *udids = json_array();
	if (r->device) {
		json_array_append_new(udids, json_string(r->device));
		return udids;
	}
	json_t *seen = json_object();
	size_t i;
	json_t *rec;
	json_array_foreach(r->udids, i, rec) {	/* the streamed records' devices, in order */
		json_object_set_new(seen, json_string_value(rec), json_true());
		json_array_append(udids, rec);
	}
	json_array_foreach(r->flags, i, rec) {
		const char *d = jstr(rec, "device");
		if (json_object_get(seen, d) == NULL) {
			json_object_set_new(seen, d, json_true());
			json_array_append_new(udids, json_string(d));
		}
	}
	json_decref(seen);
	if (json_array_size(udids) == 0)
		json_array_append_new(udids, json_string(""));
	return udids;
}

/* One SVG: a block of lanes per device, the axis, flags and marks; zoom (may be NULL) is outlined. */
static void
svg_timeline(FILE *out, const struct report *r, const struct axis *a, json_t *udids, bool defs,
    const struct axis *zoom)
{
	size_t ndev = json_array_size(udids);
	double block = FLAG_ROW + PLOT_LANES * (LANE_H + LANE_GAP) + AXIS_H + (ndev > 1 ? 20 : 0);
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
	    "aria-label=\"lanes over time\" font-family=\"-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif\">\n",
	    SVG_W, block * (double)ndev + 8);
	if (defs)
		svg_defs(out);
	for (size_t d = 0; d < ndev; d++) {
		const char *udid = json_string_value(json_array_get(udids, d));
		double y0 = block * (double)d + (ndev > 1 ? 20 : 0);
		if (ndev > 1) {
			fprintf(out, "<text x=\"0\" y=\"%.1f\" font-size=\"13\" font-weight=\"700\" fill=\"#1d2330\">",
			    y0 - 4);
			html(out, device_name(r, udid));
			fputs("</text>\n", out);
		}
		double top = y0 + FLAG_ROW, bottom = top + PLOT_LANES * (LANE_H + LANE_GAP) - LANE_GAP;
		for (int l = 0; l < PLOT_LANES; l++)
			svg_lane(out, r, a, udid, plot_lanes[l], top + l * (LANE_H + LANE_GAP));
		svg_axis(out, a, top, bottom);
		if (zoom) {
			double zx0 = x_of(a, zoom->t0), zx1 = x_of(a, zoom->t1);
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1d2330\" "
			    "fill-opacity=\"0.06\" stroke=\"#1d2330\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\" rx=\"3\">"
			    "<title>shown zoomed below</title></rect>\n", zx0 - 2, top - 4, zx1 - zx0 + 4,
			    bottom - top + 8);
		}
		svg_markers(out, r, a, udid, top, bottom);
	}
	fputs("</svg>\n", out);
}

/* The stretch the lead flag's evidence covers, when it is a small part of the window. */
static bool
zoom_range(const struct report *r, struct axis *zoom)
{
	const json_t *f = lead_flag(r);
	if (f == NULL)
		return false;
	int64_t t0 = record_time(f), t1 = t0;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(f, "evidence"), i, e) {
		int64_t t = record_time(e);
		if (t && t < t0)
			t0 = t;
		if (t > t1)
			t1 = t;
	}
	int64_t pad = (t1 - t0) / 10 > 5 * SEC ? (t1 - t0) / 10 : 5 * SEC;
	int64_t start = r->plot_from ? r->plot_from : r->t_start;
	t0 = t0 - pad < start ? start : t0 - pad;
	t1 = t1 + pad > r->t_end ? r->t_end : t1 + pad;
	if (t1 <= t0 || (t1 - t0) * 10 > (r->t_end - start) * 6)
		return false;
	zoom->t0 = t0;
	zoom->t1 = t1;
	zoom->x0 = SVG_LEFT;
	zoom->x1 = SVG_W - SVG_RIGHT;
	return true;
}

/* one legend entry of a tone: the states that have it, each once ("unknown / none / inactive") */
static void
legend_tone(FILE *out, enum cs_tone tone)
{
	fprintf(out, "<span><i style=\"background:%s\"></i>", tone_style[tone].fill);
	int said = 0;
	for (int i = 0; i < CS_STATE_COUNT; i++) {
		bool seen = false;
		for (int k = 0; k < i && !seen; k++)
			seen = cs_states[k].tone == tone && strcmp(cs_states[k].name, cs_states[i].name) == 0;
		if (cs_states[i].tone == tone && !seen)
			fprintf(out, "%s%s", said++ ? ", " : "", cs_states[i].name);
	}
	fputs("</span>", out);
}

static void
svg_legend(FILE *out)
{
	fputs("<div class=\"legend\">", out);
	for (int t = CS_TONE_good; t < CS_TONE_COUNT; t++)
		legend_tone(out, (enum cs_tone)t);
	legend_tone(out, CS_TONE_none);
	fputs("<span><i style=\"background:#c62828;width:4px\"></i>drop (cause id)</span>"
	    "<span><i style=\"background:#c77700;width:4px\"></i>warning</span>"
	    "<span><i style=\"background:#1565c0;width:4px\"></i>mark</span>"
	    "<span><i style=\"background:#1d2330;width:2px\"></i>event</span>"
	    "<span class=\"muted\">bad states are hatched, warnings dotted</span>"
	    "</div>\n", out);
}

static void
write_timeline(FILE *out, const struct report *r)
{
	json_t *udids = timeline_devices(r);
	/* when the window held more records than the page draws, the timeline starts at the oldest drawn */
	struct axis all = { .t0 = r->plot_from && r->plot_from < r->t_end ? r->plot_from : r->t_start, .t1 = r->t_end,
	    .x0 = SVG_LEFT, .x1 = SVG_W - SVG_RIGHT };
	struct axis zoom;
	bool zoomed = zoom_range(r, &zoom);
	fputs("<section>\n<h2>Timeline (UTC)</h2>\n", out);
	svg_timeline(out, r, &all, udids, true, zoomed ? &zoom : NULL);
	if (zoomed) {
		char from[16], to[16];
		clock_text(zoom.t0, from, sizeof from, false);
		clock_text(zoom.t1, to, sizeof to, false);
		fprintf(out, "<h3 class=\"zoom\">Around the drop: %s – %s UTC</h3>\n", from, to);
		json_t *one = json_array();
		json_array_append_new(one, json_string(jstr(lead_flag(r), "device")));
		svg_timeline(out, r, &zoom, one, false, NULL);
		json_decref(one);
	}
	svg_legend(out);
	fputs("</section>\n", out);
	json_decref(udids);
}

/* ---------------------------------------------------------------- html: flags and evidence */

static void
write_flag(FILE *out, const struct report *r, const json_t *f)
{
	bool warn = is_warning(f);
	char when[64];
	day_time_text(record_time(f), when, sizeof when);
	double conf = json_number_value(json_object_get(f, "confidence"));
	fprintf(out, "<article class=\"flag%s%s\" id=\"flag-%lld\">\n<div class=\"top\"><span class=\"badge\">%s</span>"
	    "<span>#%lld</span><span>%s</span><code>", warn ? " warning" : "", f == r->focus ? " focus" : "",
	    (long long)jint(f, "id"), warn ? "WARNING" : "DISCONNECT", (long long)jint(f, "id"), when);
	html(out, jstr(f, "cause"));
	fprintf(out, "</code><span class=\"conf\">confidence <b><i style=\"width:%.0f%%\"></i></b> %.0f%%</span>",
	    conf * 100, conf * 100);
	if (json_is_true(json_object_get(f, "inferred")))
		fputs("<span>inferred</span>", out);
	fputs("</div>\n<h3>", out);
	html(out, jstr(f, "label"));
	fputs("</h3>\n<p class=\"detail\">", out);
	html(out, jstr(f, "detail")[0] ? jstr(f, "detail") : "(no detail recorded)");
	fputs("</p>\n<p class=\"muted\">App <code>", out);
	html(out, jstr(f, "app")[0] ? jstr(f, "app") : "?");
	if (jstr(f, "sdk")[0]) {
		fputs("</code> · SDK <code>", out);
		html(out, jstr(f, "sdk"));
	}
	fprintf(out, "</code> · raised at line %lld · %zu evidence line%s</p>\n", (long long)jint(f, "line"),
	    json_array_size(json_object_get(f, "evidence")),
	    json_array_size(json_object_get(f, "evidence")) == 1 ? "" : "s");
	fputs("<div class=\"advice\"><strong>Fix: </strong>", out);
	html(out, jstr(f, "advice"));
	fputs("</div>\n", out);
	json_t *alts = json_object_get(f, "alternatives");
	if (json_array_size(alts) > 0) {
		fputs("<div class=\"alternatives\"><strong>Could also be</strong><ul>\n", out);
		size_t i;
		json_t *a;
		json_array_foreach(alts, i, a) {
			fputs("<li><code>", out);
			html(out, jstr(a, "cause"));
			fprintf(out, "</code> %.0f%%: to tell them apart, ",
			    json_number_value(json_object_get(a, "confidence")) * 100);
			html(out, jstr(a, "settle"));
			fputs("</li>\n", out);
		}
		fputs("</ul></div>\n", out);
	}
	fputs("</article>\n", out);
}

static void
write_flags(FILE *out, const struct report *r)
{
	fprintf(out, "<section>\n<h2>Flags (%zu)</h2>\n", json_array_size(r->flags));
	if (json_array_size(r->flags) == 0)
		fputs("<p class=\"muted\">callsight raised no flag in this window.</p>\n", out);
	if (r->focus)
		write_flag(out, r, r->focus);
	size_t i;
	json_t *f;
	json_array_foreach(r->flags, i, f) {
		if (f != r->focus)
			write_flag(out, r, f);
	}
	fputs("</section>\n", out);
}

static void
crash_fact(FILE *out, const char *label, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	fputs("<dt>", out);
	html(out, label);
	fputs("</dt><dd>", out);
	html(out, value);
	fputs("</dd>\n", out);
}

static void
write_victim(FILE *out, const struct cs_report_victim *vic, bool other)
{
	char buf[256];
	crash_fact(out, other ? "Also killed" : "Verdict", vic->cause == CS_CAUSE_unknown ?
	    "not a kill (a diagnostic)" : cs_cause_name(vic->cause));
	crash_fact(out, "Reason", vic->reason);
	if (vic->pid > 0)
		snprintf(buf, sizeof buf, "%s [%ld]", vic->process, vic->pid);
	else
		cs_strlcpy(buf, vic->process, sizeof buf);
	crash_fact(out, "Process", buf);
	crash_fact(out, "Bundle", vic->bundle);
	if (vic->footprint && !other) {
		snprintf(buf, sizeof buf, "%.1f MB", (double)vic->footprint / (1024.0 * 1024));
		crash_fact(out, "Footprint", buf);
	}
}

/* a section per report: what decides first (who, when, why), the frames below */
static void
write_crash_reports(FILE *out, const struct report *r)
{
	if (r->ncrash == 0)
		return;
	fputs("<section class=\"crash\">\n<h2>The phone's crash and jetsam reports</h2>\n<p class=\"muted\">"
	    "Reports the phone wrote about the app's death, tied to a flag by process, pid and time. Each is in "
	    "the bundle as its own file.</p>\n", out);
	for (size_t i = 0; i < r->ncrash; i++) {
		const struct crash_file *c = &r->crash[i];
		const struct cs_crash_report *rep = &c->rep;
		fputs("<article class=\"flag\">\n<h3><code>", out);
		html(out, c->name);
		fputs("</code></h3>\n", out);
		if (!c->parsed) {
			fputs("<p class=\"muted\">The file is in the bundle, but it does not read as a report.</p>\n"
			    "</article>\n", out);
			continue;
		}
		fputs("<dl class=\"facts\">\n", out);
		char buf[256];
		snprintf(buf, sizeof buf, "#%lld", c->flag_id);
		crash_fact(out, "Decides flag", buf);
		/* the victim the flag stands on first, then whoever else the report names */
		for (int pass = 0; pass < 2; pass++)
			for (size_t v = 0; v < rep->nvictims; v++) {
				const struct cs_report_victim *vic = &rep->victims[v];
				if ((strcmp(vic->reason, c->flag_reason) == 0) != (pass == 0))
					continue;
				if (vic->cause == CS_CAUSE_unknown && rep->nvictims > 1)
					continue;
				write_victim(out, vic, pass == 1);
			}
		crash_fact(out, "Exception", rep->exception);
		crash_fact(out, "Termination", rep->termination);
		crash_fact(out, "Largest process", rep->largest_process);
		if (rep->time_us) {
			day_time_text(rep->time_us, buf, sizeof buf);
			crash_fact(out, "Time (UTC)", buf);
		}
		snprintf(buf, sizeof buf, "%s (%s)", rep->bug_type, rep->format);
		crash_fact(out, "bug_type", buf);
		crash_fact(out, "OS", rep->os_version);
		fputs("</dl>\n", out);
		if (rep->nframes) {
			fputs("<h3>Crashed thread, top frames</h3>\n<pre class=\"raw\">", out);
			for (size_t k = 0; k < rep->nframes; k++) {
				html(out, rep->frames[k]);
				fputc('\n', out);
			}
			fputs("</pre>\n", out);
		}
		fputs("</article>\n", out);
	}
	fputs("</section>\n", out);
}

static void
write_evidence_of(FILE *out, const json_t *f)
{
	fprintf(out, "<h3>#%lld <code>", (long long)jint(f, "id"));
	html(out, jstr(f, "cause"));
	fputs("</code></h3>\n<table>\n<tr><th>Line</th><th>Time (UTC)</th><th>Event</th><th>Log line</th></tr>\n", out);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(f, "evidence"), i, e) {
		char when[20];
		clock_text(record_time(e), when, sizeof when, true);
		fprintf(out, "<tr><td class=\"n\">%lld</td><td class=\"n\">%s</td><td class=\"n\">", (long long)jint(e, "line"),
		    when);
		html(out, jstr(e, "kind"));
		fputs("</td><td class=\"raw\">", out);
		html(out, jstr(e, "text"));
		fputs("</td></tr>\n", out);
	}
	if (json_array_size(json_object_get(f, "evidence")) == 0)
		fputs("<tr><td colspan=\"4\" class=\"muted\">no evidence lines recorded</td></tr>\n", out);
	fputs("</table>\n", out);
}

static void
write_evidence(FILE *out, const struct report *r)
{
	if (json_array_size(r->flags) == 0)
		return;
	fputs("<section class=\"evidence\">\n<h2>Evidence</h2>\n<p class=\"muted\">The log lines each "
	    "verdict rests on, in log order. The whole window is in <code>syslog.txt</code>.</p>\n", out);
	if (r->focus)
		write_evidence_of(out, r->focus);
	size_t i;
	json_t *f;
	json_array_foreach(r->flags, i, f) {
		if (f != r->focus)
			write_evidence_of(out, f);
	}
	fputs("</section>\n", out);
}

static void
write_footer(FILE *out, const struct report *r)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char now[64];
	day_time_text((int64_t)ts.tv_sec * SEC, now, sizeof now);
	fprintf(out, "<footer>Generated by callsight %s on %s. This bundle also holds <code>flags.json</code>, "
	    "<code>events.ndjson</code> and <code>syslog.txt</code>%s.</footer>\n</main>\n</body>\n</html>\n",
	    CALLSIGHT_VERSION, now, r->opt->redact ? "; tokens, keys, e-mails, phone numbers and IP "
	    "addresses are redacted" : "; NOT redacted: check it for secrets before you share it");
}

void
report_render_html(FILE *out, const struct report *r)
{
	write_head(out, r);
	write_verdict(out, r);
	write_facts(out, r);
	write_timeline(out, r);
	write_flags(out, r);
	write_crash_reports(out, r);
	write_evidence(out, r);
	write_footer(out, r);
}
