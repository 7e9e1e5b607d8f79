/*
 * metrics.h: counters, gauges and the request latency histogram, rendered
 * in the Prometheus text exposition format for GET /metrics. Labels never
 * carry personal data (routes are patterns, rules are codes).
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

struct metrics;

typedef double (*metrics_gauge_fn)(void *arg);

struct metrics	*metrics_create(void);
void		 metrics_free(struct metrics *);
/* Adds delta to the counter name{labels}; labels is the inside of the
 * braces ("route=\"/v1/consents\",status=\"201\"") or NULL. name and help
 * must be string literals (kept by address). */
void		 metrics_add(struct metrics *, const char *name, const char *help,
		    const char *labels, double delta);
/* Registers a gauge read at scrape time (queue depths). */
void		 metrics_gauge(struct metrics *, const char *name, const char *help,
		    metrics_gauge_fn fn, void *arg);
/* Records a request: counter by route and status, latency histogram. */
void		 metrics_request(struct metrics *, const char *route, int status,
		    double seconds);
/* Counts a disclosure decision by rule ("allowed" or the refusal code). */
void		 metrics_decision(struct metrics *, const char *rule);
/* The exposition text, malloc'd; caller frees. */
char		*metrics_render(struct metrics *, size_t *len);

#endif
