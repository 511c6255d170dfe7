/*
 * view.c - the view's state and the questions the panes ask of it: which device is shown, which
 * event is selected, which flag the detail pane explains, the zoom table, and the status line's
 * message. The view-*.c panes and keys.c read and change the view only through here, and here reads
 * only the model (model.c): calls go main -> client / keys / view-* -> view -> model -> draw, never
 * back (tmux's client works the same way).
 */
#include <stdarg.h>
#include <stdio.h>

#include "tui.h"

#define STATUS_MS	8000	/* how long a message stays */

/* ms per timeline column, zoomed in to out */
const int64_t tui_zooms[] = {
	100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000, 120000, 300000, 600000, 1800000, 3600000,
};
const size_t tui_nzooms = sizeof tui_zooms / sizeof tui_zooms[0];

void
tui_zoom_label(int64_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else if (ms < 3600000)
		snprintf(buf, len, "%lldm", (long long)(ms / 60000));
	else
		snprintf(buf, len, "%lldh", (long long)(ms / 3600000));
}

void
tui_status(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_error = error;
	t->status_until = cs_mono_ms() + STATUS_MS;
	t->dirty = true;
}

struct tui_device *
tui_device(struct tui *t)
{
	return t->devsel < t->model.ndev ? &t->model.dev[t->devsel] : NULL;
}

const struct tui_item *
tui_selected(struct tui *t, size_t *index)
{
	struct tui_device *d = tui_device(t);
	if (d == NULL || d->nitems == 0)
		return NULL;
	size_t i = model_item_index(d, t->cursor);
	for (size_t j = i; j > 0 && d->items[j - 1]->t == t->cursor; j--)
		if (d->items[j - 1]->seq == t->sel_seq) {
			i = j;
			break;
		}
	i = i == 0 ? 0 : i - 1;
	if (index != NULL)
		*index = i;
	return d->items[i];
}

const struct tui_item *
tui_detail_item(struct tui *t)
{
	struct tui_device *d = tui_device(t);
	for (size_t i = 0; d != NULL && t->detail_flag >= 0 && i < d->nitems; i++)
		if (d->items[i]->type == ITEM_FLAG && d->items[i]->id == t->detail_flag)
			return d->items[i];
	return NULL;
}
