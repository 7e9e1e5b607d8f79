/*
 * rfc3339.c: RFC 3339 dates and times in UTC, to and from microseconds
 * since the epoch (rfc3339.h). Pure: no I/O, no allocation, no clock.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rfc3339.h"

char *
rfc3339_fmt(int64_t us, char buf[32])
{
	time_t		secs;
	struct tm	tm;
	int64_t		frac;

	secs = (time_t)(us / 1000000);
	frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	if (gmtime_r(&secs, &tm) == NULL) {
		snprintf(buf, 32, "invalid");
		return buf;
	}
	if (tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		snprintf(buf, 32, "invalid");
		return buf;
	}
	snprintf(buf, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ",
	    (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)(tm.tm_mon + 1) % 100,
	    (unsigned)tm.tm_mday % 100, (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100,
	    (unsigned)tm.tm_sec % 100, (unsigned)frac % 1000000);
	return buf;
}

static int
digits(const char **p, int n, int *out)
{
	int	v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int
rfc3339_days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

int
rfc3339_parse(const char *s, int64_t *us)
{
	struct tm	 tm;
	const char	*p = s;
	int		 y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	int64_t		 frac = 0, scale = 100000;
	time_t		 t;

	if (s == NULL || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > rfc3339_days_in_month(y, mo))
		return -1;
	if (*p == 'T' || *p == 't') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
		    *p++ != ':' || digits(&p, 2, &sec))
			return -1;
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (*p == '.') {
			p++;
			if (*p < '0' || *p > '9')
				return -1;
			for (; *p >= '0' && *p <= '9'; p++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) ||
			    oh > 23 || om > 59)
				return -1;
		} else
			return -1;
	}
	if (*p != '\0')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	t -= sign * (oh * 3600 + om * 60);
	*us = (int64_t)t * 1000000 + frac;
	return 0;
}
