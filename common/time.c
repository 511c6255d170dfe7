/*
 * time.c - the one place callsight reads and writes times: ISO 8601 in records and requests (UTC
 * out, any zone in, every field range-checked so no input overflows) and the clocks (realtime for
 * stamps, monotonic for timeouts). Shared by callsightd and callsight (include/callsight/common.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <callsight/common.h>

#define US_PER_DAY	(INT64_C(86400) * 1000000)

/* v < 100, as two digits */
static void
put_two_digits(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

void
cs_format_time(int64_t time_us, char *out, size_t outlen)
{
	/* UTC by arithmetic (gmtime_r's time zone lock and conversion were a third of this, and
	 * every record of a replay carries a time); floor division for times before 1970 */
	int64_t days = time_us / US_PER_DAY, rest = time_us % US_PER_DAY;
	if (rest < 0) {
		rest += US_PER_DAY;
		days -= 1;
	}
	int year, month, mday;
	cs_civil_from_days(days, &year, &month, &mday);
	int sod = (int)(rest / 1000000), ms = (int)(rest % 1000000 / 1000);
	int hour = sod / 3600, min = sod / 60 % 60, sec = sod % 60;
	if (year < 0 || year > 9999 || outlen < 25) {
		snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, mday, hour,
		    min, sec, ms);
		return;
	}
	/* the same text digit by digit, unsigned (snprintf's format parsing was most of the cost of
	 * writing an event; a loop of signed divisions by ten half of what was left) */
	unsigned y = (unsigned)year, f = (unsigned)ms;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	put_two_digits(out + 5, (unsigned)month);
	out[7] = '-';
	put_two_digits(out + 8, (unsigned)mday);
	out[10] = 'T';
	put_two_digits(out + 11, (unsigned)hour);
	out[13] = ':';
	put_two_digits(out + 14, (unsigned)min);
	out[16] = ':';
	put_two_digits(out + 17, (unsigned)sec);
	out[19] = '.';
	out[20] = (char)('0' + f / 100);
	out[21] = (char)('0' + f / 10 % 10);
	out[22] = (char)('0' + f % 10);
	out[23] = 'Z';
	out[24] = '\0';
}

int64_t
cs_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
cs_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
cs_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)	/* the rest, after a signal */
		;
}

/* Request times (history/report since and until): "YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH[:MM]]".
 * Each field has its fixed width and its range, checked before any arithmetic, so no input can
 * overflow (e.g. "2026-01-01T999999:00:00" is refused, not wrapped). */
static const char *
iso_field(const char *s, int width, int lo, int hi, const char *name, int *out, char *err,
    size_t errlen, bool glued)	/* glued: more digits may follow ("+0500") */
{
	int v = 0;
	for (int i = 0; i < width; i++) {
		if (s[i] < '0' || s[i] > '9') {
			cs_set_error(err, errlen, "the %s needs %d digits", name, width);
			return NULL;
		}
		v = v * 10 + (s[i] - '0');
	}
	if (!glued && s[width] >= '0' && s[width] <= '9') {
		cs_set_error(err, errlen, "the %s has more than %d digits", name, width);
		return NULL;
	}
	if (v < lo || v > hi) {
		cs_set_error(err, errlen, "the %s %d is not in %d..%d", name, v, lo, hi);
		return NULL;
	}
	*out = v;
	return s + width;
}

int
cs_parse_iso_time(const char *s, int64_t *time_us, char *err, size_t errlen)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	int64_t frac_us = 0;
	const char *p = s;
	if ((p = iso_field(p, 4, 1, 9999, "year", &y, err, errlen, false)) == NULL)
		return -1;
	if (*p++ != '-' || (p = iso_field(p, 2, 1, 12, "month", &mo, err, errlen, false)) == NULL) {
		if (p != NULL)
			cs_set_error(err, errlen, "expected YYYY-MM-DD");
		return -1;
	}
	if (*p++ != '-' || (p = iso_field(p, 2, 1, mdays[mo - 1], "day", &d, err, errlen, false)) == NULL) {
		if (p != NULL)
			cs_set_error(err, errlen, "expected YYYY-MM-DD");
		return -1;
	}
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap) {
		cs_set_error(err, errlen, "%04d has no February 29", y);
		return -1;
	}
	if (*p == 'T' || *p == ' ') {
		if ((p = iso_field(p + 1, 2, 0, 23, "hour", &h, err, errlen, false)) == NULL)
			return -1;
		if (*p++ != ':') {
			cs_set_error(err, errlen, "expected HH:MM after the date");
			return -1;
		}
		if ((p = iso_field(p, 2, 0, 59, "minute", &mi, err, errlen, false)) == NULL)
			return -1;
		if (*p == ':' && (p = iso_field(p + 1, 2, 0, 60, "second", &sec, err, errlen, false)) == NULL)
			return -1;
		if (*p == '.' || *p == ',') {
			int64_t scale = 100000;
			for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
				frac_us += scale > 0 ? (*p - '0') * scale : 0;	/* beyond µs: dropped */
		}
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if ((p = iso_field(p + 1, 2, 0, 23, "zone hour", &oh, err, errlen, true)) == NULL)
			return -1;
		if (*p == ':')
			p++;
		if (*p >= '0' && *p <= '9' && (p = iso_field(p, 2, 0, 59, "zone minute", &om, err,
		    errlen, false)) == NULL)
			return -1;
	}
	if (*p != '\0') {
		cs_set_error(err, errlen, "unexpected '%.8s'", p);
		return -1;
	}
	int64_t days = cs_days_from_civil(y, mo, d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	*time_us = secs * 1000000 + frac_us;
	return 0;
}

void
cs_realtime_after_ms(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

