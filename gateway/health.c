/*
 * health.c: the operator routes. GET /healthz answers whether the gateway
 * can serve (its store answers a query); GET /metrics renders the metrics
 * registry in the Prometheus text format. Neither carries personal data.
 */
#include <stdlib.h>

#include "gateway.h"
#include "http.h"
#include "metrics.h"
#include "store.h"
#include "writer.h"

static void
healthz(struct request *r, struct response *rs)
{
	struct store_conn	*c;
	sqlite3_stmt		*st;
	int			 ok = 0;

	if ((c = store_read_begin(r->gw->store)) != NULL) {
		if ((st = store_stmt(c, "SELECT 1")) != NULL)
			ok = sqlite3_step(st) == SQLITE_ROW;
		store_read_end(r->gw->store, c);
	}
	if (!ok) {
		resp_error(rs, 503, "store_unavailable", "The store does not answer.", NULL);
		return;
	}
	resp_json(rs, 200, json_pack("{s:s, s:i}", "status", "ok",
	    "writer_queue", (int)writer_queue_depth(r->gw->writer)));
}

static void
metrics(struct request *r, struct response *rs)
{
	char	*text;
	size_t	 len;

	if ((text = metrics_render(r->gw->metrics, &len)) == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	resp_text(rs, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

const struct route core_routes[] = {
	{ "GET", "/healthz", ROLES_ANY, NULL, healthz, ROUTE_INLINE },
	{ "GET", "/metrics", ROLES_CHARITY, NULL, metrics, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
