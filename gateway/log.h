/*
 * log.h: the daemon's log, one line per event on stderr: UTC time, level,
 * the function, a message. Callers never pass personal data (family ids,
 * names, field values, free-text reasons): use pseudonyms and ids.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERR };

void	log_set_level(enum log_level);
void	log_msg(enum log_level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Lines to be written together, in order, in as few write(2)s as hold them
 * (each at most LOG_LINES_CHUNK bytes of whole lines: atomic on a pipe, so
 * never interleaved with another thread's line). For lines that are all
 * due at one moment (what a committed batch's jobs logged, writer.c): each
 * is formatted, and timestamped, when added; nothing reaches stderr until
 * log_lines_flush() or a full chunk. Start with { .n = 0 }.
 */
#define LOG_LINES_CHUNK	4096	/* PIPE_BUF on Linux; > a line's 1024 bytes */
struct log_lines {
	char	buf[LOG_LINES_CHUNK];
	size_t	n;
};
void	log_lines_add(struct log_lines *, enum log_level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	log_lines_flush(struct log_lines *);

#define log_info(...)	log_msg(LOG_INFO, __func__, __VA_ARGS__)
#define log_warnx(...)	log_msg(LOG_WARN, __func__, __VA_ARGS__)
#define log_errx(...)	log_msg(LOG_ERR, __func__, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __func__, __VA_ARGS__)

#endif
