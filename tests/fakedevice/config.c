/* config.c - which fake devices exist and what they are like: an INI-style config file
 * ([device] and [app] sections, key = value) and/or -d/-a command-line specs
 * (key=value,key=value). Also UDID normalisation (usbmuxd reports a 24-character serial without
 * the dash that libusbmuxd shows after character 8) and device lookup. See README.md. */
#include "fakeiphone.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void set(char **field, const char *val)
{
	free(*field);
	*field = strdup(val);
}

static int truthy(const char *v)
{
	return !strcasecmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcasecmp(v, "true");
}

static int set_udid(struct device *d, const char *v)
{
	char s[64];
	size_t n = 0;
	for (const char *p = v; *p && n < sizeof(s) - 1; p++)
		if (*p != '-')
			s[n++] = *p;
	s[n] = '\0';
	if (n != 24 && n != 40) {
		fprintf(stderr, "fakeiphone: UDID must be 24 or 40 characters: %s\n", v);
		return -1;
	}
	strcpy(d->serial, s);
	if (n == 24)
		snprintf(d->udid, sizeof(d->udid), "%.8s-%.16s", s, s + 8);
	else
		strcpy(d->udid, s);
	return 0;
}

static struct device *new_device(struct fk *fk)
{
	struct device *devs = realloc(fk->devs, (fk->ndevs + 1) * sizeof(*devs));
	if (!devs)
		abort();
	fk->devs = devs;
	struct device *d = &fk->devs[fk->ndevs++];
	memset(d, 0, sizeof(*d));
	d->attached = 1;
	d->ssl = 1;
	return d;
}

static struct app *new_app(struct device *d)
{
	struct app *a = realloc(d->apps, (d->napps + 1) * sizeof(*a));
	if (!a)
		abort();
	d->apps = a;
	a = &d->apps[d->napps++];
	memset(a, 0, sizeof(*a));
	return a;
}

/* a relative capture path in a config file is relative to the file */
static char *resolve(const char *base, const char *path)
{
	if (!base || path[0] == '/' || !strchr(base, '/'))
		return strdup(path);
	size_t dir = (size_t)(strrchr(base, '/') - base);
	char *out = malloc(dir + strlen(path) + 2);
	if (!out)
		abort();
	sprintf(out, "%.*s/%s", (int)dir, base, path);
	return out;
}

static int device_set(struct device *d, const char *k, const char *v, const char *base)
{
	if (!strcmp(k, "udid"))
		return set_udid(d, v);
	if (!strcmp(k, "name"))
		set(&d->name, v);
	else if (!strcmp(k, "version"))
		set(&d->version, v);
	else if (!strcmp(k, "product"))
		set(&d->product, v);
	else if (!strcmp(k, "build"))
		set(&d->build, v);
	else if (!strcmp(k, "capture")) {
		free(d->capture);
		d->capture = resolve(base, v);
	} else if (!strcmp(k, "rate"))
		d->rate = (unsigned)strtoul(v, NULL, 10);
	else if (!strcmp(k, "loop"))
		d->loop = truthy(v);
	else if (!strcmp(k, "ssl"))
		d->ssl = truthy(v);
	else if (!strcmp(k, "locked"))
		d->locked = truthy(v);
	else if (!strcmp(k, "attached"))
		d->attached = truthy(v);
	else {
		fprintf(stderr, "fakeiphone: unknown device key '%s'\n", k);
		return -1;
	}
	return 0;
}

static int app_set(struct app *a, const char *k, const char *v)
{
	if (!strcmp(k, "bundle"))
		set(&a->bundle, v);
	else if (!strcmp(k, "name"))
		set(&a->name, v);
	else if (!strcmp(k, "version"))
		set(&a->version, v);
	else if (!strcmp(k, "modes"))
		set(&a->modes, v);
	else if (!strcmp(k, "mic"))
		set(&a->mic, v);
	else if (!strcmp(k, "camera"))
		set(&a->camera, v);
	else {
		fprintf(stderr, "fakeiphone: unknown app key '%s'\n", k);
		return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load_file(struct fk *fk, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	char line[4096];
	struct device *d = NULL;
	struct app *a = NULL;
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (!strcmp(s, "[device]")) {
			d = new_device(fk);
			a = NULL;
			continue;
		}
		if (!strcmp(s, "[app]")) {
			if (!d) {
				fprintf(stderr, "%s:%d: [app] before any [device]\n", path, lineno);
				rc = -1;
				break;
			}
			a = new_app(d);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq || !d) {
			fprintf(stderr, "%s:%d: expected key = value inside a section\n", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		rc = a ? app_set(a, k, v) : device_set(d, k, v, path);
		if (rc)
			fprintf(stderr, "%s:%d: bad line\n", path, lineno);
	}
	fclose(f);
	return rc;
}

/* "-d udid=...,name=...,ssl=0" adds a device; "-a com.x.Y,name=Y,modes=audio+voip" an app to it */
int config_add_spec(struct fk *fk, const char *spec, int is_app)
{
	if (is_app && fk->ndevs == 0) {
		fprintf(stderr, "fakeiphone: -a needs a -d before it\n");
		return -1;
	}
	struct device *d = is_app ? &fk->devs[fk->ndevs - 1] : new_device(fk);
	struct app *a = is_app ? new_app(d) : NULL;
	char *copy = strdup(spec), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (!eq && a && !a->bundle) {
			set(&a->bundle, t);
			continue;
		}
		if (!eq) {
			fprintf(stderr, "fakeiphone: expected key=value: %s\n", t);
			rc = -1;
			break;
		}
		*eq = '\0';
		rc = a ? app_set(a, t, eq + 1) : device_set(d, t, eq + 1, NULL);
	}
	free(copy);
	return rc;
}

static void defaults(struct device *d, size_t i)
{
	char tmp[64];
	if (!d->serial[0]) {
		snprintf(tmp, sizeof(tmp), "00008030%016zX", (size_t)0x001A2D1E3C02802EULL + i);
		set_udid(d, tmp);
	}
	if (!d->name)
		d->name = strdup("iPhone");
	if (!d->version)
		d->version = strdup("17.5.1");
	if (!d->product)
		d->product = strdup("iPhone12,1");
	if (!d->build)
		d->build = strdup("21F90");
	for (size_t j = 0; j < d->napps; j++) {
		struct app *a = &d->apps[j];
		if (!a->bundle)
			a->bundle = strdup("com.example.App");
		if (!a->name)
			a->name = strdup(strrchr(a->bundle, '.') ? strrchr(a->bundle, '.') + 1 : a->bundle);
		if (!a->version)
			a->version = strdup("1.0");
	}
}

int config_finish(struct fk *fk)
{
	if (fk->ndevs == 0)
		new_device(fk);
	for (size_t i = 0; i < fk->ndevs; i++) {
		struct device *d = &fk->devs[i];
		defaults(d, i);
		d->id = (uint32_t)(i + 1);
		if (syslog_load(d) < 0) {
			fprintf(stderr, "fakeiphone: cannot set up device %s\n", d->udid);
			return -1;
		}
		vlog(fk, "device %u: %s \"%s\" iOS %s, %zu capture lines, %zu apps, SSL %s", d->id, d->udid,
		     d->name, d->version, d->nlines, d->napps, d->ssl ? "on" : "off");
	}
	return 0;
}

void config_free(struct fk *fk)
{
	for (size_t i = 0; i < fk->ndevs; i++) {
		struct device *d = &fk->devs[i];
		for (size_t j = 0; j < d->nlines; j++)
			free(d->lines[j]);
		for (size_t j = 0; j < d->napps; j++) {
			struct app *a = &d->apps[j];
			free(a->bundle), free(a->name), free(a->version);
			free(a->modes), free(a->mic), free(a->camera);
		}
		free(d->lines), free(d->apps), free(d->pair);
		free(d->name), free(d->version), free(d->product), free(d->build), free(d->capture);
		tls_device_free(d);
		crash_free(d);
	}
	free(fk->devs);
	fk->devs = NULL;
	fk->ndevs = 0;
}

struct device *device_find(struct fk *fk, const char *udid)
{
	for (size_t i = 0; i < fk->ndevs; i++)
		if (!strcasecmp(fk->devs[i].udid, udid) || !strcasecmp(fk->devs[i].serial, udid))
			return &fk->devs[i];
	return NULL;
}

struct device *device_by_id(struct fk *fk, uint32_t id)
{
	for (size_t i = 0; i < fk->ndevs; i++)
		if (fk->devs[i].id == id)
			return &fk->devs[i];
	return NULL;
}
