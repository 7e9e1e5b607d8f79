/*
 * retry.h: what to do after one delivery attempt. Pure (no I/O, no clock,
 * no allocation): the caller passes the outcome, the time and a source of
 * randomness, and gets back delivered / try again at T / dead letter.
 *
 * Classification (retry_classify):
 *   HTTP 2xx                                   success
 *   HTTP 408, 429, 5xx                         transient: try again
 *   any other HTTP status (4xx, 1xx, 3xx)      permanent: dead letter now
 *   no HTTP status: timeout, connection refused or reset, DNS, TLS
 *   handshake (including a receiver whose certificate does not verify,
 *   or whose key is not one pinned for it: nothing was sent, and an
 *   operator may fix the configuration)        transient
 *   ... except, for a push to an agency or to the family webhook
 *   (retry_classify_push), a key not one of the profile's
 *   delivery.server_pins (or of --notify-pin)  permanent: a configuration
 *   to put right or someone else's server, not a passing fault; retrying
 *   would only hide it among those (an operator re-queues once it is put
 *   right)
 *   a local error that no retry can fix (bad URL, protocol not allowed,
 *   our own client key unreadable)             permanent
 *
 * Backoff (retry_decide): capped exponential with full jitter: before
 * attempt n+1 wait a uniformly random time in [0, min(cap, base * 2^(n-1))],
 * but never less than a Retry-After the receiver asked for (itself capped).
 * After max_attempts failed attempts the delivery is dead.
 */
#ifndef RETRY_H
#define RETRY_H

#include <stdint.h>

enum retry_class {
	RETRY_SUCCESS,
	RETRY_TRANSIENT,
	RETRY_PERMANENT,
};

/* What went wrong below HTTP, mapped from the transport's own error codes
 * by the caller (delivery.c maps CURLcode). */
enum retry_fault {
	RETRY_FAULT_NONE,	/* an HTTP status was received */
	RETRY_FAULT_TIMEOUT,	/* connect or total timeout */
	RETRY_FAULT_CONNECT,	/* refused, reset, unreachable, DNS, send/recv */
	RETRY_FAULT_TLS,	/* handshake or peer verification failed */
	RETRY_FAULT_PIN,	/* the peer's key is not one pinned for it */
	RETRY_FAULT_LOCAL,	/* our configuration: bad URL, client key ... */
};

struct retry_policy {
	int64_t		base_us;	/* ceiling of the first wait (> 0) */
	int64_t		cap_us;		/* no wait is longer (>= base_us) */
	unsigned	max_attempts;	/* dead after this many failed attempts (>= 1) */
};

enum retry_verdict {
	RETRY_DELIVERED,	/* done: record the receipt */
	RETRY_SCHEDULED,	/* try again at next_us */
	RETRY_DEAD,		/* dead letter: counted, alerted, kept for an operator */
};

struct retry_decision {
	enum retry_verdict	 verdict;
	int64_t			 next_us;	/* RETRY_SCHEDULED only */
	const char		*reason;	/* static snake_case: "delivered",
						   "transient", "permanent",
						   "attempts_exhausted" */
};

/* A uniformly distributed 64-bit value from the caller's source. */
typedef uint64_t (*retry_rand_fn)(void *arg);

/* The embedded defaults: base 1 s, cap 10 min, 12 attempts (about an hour
 * of trying at worst, before jitter). */
void			 retry_policy_defaults(struct retry_policy *);
/* 0 when p is usable (base > 0, base <= cap <= 7 days, max_attempts >= 1),
 * else -1. */
int			 retry_policy_check(const struct retry_policy *);

/* Classifies one attempt: fault RETRY_FAULT_NONE with the HTTP status, or
 * a transport fault (status ignored). */
enum retry_class	 retry_classify(enum retry_fault fault, long http_status);
/* As retry_classify, for a push to an agency (a delivery's, a notice's) or
 * to the family webhook (a notification's): RETRY_FAULT_PIN is permanent
 * there. */
enum retry_class	 retry_classify_push(enum retry_fault fault, long http_status);

/* Static snake_case name of a fault, for attempt rows and logs:
 * "http_status" (none: see the status), "timeout", "connect_failed",
 * "tls_failed", "pin_mismatch", "local_error". */
const char		*retry_fault_name(enum retry_fault);

/* Upper bound of the wait after the attempts-th failed attempt (1-based):
 * min(cap, base * 2^(attempts-1)), without overflow. */
int64_t			 retry_ceiling(const struct retry_policy *, unsigned attempts);

/* The whole span of the schedule: the longest it may take from the first
 * attempt to the last, i.e. the sum of retry_ceiling() over the waits
 * between max_attempts attempts (a Retry-After longer than a ceiling aside).
 * Saturates at INT64_MAX. */
int64_t			 retry_span(const struct retry_policy *);

/* Decides after attempt number `attempts` (1-based, this one included)
 * ended in class c at now_us. retry_after_us is the receiver's Retry-After
 * as a duration (0 when absent). rnd is called once, only when a retry is
 * scheduled. Fills *d; never fails. */
void			 retry_decide(const struct retry_policy *, unsigned attempts,
			    enum retry_class c, int64_t now_us, int64_t retry_after_us,
			    retry_rand_fn rnd, void *rnd_arg, struct retry_decision *d);

/* Parses a Retry-After header value given as delta-seconds ("120") into
 * microseconds. An HTTP-date, garbage, a negative or a missing value give 0
 * (no request); values are clamped to one day. */
int64_t			 retry_after_parse(const char *value);

#endif
