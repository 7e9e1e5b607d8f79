/*
 * health.c: the operator routes. GET /healthz answers whether the gateway
 * can serve: its store answers a query, and it can record (once a group
 * commit has failed, from disk full or an I/O error, the answer waits for a
 * probe write's commit instead, so that a gateway taken out of service by
 * its health check comes back by itself when the disk does), and its ledger
 * has raised no integrity alarm (ledger_alarmed); GET /metrics
 * renders the metrics registry in the Prometheus text format. Neither
 * carries personal data.
 */
#include <stdlib.h>

#include "gateway.h"
#include "http.h"
#include "ledger.h"
#include "metrics.h"
#include "store.h"
#include "writer.h"

static void
healthy(struct gateway *gw, struct response *rs)
{
	resp_json(rs, 200, json_pack("{s:s, s:i}", "status", "ok",
	    "writer_queue", (int)writer_queue_depth(gw->writer)));
}

/* Writer job: the probe write, committed (or not) with its batch. */
static int
probe_job(struct store_conn *c, void *arg)
{
	(void)arg;
	return store_probe_write(c);
}

/* After the probe's batch committed (rc 0) or failed. */
static void
probed(void *arg, int rc, struct response *rs)
{
	struct writer_stats	st;
	struct gateway		*gw = arg;

	if (rc == 0) {
		healthy(gw, rs);
		return;
	}
	writer_stats(gw->writer, &st);
	resp_error(rs, 503, "store_unavailable",
	    "The store cannot record: its newest commits failed (disk full or I/O error?). "
	    "Disclosures are refused meanwhile; nothing is shared unrecorded.",
	    json_pack("{s:i}", "failed_commits", (int)st.failing));
}

static void
probe_drop(void *arg)
{
	(void)arg;	/* the gateway outlives every request */
}

static void
healthz(struct request *r, struct response *rs)
{
	struct store_conn	*c;
	struct writer_stats	 ws;
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
	if (ledger_alarmed(r->gw->ledger)) {
		resp_ledger_alarm(rs);
		return;
	}
	writer_stats(r->gw->writer, &ws);
	if (ws.failing > 0) {
		/* Inline route: the reply waits with the connection suspended. */
		resp_defer(rs, probe_job, r->gw, probed, probe_drop);
		return;
	}
	healthy(r->gw, rs);
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

/*
 * /metrics is for those who watch the service: the operator (a monitoring
 * system's certificate, which can read nothing else) and the oversight
 * roles (auditor, trustees). Not staff or the safeguarding lead: its live
 * gauges (police and court requests awaiting approval, held notifications)
 * are nothing they need, and could tip someone off.
 */
#define METRICS_READERS	(ROLE_BIT(ROLE_OPERATOR) | ROLE_BIT(ROLE_AUDITOR) | \
			 ROLE_BIT(ROLE_TRUSTEE) | ROLE_BIT(ROLE_DP_TRUSTEE))

const struct route core_routes[] = {
	{ "GET", "/healthz", ROLES_LIVENESS, NULL, healthz, ROUTE_INLINE },
	{ "GET", "/metrics", METRICS_READERS, NULL, metrics, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
