/*
 * metrics.c - the counters and gauges `callsightd --metrics` serves, and their rendering in the
 * Prometheus text exposition format (version 0.0.4):
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 *
 * The families are the rows of include/callsight/metrics.def. The daemon (daemon.c) adds to and sets
 * series as flags, lines and device states pass; metrics_http.c serves the rendered text on GET
 * /metrics. The registry lives as long as the daemon, not as long as a device: a phone that is
 * unplugged and plugged in again keeps its counters (Prometheus's rate() needs them monotonic).
 *
 * Hand-written rather than a client library: the Debian/Homebrew C clients (prometheus-client-c,
 * libprom) bring their own HTTP server (libmicrohttpd) next to the libevent loop the daemon already
 * runs; the format itself is a few lines of text per series.
 *
 * Series are kept in one array per family and found by a linear search: a lab host follows a handful
 * of phones, so a family holds tens of series. max_series bounds the total (device names and app
 * names come from the phones); a series past the bound is not created, and said once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "callsightd.h"

#define MAX_LABELS 8

static const struct {
	const char	*name;
	const char	*type;
	const char	*labels;	/* comma-separated */
	const char	*help;
} families[CS_M_COUNT] = {
#define CS_METRIC(id, type, labels, help) [CS_M_##id] = { "callsight_" #id, #type, labels, help },
#include "callsight/metrics.def"
#undef CS_METRIC
};

struct series {
	char	*labels[MAX_LABELS];	/* values, in the family's label order */
	double	 value;
};

struct family {
	struct series	*series;
	size_t		 count, cap;
	size_t		 nlabels;
	char		 label_names[MAX_LABELS][24];
};

struct cs_metrics {
	struct family	 fam[CS_M_COUNT];
	size_t		 total, max_series;
	bool		 said_full;
};

struct cs_metrics *
cs_metrics_new(size_t max_series)
{
	struct cs_metrics *m = cs_xcalloc(1, sizeof *m);
	m->max_series = max_series;
	for (int f = 0; f < CS_M_COUNT; f++) {
		const char *p = families[f].labels;
		while (*p && m->fam[f].nlabels < MAX_LABELS) {
			size_t n = strcspn(p, ",");
			size_t k = n < sizeof m->fam[f].label_names[0] ? n : sizeof m->fam[f].label_names[0] - 1;
			memcpy(m->fam[f].label_names[m->fam[f].nlabels], p, k);
			m->fam[f].label_names[m->fam[f].nlabels++][k] = '\0';
			p += n + (p[n] == ',');
		}
	}
	return m;
}

size_t
cs_metrics_label_count(enum cs_metric_id id)
{
	size_t n = 0;
	for (const char *p = families[id].labels; *p; p++)
		n += *p == ',';
	return families[id].labels[0] ? n + 1 : 0;
}

static struct series *
find_series(struct cs_metrics *m, enum cs_metric_id id, const char *const *labels, bool create)
{
	struct family *f = &m->fam[id];
	for (size_t i = 0; i < f->count; i++) {
		size_t k = 0;
		while (k < f->nlabels && strcmp(f->series[i].labels[k], labels && labels[k] ? labels[k] : "") == 0)
			k++;
		if (k == f->nlabels)
			return &f->series[i];
	}
	if (!create)
		return NULL;
	if (m->total >= m->max_series) {
		if (!m->said_full)
			cs_log(CS_LOG_WARN, "metrics: more than %zu series; new ones are not counted",
			    m->max_series);
		m->said_full = true;
		return NULL;
	}
	if (f->count == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->series = cs_xrealloc(f->series, f->cap * sizeof *f->series);
	}
	struct series *s = &f->series[f->count++];
	memset(s, 0, sizeof *s);
	for (size_t k = 0; k < f->nlabels; k++)
		s->labels[k] = cs_xstrdup(labels && labels[k] ? labels[k] : "");
	m->total++;
	return s;
}

void
cs_metrics_add(struct cs_metrics *m, enum cs_metric_id id, const char *const *labels, double delta)
{
	struct series *s = find_series(m, id, labels, true);
	if (s)
		s->value += delta;
}

void
cs_metrics_set(struct cs_metrics *m, enum cs_metric_id id, const char *const *labels, double value)
{
	struct series *s = find_series(m, id, labels, true);
	if (s)
		s->value = value;
}

double
cs_metrics_get(struct cs_metrics *m, enum cs_metric_id id, const char *const *labels)
{
	struct series *s = find_series(m, id, labels, false);
	return s ? s->value : 0;
}

/* A label value as the format wants it: \\, \" and \n escaped; text that is not UTF-8 (a device
 * name from a hostile phone) would make Prometheus reject the whole scrape, so it is replaced. */
static void
put_label_value(FILE *out, const char *v)
{
	json_t *probe = json_string(v);	/* jansson checks UTF-8 */
	if (probe == NULL)
		v = "(invalid UTF-8)";
	json_decref(probe);
	for (; *v; v++) {
		switch (*v) {
		case '\\': fputs("\\\\", out); break;
		case '"': fputs("\\\"", out); break;
		case '\n': fputs("\\n", out); break;
		default: fputc(*v, out); break;
		}
	}
}

/* HELP text: only \\ and \n are escaped there. */
static void
put_help(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", out);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

char *
cs_metrics_render(const struct cs_metrics *m, size_t *len)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (out == NULL)
		return NULL;
	for (int id = 0; id < CS_M_COUNT; id++) {
		const struct family *f = &m->fam[id];
		fprintf(out, "# HELP %s ", families[id].name);
		put_help(out, families[id].help);
		fprintf(out, "\n# TYPE %s %s\n", families[id].name, families[id].type);
		for (size_t i = 0; i < f->count; i++) {
			fputs(families[id].name, out);
			for (size_t k = 0; k < f->nlabels; k++) {
				fprintf(out, "%s%s=\"", k ? "," : "{", f->label_names[k]);
				put_label_value(out, f->series[i].labels[k]);
				fputc('"', out);
			}
			fprintf(out, "%s %.17g\n", f->nlabels ? "}" : "", f->series[i].value);
		}
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	if (len)
		*len = size;
	return text;
}

void
cs_metrics_free(struct cs_metrics *m)
{
	if (m == NULL)
		return;
	for (int id = 0; id < CS_M_COUNT; id++) {
		for (size_t i = 0; i < m->fam[id].count; i++)
			for (size_t k = 0; k < m->fam[id].nlabels; k++)
				free(m->fam[id].series[i].labels[k]);
		free(m->fam[id].series);
	}
	free(m);
}
