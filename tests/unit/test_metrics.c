/*
 * test_metrics.c: the Prometheus exposition (metrics.c): counters,
 * histogram and gauges rendered, and gauges read outside the lock that every
 * reply takes (a gauge may query the store; a slow one must not stall
 * replies).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "metrics.h"

/* A gauge that does what a reply does meanwhile: counts a request. Under
 * the render's lock this would deadlock (the alarm turns that into a
 * failure rather than a hang). */
static double
busy_gauge(void *arg)
{
	metrics_request(arg, "/v1/inbox", 200, 0.002);
	return 7;
}

static void
test_render_reads_gauges_outside_the_lock(void **state)
{
	struct metrics	*m;
	char		*text;
	size_t		 len = 0;

	(void)state;
	assert_non_null(m = metrics_create());
	metrics_request(m, "/v1/disclosures", 201, 0.004);
	metrics_gauge(m, "gateway_test_depth", "A test gauge.", busy_gauge, m);
	alarm(10);
	text = metrics_render(m, &len);
	alarm(0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "# TYPE gateway_test_depth gauge\ngateway_test_depth 7\n"));
	assert_non_null(strstr(text, "route=\"/v1/disclosures\""));
	assert_non_null(strstr(text, "gateway_request_duration_seconds_count"));
	free(text);
	/* The request the gauge counted is there at the next scrape. */
	text = metrics_render(m, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "route=\"/v1/inbox\""));
	free(text);
	metrics_free(m);
}

/* A set: read once per scrape, every gauge of it from that one read, and
 * fresh at the next scrape; a failed read shows -1 for each. */
static int
set_reads(void *arg, double *v)
{
	int	*calls = arg;

	(*calls)++;
	if (*calls == 3)
		return -1;
	v[0] = 10 * *calls;
	v[1] = 10 * *calls + 1;
	return 0;
}

static void
test_gauge_set_read_once_per_scrape(void **state)
{
	static const char *const names[] = { "gateway_test_a", "gateway_test_b" };
	static const char *const helps[] = { "First.", "Second." };
	struct metrics	*m;
	char		*text;
	size_t		 len = 0;
	int		 calls = 0;

	(void)state;
	assert_non_null(m = metrics_create());
	metrics_gauge_set(m, 2, names, helps, set_reads, &calls);
	assert_non_null(text = metrics_render(m, &len));
	assert_int_equal(calls, 1);
	assert_non_null(strstr(text, "# HELP gateway_test_a First.\n# TYPE gateway_test_a gauge\n"
	    "gateway_test_a 10\n"));
	assert_non_null(strstr(text, "# HELP gateway_test_b Second.\n# TYPE gateway_test_b gauge\n"
	    "gateway_test_b 11\n"));
	free(text);
	assert_non_null(text = metrics_render(m, &len));
	assert_int_equal(calls, 2);
	assert_non_null(strstr(text, "gateway_test_a 20\n"));
	assert_non_null(strstr(text, "gateway_test_b 21\n"));
	free(text);
	assert_non_null(text = metrics_render(m, &len));
	assert_non_null(strstr(text, "gateway_test_a -1\n"));
	assert_non_null(strstr(text, "gateway_test_b -1\n"));
	free(text);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_reads_gauges_outside_the_lock),
		cmocka_unit_test(test_gauge_set_read_once_per_scrape),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
