/*
 * config.c: the embedded defaults, and the one parser of numeric flag
 * values. `make run` needs no configuration file: everything has a
 * development default relative to the project root, and gatewayd's flags
 * override each (gatewayd --help lists them).
 */
#include <errno.h>
#include <stdlib.h>

#include "gateway.h"
#include "ledger_selfcheck.h"
#include "retention.h"

int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char	*end;

	/* strtoul() alone takes leading blanks and a sign, and negates in
	 * unsigned arithmetic: "-1" is ULONG_MAX, and "-18446744073709551615"
	 * is 1, inside any range. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno != 0 || *end != '\0' || *out > max) ? -1 : 0;
}

void
config_defaults(struct config *c)
{
	c->bind = "127.0.0.1";
	c->port = 8443;
	c->port_file = NULL;
	c->data_dir = "var";
	c->profiles_dir = "agency-profiles";
	c->schemas_dir = "schemas";
	c->tls_dir = "certs/dev";
	c->master_key = NULL;		/* DATA_DIR/master.key */
	c->notify_url = NULL;
	c->notify_ca = NULL;
	/* libmicrohttpd's threads only read, parse and answer: a disclosure
	 * waits for its commit with its connection suspended (resp_defer),
	 * other handlers run on http.c's handler pool. So a few threads keep
	 * every busy connection in the batch: 4 made ~8,800 disclosures/s
	 * against ~7,100 with 32 (fewer context switches), 8 and 16 in
	 * between. */
	c->threads = 4;
	c->max_body = 1024 * 1024;
	c->conn_limit = 4096;
	c->per_ip_limit = 128;
	c->conn_timeout = 30;
	c->check_only = 0;
	c->new_erasure_journal = 0;
	c->accept_missing_ledger_head = 0;
	c->request_quorum = 2;
	c->request_refusal_ends = 1;
	c->max_hold_days = 90;
	c->stats_threshold = 10;		/* SUPPRESS_DEFAULT_THRESHOLD */
	c->retention_interval = 3600;
	c->ledger_selfcheck_interval = LEDGER_SELFCHECK_INTERVAL_S;
	c->ledger_selfcheck_rate = LEDGER_SELFCHECK_RATE;
	c->refusal_retention_days = RETENTION_REFUSAL_DAYS;
	c->consent_max_days = CONSENT_MAX_DAYS;
	/* Reads of families' records (ratelimit.h), per principal: two a
	 * second sustained and 120 at once is far above what a person or an
	 * agency's system reads, and holds a stolen certificate to ~7,200 an
	 * hour while it is revoked. */
	c->read_limit = 120;
	c->read_burst = 120;
}
