/*
 * test_router.c: path matching and the route tables' own consistency.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http.h"

static void
test_exact_and_param_match(void **state)
{
	const char		*params[ROUTE_MAX_PARAMS];
	char			 buf[256];
	const struct route	*r;
	int			 known;

	(void)state;
	r = router_match("POST", "/v1/consents", buf, sizeof(buf), params, &known);
	assert_non_null(r);
	assert_string_equal(r->pattern, "/v1/consents");
	r = router_match("POST", "/v1/consents/con_abc/withdraw", buf, sizeof(buf), params, &known);
	assert_non_null(r);
	assert_string_equal(params[0], "con_abc");
}

static void
test_unknown_path_and_wrong_method(void **state)
{
	const char	*params[ROUTE_MAX_PARAMS];
	char		 buf[256];
	int		 known;

	(void)state;
	assert_null(router_match("GET", "/v1/nope", buf, sizeof(buf), params, &known));
	assert_int_equal(known, 0);
	assert_null(router_match("GET", "/v1/consents", buf, sizeof(buf), params, &known));
	assert_int_equal(known, 1);
}

static void
test_param_rejects_unsafe_and_empty_segments(void **state)
{
	const char	*params[ROUTE_MAX_PARAMS];
	char		 buf[256];
	int		 known;

	(void)state;
	assert_null(router_match("POST", "/v1/consents//withdraw", buf, sizeof(buf), params, &known));
	assert_null(router_match("POST", "/v1/consents/a%2f/withdraw", buf, sizeof(buf), params, &known));
	assert_null(router_match("POST", "/v1/consents/a/withdraw/x", buf, sizeof(buf), params, &known));
	assert_null(router_match("POST", "/v1/consents/../withdraw", buf, sizeof(buf), params, &known));
	assert_null(router_match("POST", "/v1/consents/./withdraw", buf, sizeof(buf), params, &known));
}

static void
check_route(const struct route *r, void *arg)
{
	(void)arg;
	assert_non_null(r->fn);
	assert_true(r->roles != 0);
	assert_true(r->pattern[0] == '/');
	assert_true(strcmp(r->method, "GET") == 0 || strcmp(r->method, "POST") == 0);
}

static void
test_every_route_has_roles_and_a_handler(void **state)
{
	(void)state;
	router_foreach(check_route, NULL);
}

/* A 405's Allow header: every method of the routes the path matches, each
 * once, HEAD beside each GET; nothing for an unknown path. */
static void
test_allow_lists_the_paths_methods(void **state)
{
	char	buf[256], allow[48];

	(void)state;
	assert_int_equal(router_allow("/v1/consents", buf, sizeof(buf), allow, sizeof(allow)), 1);
	assert_string_equal(allow, "POST");
	assert_true(router_allow("/v1/ledger/key", buf, sizeof(buf), allow, sizeof(allow)) >= 1);
	assert_string_equal(allow, "GET, HEAD");
	assert_true(router_allow("/v1/disclosures/dis_x", buf, sizeof(buf), allow, sizeof(allow)) >= 1);
	assert_string_equal(allow, "GET, HEAD");
	assert_int_equal(router_allow("/v1/nope", buf, sizeof(buf), allow, sizeof(allow)), 0);
	assert_string_equal(allow, "");
	/* Too small a buffer: what fits, never past it. */
	assert_true(router_allow("/v1/ledger/key", buf, sizeof(buf), allow, 4) >= 1);
	assert_string_equal(allow, "GET");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_and_param_match),
		cmocka_unit_test(test_unknown_path_and_wrong_method),
		cmocka_unit_test(test_param_rejects_unsafe_and_empty_segments),
		cmocka_unit_test(test_every_route_has_roles_and_a_handler),
		cmocka_unit_test(test_allow_lists_the_paths_methods),
	};
	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
