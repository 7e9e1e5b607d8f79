/*
 * log.h: the daemon's log, one line per event on stderr: UTC time, level,
 * the function, a message. Callers never pass personal data (family ids,
 * names, field values, free-text reasons): use pseudonyms and ids.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERR };

void	log_set_level(enum log_level);
void	log_msg(enum log_level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define log_info(...)	log_msg(LOG_INFO, __func__, __VA_ARGS__)
#define log_warnx(...)	log_msg(LOG_WARN, __func__, __VA_ARGS__)
#define log_errx(...)	log_msg(LOG_ERR, __func__, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __func__, __VA_ARGS__)

#endif
