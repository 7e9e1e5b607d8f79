/*
 * notifier.h: the family-notification worker. Sends each queued
 * notification (what was shared, with whom, why: agency name, purpose,
 * field names, date; never the values) to the configured webhook
 * (config.notify_url) and marks it sent; retries failures with capped
 * exponential backoff and full jitter (retry.h), and marks a notification
 * failed when it is dead (permanent error or attempt limit). A family whose
 * records were erased is never notified (failed: family_erased); one whose
 * disclosure or request is not as its ledger entries signed it, or whose
 * row is addressed to a family that record does not name, is given up at
 * once (failed: record_integrity_failed); any other local failure to build
 * the message is retried. A held
 * notification (safeguarding override) is never sent until a safeguarding
 * lead lifts the hold. Also publishes the notification gauges,
 * among them the holds past their review date (overdue), in /metrics.
 */
#ifndef NOTIFIER_H
#define NOTIFIER_H

#include <stddef.h>

struct gateway;
struct config;
struct notifier;

/* Registers the gauges and, when gw->cfg.notify_url is set, starts the
 * worker thread. The URL must be https, or http to a loopback address (a
 * development receiver). Over https the gateway presents its client
 * certificate (cfg.tls_dir/gateway-client.crt and .key, as for deliveries)
 * and trusts only cfg.notify_ca when that is set (else the system CAs,
 * with a warning unless pinned), and only the keys cfg.notify_pins pins
 * when any are given; a notify_ca or a pin with an http URL, a pin not in
 * spki_pin.h's form (or more than SPKI_PIN_MAX), or a certificate, key or
 * CA file that cannot be read, stops start-up. NULL with a message in err on failure. Needs
 * gw->store, writer, vault, ledger, profiles and metrics. */
struct notifier	*notifier_start(struct gateway *gw, char *err, size_t errlen);
/* What notifier_start() refuses in cfg (the URL, --notify-ca, --notify-pin, the client
 * certificate and key over https), checked with nothing started: for
 * gatewayd --check. 0, or -1 with the same message in err. */
int		 notifier_check(const struct config *cfg, char *err, size_t errlen);
/* Whether notifications are sent at all (a notify URL is set): deliveries
 * then wait for the family's notice (delivery_enqueue). NULL-safe. */
int		 notifier_running(const struct notifier *);
/* Wakes the worker: a notification was queued. NULL-safe, never blocks. */
void		 notifier_kick(struct notifier *);
/* Stops the worker (waiting for a send in flight) and frees it. NULL-safe. */
void		 notifier_stop(struct notifier *);

#endif
