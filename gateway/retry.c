/*
 * retry.c: the delivery retry rules (see retry.h): which outcomes are worth
 * another attempt, how long to wait (capped exponential backoff with full
 * jitter, so that many deliveries failing together do not come back
 * together), and when to give up (dead letter). Pure: no I/O header, no
 * clock, no allocation; the caller supplies the time and the randomness.
 */
#include <stddef.h>
#include <stdint.h>

#include "retry.h"

#define SEC		INT64_C(1000000)
#define RETRY_AFTER_MAX	(86400 * SEC)
#define RETRY_CAP_MAX	(7 * 86400 * SEC)

void
retry_policy_defaults(struct retry_policy *p)
{
	p->base_us = 1 * SEC;
	p->cap_us = 600 * SEC;
	p->max_attempts = 12;
}

int
retry_policy_check(const struct retry_policy *p)
{
	if (p->base_us <= 0 || p->cap_us < p->base_us || p->cap_us > RETRY_CAP_MAX ||
	    p->max_attempts < 1)
		return -1;
	return 0;
}

enum retry_class
retry_classify(enum retry_fault fault, long status)
{
	switch (fault) {
	case RETRY_FAULT_NONE:
		break;
	case RETRY_FAULT_TIMEOUT:
	case RETRY_FAULT_CONNECT:
	case RETRY_FAULT_TLS:
	case RETRY_FAULT_PIN:
		return RETRY_TRANSIENT;
	case RETRY_FAULT_LOCAL:
	default:
		return RETRY_PERMANENT;
	}
	if (status >= 200 && status <= 299)
		return RETRY_SUCCESS;
	if (status == 408 || status == 429 || (status >= 500 && status <= 599))
		return RETRY_TRANSIENT;
	/* Other 4xx: the receiver understood and refused; sending the same
	 * body again would be refused again. 1xx/3xx final statuses (we follow
	 * no redirect: the registered URL is the only place data may go) and
	 * anything outside 100-599 are the receiver misbehaving: permanent,
	 * an operator looks at the dead letter. */
	return RETRY_PERMANENT;
}

enum retry_class
retry_classify_push(enum retry_fault fault, long status)
{
	/* The agency's server (or the family webhook) presented a key not
	 * pinned for it (its profile's server_pins, --notify-pin): the
	 * configuration is wrong or the server is not the one meant. Nothing was
	 * sent (the handshake ended first), but trying again on schedule
	 * would offer the body to it again and bury the event among the
	 * network's faults: a dead letter (a failed notification) at once,
	 * for an operator. */
	if (fault == RETRY_FAULT_PIN)
		return RETRY_PERMANENT;
	return retry_classify(fault, status);
}

const char *
retry_fault_name(enum retry_fault fault)
{
	switch (fault) {
	case RETRY_FAULT_NONE:
		return "http_status";
	case RETRY_FAULT_TIMEOUT:
		return "timeout";
	case RETRY_FAULT_CONNECT:
		return "connect_failed";
	case RETRY_FAULT_TLS:
		return "tls_failed";
	case RETRY_FAULT_PIN:
		return "pin_mismatch";
	case RETRY_FAULT_LOCAL:
		return "local_error";
	}
	return "local_error";
}

int64_t
retry_ceiling(const struct retry_policy *p, unsigned attempts)
{
	int64_t	c = p->base_us;
	unsigned i;

	for (i = 1; i < attempts; i++) {
		if (c > p->cap_us / 2)
			return p->cap_us;
		c *= 2;
	}
	return c < p->cap_us ? c : p->cap_us;
}

int64_t
retry_span(const struct retry_policy *p)
{
	int64_t		span = 0, c;
	unsigned	i, left;

	/* The doubling waits, then the rest at the cap all at once (a policy
	 * may allow billions of attempts). */
	for (i = 1; i < p->max_attempts; i++) {
		if ((c = retry_ceiling(p, i)) == p->cap_us)
			break;
		if (span > INT64_MAX - c)
			return INT64_MAX;
		span += c;
	}
	if (i >= p->max_attempts)
		return span;
	left = p->max_attempts - i;
	if ((INT64_MAX - span) / p->cap_us < (int64_t)left)
		return INT64_MAX;
	return span + (int64_t)left * p->cap_us;
}

void
retry_decide(const struct retry_policy *p, unsigned attempts, enum retry_class c,
    int64_t now_us, int64_t retry_after_us, retry_rand_fn rnd, void *rnd_arg,
    struct retry_decision *d)
{
	int64_t	ceiling, wait;

	d->next_us = 0;
	if (c == RETRY_SUCCESS) {
		d->verdict = RETRY_DELIVERED;
		d->reason = "delivered";
		return;
	}
	if (c == RETRY_PERMANENT) {
		d->verdict = RETRY_DEAD;
		d->reason = "permanent";
		return;
	}
	if (attempts >= p->max_attempts) {
		d->verdict = RETRY_DEAD;
		d->reason = "attempts_exhausted";
		return;
	}
	ceiling = retry_ceiling(p, attempts);
	/* Full jitter: uniform in [0, ceiling]. The modulo bias over 2^64 is
	 * below 2^-20 for any ceiling under 2^44 us (half a year). */
	wait = (int64_t)(rnd(rnd_arg) % ((uint64_t)ceiling + 1));
	if (retry_after_us > 0) {
		if (retry_after_us > p->cap_us)
			retry_after_us = p->cap_us;
		if (wait < retry_after_us)
			wait = retry_after_us;
	}
	d->verdict = RETRY_SCHEDULED;
	d->reason = "transient";
	d->next_us = now_us + wait;
}

int64_t
retry_after_parse(const char *v)
{
	int64_t	secs = 0;

	if (v == NULL)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v < '0' || *v > '9')
		return 0;	/* HTTP-date or garbage: no request */
	for (; *v >= '0' && *v <= '9'; v++) {
		secs = secs * 10 + (*v - '0');
		if (secs * SEC > RETRY_AFTER_MAX)
			return RETRY_AFTER_MAX;
	}
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	if (*v != '\0')
		return 0;
	return secs * SEC;
}
