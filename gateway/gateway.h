/*
 * gateway.h: the daemon's shared context and configuration. One struct
 * gateway exists per process; gatewayd.c builds it from the configuration,
 * every handler reaches the modules through request->gw. Modules own their
 * own state; this struct only holds pointers to them.
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct store;
struct writer;
struct profiles;
struct schemas;
struct vault;
struct metrics;
struct auth;
struct ledger;
struct notifier;
struct delivery;

struct config {
	const char	*bind;		/* "127.0.0.1" */
	unsigned	 port;		/* 8443; 0 picks a free port */
	const char	*port_file;	/* write the bound port here, or NULL */
	const char	*data_dir;	/* "var": database, keys */
	const char	*profiles_dir;	/* "agency-profiles" */
	const char	*schemas_dir;	/* "schemas" */
	const char	*tls_dir;	/* "certs/dev": server.crt/.key, ca.crt, crl.pem, gateway-client.crt/.key */
	const char	*master_key;	/* "var/master.key" */
	const char	*erasure_journal; /* DATA_DIR/erasures.journal (erasure_journal.h) */
	int		 new_erasure_journal; /* --new-erasure-journal (journal_guard.h) */
	int		 accept_missing_ledger_head; /* --accept-missing-ledger-head (head_guard.h) */
	const char	*ledger_head_copy; /* --ledger-head-copy FILE, or NULL (head_guard.h) */
	const char	*notify_url;	/* family notification webhook, or NULL */
	const char	*notify_ca;	/* the webhook's CA (PEM), or NULL: system CAs */
	const char	*notify_pins[8]; /* --notify-pin: the webhook's key (spki_pin.h) */
	unsigned	 notify_npins;	/* how many given (more than 8: refused at start) */
	unsigned	 threads;	/* MHD thread pool size */
	size_t		 max_body;	/* 1 MiB */
	unsigned	 conn_limit;
	unsigned	 per_ip_limit;
	unsigned	 conn_timeout;	/* seconds */
	int		 check_only;	/* --check: validate configuration, exit */
	unsigned	 request_quorum;	/* distinct trustees to approve a request (2) */
	int		 request_refusal_ends;	/* 1: one trustee's refusal refuses it */
	unsigned	 max_hold_days;	/* a hold's review date: at most today (UTC) + this (90) */
	int		 stats_threshold; /* small counts below it are suppressed (>= 5) */
	unsigned	 retention_interval; /* seconds between retention sweeps; 0: none */
	unsigned	 ledger_selfcheck_interval; /* s between full passes (ledger_selfcheck.h) */
	unsigned	 ledger_selfcheck_rate;	/* entries a second it reads, at most */
	unsigned	 refusal_retention_days; /* a refused disclosure keeps its family (365) */
	unsigned	 consent_max_days; /* a consent lasts at most this long (CONSENT_MAX_DAYS) */
	unsigned	 read_limit;	/* reads of families' records a minute per principal; 0: none */
	unsigned	 read_burst;	/* ... of which at once */
};

/* A consent's longest life: one recorded without an expiry, or with a later
 * one, expires this many days after it was given (the family is asked
 * again), so that no family is kept in an identifiable form for good by a
 * consent nobody revisits. Three years; --consent-max-days 1 to the max. */
#define CONSENT_MAX_DAYS	1095
#define CONSENT_MAX_DAYS_MAX	36525

/* Fills c with the embedded defaults. */
void	config_defaults(struct config *c);
/* A flag's numeric value: decimal digits only (no sign, no blanks), at most
 * max. 0 and *out set, or -1 (out of range, not a number). Every numeric
 * flag of gatewayd and gatewayctl is parsed with it. */
int	parse_uint(const char *s, unsigned long max, unsigned long *out);

struct gateway {
	struct config	 cfg;
	struct store	*store;
	struct writer	*writer;
	/* Replaced whole on SIGHUP (gatewayd.c): read it once per use; a set
	 * once published is never freed while the daemon runs, so what a
	 * request holds stays valid. */
	struct profiles	*_Atomic profiles;
	struct schemas	*schemas;
	struct vault	*vault;
	struct metrics	*metrics;
	struct auth	*auth;
	struct ledger	*ledger;
	struct notifier	*notifier;	/* family notifications (notifier.c) */
	struct delivery	*delivery;	/* push worker (delivery.c); kick after queueing */
	struct ratelimit *reads;	/* ratelimit.h; NULL: reads not limited */
	/* Refusals by role recorded one by one (http.c), per principal, at
	 * the read limit's rate; NULL (--read-limit 0): all of them. */
	struct ratelimit *refusals;
};

/* Start-up hooks of modules that need more than a route table. */
/* breach_api.c: the overdue-breach gauge in /metrics. */
void	breach_metrics_register(struct gateway *);
/* notices_api.c: the gauges of notices to recipients not yet acknowledged. */
void	notices_metrics_register(struct gateway *);

#endif
