/*
 * metrics.c: a small fixed-size metrics registry behind one mutex. The
 * counter table is bounded (labels come from route patterns and rule codes,
 * a closed set), so a hostile client cannot grow it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

#define MAX_COUNTERS	512
#define MAX_GAUGES	48
#define LABELS_LEN	160

static const double	buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
			    0.1, 0.25, 0.5, 1, 2.5, 5 };
#define NBUCKETS	(sizeof(buckets) / sizeof(buckets[0]))

struct counter {
	const char	*name;
	const char	*help;
	char		 labels[LABELS_LEN];
	double		 value;
};

struct gauge {
	const char		*name;
	const char		*help;
	metrics_gauge_fn	 fn;	/* or, one of a set: */
	metrics_gauges_fn	 set_fn;	/* called at the set's first gauge */
	size_t			 set_n;		/* the set's size, at its first gauge */
	void			*arg;
};

struct metrics {
	pthread_mutex_t	 lock;
	struct counter	 counters[MAX_COUNTERS];
	size_t		 ncounters;
	struct gauge	 gauges[MAX_GAUGES];
	size_t		 ngauges;
	unsigned long	 hist[NBUCKETS + 1];
	double		 hist_sum;
	unsigned long	 hist_count;
};

struct metrics *
metrics_create(void)
{
	struct metrics	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void
metrics_add(struct metrics *m, const char *name, const char *help, const char *labels,
    double delta)
{
	size_t	i;

	if (m == NULL)
		return;
	if (labels == NULL)
		labels = "";
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->ncounters; i++) {
		if (m->counters[i].name == name && strcmp(m->counters[i].labels, labels) == 0) {
			m->counters[i].value += delta;
			pthread_mutex_unlock(&m->lock);
			return;
		}
	}
	if (m->ncounters < MAX_COUNTERS && strlen(labels) < LABELS_LEN) {
		struct counter *c = &m->counters[m->ncounters++];

		c->name = name;
		c->help = help;
		snprintf(c->labels, sizeof(c->labels), "%s", labels);
		c->value = delta;
	}
	pthread_mutex_unlock(&m->lock);
}

void
metrics_gauge(struct metrics *m, const char *name, const char *help, metrics_gauge_fn fn,
    void *arg)
{
	pthread_mutex_lock(&m->lock);
	if (m->ngauges < MAX_GAUGES)
		m->gauges[m->ngauges++] = (struct gauge){ name, help, fn, NULL, 0, arg };
	else
		log_errx("metrics: no room for gauge %s (MAX_GAUGES %d)", name, MAX_GAUGES);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_gauge_set(struct metrics *m, size_t n, const char *const *names,
    const char *const *helps, metrics_gauges_fn fn, void *arg)
{
	size_t	i;

	pthread_mutex_lock(&m->lock);
	if (n > 0 && m->ngauges + n <= MAX_GAUGES)	/* together, or not at all */
		for (i = 0; i < n; i++)
			m->gauges[m->ngauges++] = (struct gauge){ names[i], helps[i], NULL, fn,
			    i == 0 ? n : 0, arg };
	else if (n > 0)
		log_errx("metrics: no room for the gauges from %s (MAX_GAUGES %d)", names[0],
		    MAX_GAUGES);
	pthread_mutex_unlock(&m->lock);
}

void
metrics_request(struct metrics *m, const char *route, int status, double seconds)
{
	char	labels[LABELS_LEN];
	size_t	b;

	if (m == NULL)
		return;
	snprintf(labels, sizeof(labels), "route=\"%s\",status=\"%d\"", route, status);
	metrics_add(m, "gateway_requests_total", "Requests answered, by route pattern and status.",
	    labels, 1);
	pthread_mutex_lock(&m->lock);
	for (b = 0; b < NBUCKETS && seconds > buckets[b]; b++)
		;
	m->hist[b]++;
	m->hist_sum += seconds;
	m->hist_count++;
	pthread_mutex_unlock(&m->lock);
}

void
metrics_decision(struct metrics *m, const char *rule)
{
	char	labels[LABELS_LEN];

	snprintf(labels, sizeof(labels), "rule=\"%s\"", rule);
	metrics_add(m, "gateway_decisions_total", "Disclosure decisions, by rule.", labels, 1);
}

/* Appends to a growing buffer. */
struct buf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *np = realloc(b->p, b->cap * 2 + (size_t)n);
		if (np == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

char *
metrics_render(struct metrics *m, size_t *len)
{
	struct buf	 b = { malloc(4096), 0, 4096, 0 };
	const char	*seen[MAX_COUNTERS];
	struct gauge	 g[MAX_GAUGES];
	double		 gv[MAX_GAUGES];
	size_t		 nseen = 0, i, k, s, ng;
	unsigned long	 cum = 0;

	if (b.p == NULL)
		return NULL;
	/* Gauges first, outside the lock: several query the store, and every
	 * reply takes the lock to count itself (metrics_request). */
	pthread_mutex_lock(&m->lock);
	ng = m->ngauges;
	memcpy(g, m->gauges, ng * sizeof(*g));
	pthread_mutex_unlock(&m->lock);
	for (i = 0; i < ng; i++) {
		if (g[i].fn != NULL)
			gv[i] = g[i].fn(g[i].arg);
		else if (g[i].set_n > 0 && g[i].set_fn(g[i].arg, &gv[i]) != 0)
			for (k = 0; k < g[i].set_n; k++)
				gv[i + k] = -1;
	}
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->ncounters; i++) {
		for (s = 0; s < nseen && seen[s] != m->counters[i].name; s++)
			;
		if (s < nseen)
			continue;
		seen[nseen++] = m->counters[i].name;
		bprintf(&b, "# HELP %s %s\n# TYPE %s counter\n", m->counters[i].name,
		    m->counters[i].help, m->counters[i].name);
		for (k = i; k < m->ncounters; k++) {
			if (m->counters[k].name != m->counters[i].name)
				continue;
			if (m->counters[k].labels[0])
				bprintf(&b, "%s{%s} %.17g\n", m->counters[k].name,
				    m->counters[k].labels, m->counters[k].value);
			else
				bprintf(&b, "%s %.17g\n", m->counters[k].name, m->counters[k].value);
		}
	}
	bprintf(&b, "# HELP gateway_request_duration_seconds Time from request to reply.\n"
	    "# TYPE gateway_request_duration_seconds histogram\n");
	for (i = 0; i < NBUCKETS; i++) {
		cum += m->hist[i];
		bprintf(&b, "gateway_request_duration_seconds_bucket{le=\"%g\"} %lu\n", buckets[i], cum);
	}
	cum += m->hist[NBUCKETS];
	bprintf(&b, "gateway_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
	bprintf(&b, "gateway_request_duration_seconds_sum %.9g\n", m->hist_sum);
	bprintf(&b, "gateway_request_duration_seconds_count %lu\n", m->hist_count);
	pthread_mutex_unlock(&m->lock);
	for (i = 0; i < ng; i++)
		bprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", g[i].name, g[i].help,
		    g[i].name, g[i].name, gv[i]);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
