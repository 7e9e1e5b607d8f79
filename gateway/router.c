/*
 * router.c: the route tables of every module, and path matching. A pattern
 * segment "{name}" matches one non-empty path segment of safe characters;
 * everything else must match exactly. Matching is linear over a few dozen
 * routes: cheaper than any request's TLS record.
 */
#include <string.h>

#include "http.h"

static const struct route *const tables[] = {
	core_routes,
	consent_routes,
	request_routes,
	ledger_routes,
	disclosure_routes,
	delivery_routes,
	notice_routes,
	breach_routes,
	sar_routes,
	erasure_routes,
	legal_hold_routes,
	stats_routes,
};

static int
safe_segment_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '.' || c == '~';
}

/* Matches path against pattern; buf is a scratch copy of path whose
 * segments params point into. */
static int
match(const char *pattern, const char *path, char *buf, size_t buflen,
    const char *params[ROUTE_MAX_PARAMS])
{
	const char	*p = pattern;
	char		*q;
	int		 np = 0;

	if (strlen(path) >= buflen)
		return 0;
	strcpy(buf, path);
	q = buf;
	while (*p != '\0') {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			char	   *start = q;

			if (close == NULL || np >= ROUTE_MAX_PARAMS)
				return 0;
			while (*q != '\0' && *q != '/') {
				if (!safe_segment_char(*q))
					return 0;
				q++;
			}
			if (q == start || (q - start <= 2 && start[0] == '.' &&
			    (q - start == 1 || start[1] == '.')))
				return 0;	/* empty, "." or ".." */
			p = close + 1;
			if (*p == '/' && *q == '/') {
				*q++ = '\0';
				p++;
			} else if (*p == '\0' && *q == '\0') {
				/* end */
			} else
				return 0;
			params[np++] = start;
			continue;
		}
		if (*p != *q)
			return 0;
		p++;
		q++;
	}
	return *q == '\0';
}

const struct route *
router_match(const char *method, const char *path, char *buf, size_t buflen,
    const char *params[ROUTE_MAX_PARAMS], int *path_known)
{
	const struct route	*r;
	size_t			 t;

	*path_known = 0;
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (r = tables[t]; r->method != NULL; r++) {
			memset(params, 0, sizeof(*params) * ROUTE_MAX_PARAMS);
			if (!match(r->pattern, path, buf, buflen, params))
				continue;
			if (strcmp(r->method, method) == 0)
				return r;
			*path_known = 1;
		}
	}
	return NULL;
}

/* Appends m to the list in out unless it is there already. */
static void
allow_add(char *out, size_t outlen, const char *m)
{
	const char	*p = out;
	size_t		 n = strlen(m), used = strlen(out);

	while ((p = strstr(p, m)) != NULL) {
		if ((p == out || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return;
		p += n;
	}
	if (used + (used ? 2 : 0) + n + 1 > outlen)
		return;
	if (used)
		strcat(out, ", ");
	strcat(out, m);
}

size_t
router_allow(const char *path, char *buf, size_t buflen, char *out, size_t outlen)
{
	const char		*params[ROUTE_MAX_PARAMS];
	const struct route	*r;
	size_t			 t, n = 0;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (r = tables[t]; r->method != NULL; r++) {
			if (!match(r->pattern, path, buf, buflen, params))
				continue;
			allow_add(out, outlen, r->method);
			/* Every GET route answers HEAD too (http.c). */
			if (strcmp(r->method, "GET") == 0)
				allow_add(out, outlen, "HEAD");
			n++;
		}
	}
	return n;
}

void
router_foreach(void (*fn)(const struct route *, void *), void *arg)
{
	const struct route	*r;
	size_t			 t;

	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (r = tables[t]; r->method != NULL; r++)
			fn(r, arg);
}
