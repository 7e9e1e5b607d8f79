/*
 * log.c: line-at-a-time logging to stderr with a UTC timestamp. Each
 * write(2) holds whole lines only, so lines from concurrent threads never
 * interleave: log_msg() writes its line at once; a log_lines gathers lines
 * written one after another (a committed batch's, writer.c) and writes
 * them in as few write(2)s of at most LOG_LINES_CHUNK (PIPE_BUF) bytes as
 * hold them, each atomic on a pipe too.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	1024

static enum log_level	min_level = LOG_INFO;

void
log_set_level(enum log_level l)
{
	min_level = l;
}

/* The line (with its '\n') into line[LOG_LINE_MAX]: its length, or 0 when
 * it is not to be written. */
static size_t
format_line(char *line, enum log_level l, const char *func, const char *fmt, va_list ap)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	struct timespec	 ts;
	struct tm	 tm;
	int		 n, m;

	if (l < min_level)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, LOG_LINE_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000, names[l], func);
	if (n < 0 || n >= LOG_LINE_MAX)
		return 0;
	m = vsnprintf(line + n, LOG_LINE_MAX - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return 0;
	n += m;
	if (n > LOG_LINE_MAX - 2)
		n = LOG_LINE_MAX - 2;
	line[n++] = '\n';
	return (size_t)n;
}

void
log_msg(enum log_level l, const char *func, const char *fmt, ...)
{
	char		 line[LOG_LINE_MAX];
	va_list		 ap;
	size_t		 n;

	va_start(ap, fmt);
	n = format_line(line, l, func, fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(STDERR_FILENO, line, n);
}

void
log_lines_add(struct log_lines *ll, enum log_level l, const char *func, const char *fmt, ...)
{
	char		 line[LOG_LINE_MAX];
	va_list		 ap;
	size_t		 n;

	va_start(ap, fmt);
	n = format_line(line, l, func, fmt, ap);
	va_end(ap);
	if (n == 0)
		return;
	if (ll->n + n > sizeof(ll->buf))
		log_lines_flush(ll);
	memcpy(ll->buf + ll->n, line, n);
	ll->n += n;
}

void
log_lines_flush(struct log_lines *ll)
{
	if (ll->n > 0)
		(void)!write(STDERR_FILENO, ll->buf, ll->n);
	ll->n = 0;
}
