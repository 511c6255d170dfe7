/*
 * names.c - the daemon's own name table: the reader's formats (CS_FORMATS). Event kinds, causes,
 * lanes and states, which the TUI reads too, are in common/names.c and common/states.c.
 */
#include <string.h>

#include "callsightd.h"

static const char *const format_names[] = {
#define X(id, name) name,
	CS_FORMATS(X)
#undef X
};

const char *
cs_format_name(enum cs_format fmt)
{
	return fmt < CS_FMT_COUNT ? format_names[fmt] : "?";
}
