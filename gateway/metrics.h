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
/* Sets values[0..n-1] of a gauge set; 0, or -1 (each then reads -1). */
typedef int (*metrics_gauges_fn)(void *arg, double *values);

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
/* Registers n gauges read together by one call to fn per scrape (one
 * store query for the set, each gauge of the same moment): names[i] and
 * helps[i] as for metrics_gauge. */
void		 metrics_gauge_set(struct metrics *, size_t n, const char *const *names,
		    const char *const *helps, metrics_gauges_fn fn, void *arg);
/* Records a request: counter by route and status, latency histogram. */
void		 metrics_request(struct metrics *, const char *route, int status,
		    double seconds);
/* Counts a disclosure decision by rule ("allowed" or the refusal code). */
void		 metrics_decision(struct metrics *, const char *rule);
/* The exposition text, malloc'd; caller frees. */
char		*metrics_render(struct metrics *, size_t *len);

#endif
