/*
 * loadgen.c: a closed-loop HTTPS load generator for the benchmarks
 * (tests/bench/run.sh). It speaks HTTP/1.1 over OpenSSL with a client
 * certificate (mutual TLS), so the gateway and the nginx ceiling are measured
 * by the same client doing the same work.
 *
 * Model: one thread per core (-t), each running an epoll loop over its share
 * of the connections (-c). Every connection sends a request, reads the whole
 * reply, and sends the next (keep-alive), or closes and opens a new
 * connection with a full handshake for every request (-n; TLS session
 * resumption stays off unless --resume). Latency is measured from the first
 * byte written (keep-alive) or from connect() (-n, so it includes the
 * handshake) to the last byte of the reply, and recorded in a log-linear
 * histogram (HDR-like: 128 sub-buckets per power of two, under 0.8% relative
 * error). Requests still in flight when the time is up are not counted.
 *
 * --idle opens the connections, makes one request on each (so the server
 * authenticates them), then holds them open without traffic for -d seconds:
 * the memory scenario. --ready-file is written once they are all open.
 *
 * It only ever connects to loopback addresses, and always stops by itself
 * (-d is bounded; -N stops earlier after that many requests).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define MAX_DURATION_S	3600
#define MAX_CONNS	100000
#define MAX_THREADS	64
#define MAX_HEADERS	32
#define RBUF_MAX	(16u << 20)

/* ---- latency histogram (nanoseconds) ---------------------------------- */

#define H_SUB_BITS	8
#define H_SUB		(1u << H_SUB_BITS)		/* 256 exact values below H_SUB */
#define H_HALF		(H_SUB / 2)			/* 128 sub-buckets per power of two above */
#define H_SIZE		(H_SUB + (64 - H_SUB_BITS) * H_HALF)

struct hist {
	uint64_t	counts[H_SIZE];
	uint64_t	total;
	uint64_t	max;
	uint64_t	sum;
};

static unsigned
hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < H_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - (H_SUB_BITS - 1);
	return H_SUB + (msb - H_SUB_BITS) * H_HALF + (unsigned)((v >> shift) - H_HALF);
}

/* Highest value that falls in bucket idx (so percentiles never under-report). */
static uint64_t
hist_high(unsigned idx)
{
	unsigned b, shift;
	uint64_t sub;

	if (idx < H_SUB)
		return idx;
	b = (idx - H_SUB) / H_HALF;
	sub = (idx - H_SUB) % H_HALF + H_HALF;
	shift = b + 1;
	return (sub << shift) + ((UINT64_C(1) << shift) - 1);
}

static void
hist_add(struct hist *h, uint64_t v)
{
	h->counts[hist_index(v)]++;
	h->total++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

static void
hist_merge(struct hist *into, const struct hist *from)
{
	for (unsigned i = 0; i < H_SIZE; i++)
		into->counts[i] += from->counts[i];
	into->total += from->total;
	into->sum += from->sum;
	if (from->max > into->max)
		into->max = from->max;
}

/* Value at percentile p (0 < p <= 100); 0 when empty. */
static uint64_t
hist_percentile(const struct hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->total == 0)
		return 0;
	rank = (uint64_t)((p / 100.0) * (double)h->total + 0.999999);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < H_SIZE; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t v = hist_high(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}

/* ---- options ------------------------------------------------------------ */

struct opts {
	const char	*url;
	char		 host[256];
	char		 port[8];
	char		*path;
	const char	*method;
	const char	*body_file;
	const char	*headers[MAX_HEADERS];
	unsigned	 nheaders;
	unsigned	 conns;
	unsigned	 threads;
	unsigned	 ramp;
	double		 duration;
	double		 warmup;
	double		 timeout;
	double		 idle_ping;
	unsigned	 sources;
	uint64_t	 max_requests;
	int		 new_conn;
	int		 resume;
	int		 idle;
	int		 json;
	const char	*ready_file;
	const char	*cert, *key, *cacert;
	const char	*label;
};

static struct opts	 o;
static SSL_CTX		*ctx;
static struct sockaddr_storage target;
static socklen_t	 target_len;

/* The request, prebuilt (no {{seq}}) or as a template (head and body). */
static char		*req_static;
static size_t		 req_static_len;
static char		*tmpl_head;	/* request line + headers, without Content-Length */
static char		*tmpl_body;
static size_t		 tmpl_body_len;
static int		 body_present;
static int		 templated;

static uint64_t		 t_start, t_measure, t_deadline;
static atomic_int	 stopping;
static atomic_uint_fast64_t seq_next;
static atomic_uint_fast64_t completed_total;
static atomic_uint	 idle_ready, idle_failed, idle_closed;
static unsigned		 idle_open_at_ready;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void	die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void	die_ssl(const char *what) __attribute__((noreturn));
static void	usage(void) __attribute__((noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void
die_ssl(const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof buf);
	die("%s: %s", what, e ? buf : "unknown error");
}

/* ---- connections ---------------------------------------------------------- */

enum err_kind { E_CONNECT, E_TLS, E_IO, E_CLOSED, E_PARSE, E_TIMEOUT, E__COUNT };
static const char *const err_names[E__COUNT] = {
	"connect", "tls", "io", "closed", "parse", "timeout"
};

enum cstate { C_OFF, C_CONNECTING, C_HANDSHAKE, C_WRITING, C_READING, C_PARKED };

struct worker;

struct conn {
	struct worker	*w;
	int		 fd;
	SSL		*ssl;
	SSL_SESSION	*sess;		/* kept only with --resume */
	enum cstate	 st;
	uint32_t	 events;	/* current epoll interest, 0 when not registered */
	uint64_t	 t_req;		/* start of the latency interval */
	uint64_t	 t_phase;	/* start of the current wait, for timeouts */
	uint64_t	 retry_at;	/* C_OFF: reconnect after this time */
	unsigned	 reqs_on_conn;
	unsigned	 index;		/* across all workers */
	int		 counted_idle;
	/* request being written */
	char		*wbuf;
	size_t		 wlen;
	char		*wown;		/* owned per-request buffer (templated) */
	/* reply being read */
	char		*rbuf;
	size_t		 rlen, rcap;
	size_t		 hdr_end;	/* 0 until the head is complete */
	int		 status;
	long long	 clen;		/* -1: unknown */
	int		 chunked;
	int		 until_close;
	int		 server_close;
};

struct worker {
	pthread_t	 th;
	unsigned	 id;
	int		 ep;
	struct conn	*conns;
	unsigned	 nconns;
	struct hist	 hist;
	uint64_t	 requests;	/* completed inside the measurement window */
	uint64_t	 status[600];
	uint64_t	 err[E__COUNT];
	uint64_t	 handshakes;
	uint64_t	 bytes_in;
	char		 first_err[256];
	unsigned	 next_start;	/* --ramp: next connection to open */
	unsigned	 opening;	/* --ramp: connections still opening */
	unsigned	 ramp;		/* --ramp: at most this many opening at once */
};

static void	conn_start(struct conn *);
static void	conn_drive(struct conn *);

static int
measuring(uint64_t t)
{
	return t >= t_measure;
}

static void
note_err(struct worker *w, enum err_kind k, const char *detail)
{
	if (measuring(now_ns()) || o.idle)
		w->err[k]++;
	if (w->first_err[0] == '\0' && detail != NULL)
		snprintf(w->first_err, sizeof w->first_err, "%s: %s", err_names[k], detail);
}

static void
set_interest(struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (c->events == ev)
		return;
	if (epoll_ctl(c->w->ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) == -1)
		die("epoll_ctl: %s", strerror(errno));
	c->events = ev;
}

/* Closes the connection; graceful sends a close_notify first (best effort). */
static void
conn_close(struct conn *c, int graceful)
{
	if (c->ssl != NULL) {
		if (graceful) {
			ERR_clear_error();
			(void)SSL_shutdown(c->ssl);
		}
		if (o.resume && c->sess == NULL && graceful)
			c->sess = SSL_get1_session(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);		/* also removes it from the epoll set */
		c->fd = -1;
	}
	ERR_clear_error();
	c->events = 0;
	c->st = C_OFF;
	c->reqs_on_conn = 0;
	free(c->wown);
	c->wown = NULL;
}

/* Records a failure, closes, and schedules a reconnect a little later (no
 * tight loop against a server that refuses). */
static void
conn_fail(struct conn *c, enum err_kind k, const char *detail)
{
	int was_parked = c->st == C_PARKED;

	note_err(c->w, k, detail);
	if (was_parked)
		atomic_fetch_add(&idle_closed, 1);
	if (c->sess != NULL && k == E_TLS) {
		SSL_SESSION_free(c->sess);
		c->sess = NULL;
	}
	conn_close(c, 0);
	if (o.idle && !c->counted_idle) {
		c->counted_idle = 1;
		c->w->opening--;
		atomic_fetch_add(&idle_failed, 1);
		return;			/* idle mode: one attempt per connection */
	}
	if (o.idle)
		return;
	c->retry_at = now_ns() + 10 * 1000000u;
}

static const char *
ssl_detail(char *buf, size_t len)
{
	unsigned long e = ERR_peek_error();

	if (e == 0)
		snprintf(buf, len, "%s", errno ? strerror(errno) : "unexpected end of stream");
	else
		ERR_error_string_n(e, buf, len);
	return buf;
}

/* Length of the mark at s ("{{seq}}" or "{{seq%N}}", N >= 1) and its value
 * for this request in *v; 0 when s does not start with a mark. */
static size_t
mark_at(const char *s, size_t len, uint64_t seq, uint64_t *v)
{
	size_t i = 5;
	uint64_t mod = 0;

	if (len < 7 || memcmp(s, "{{seq", 5) != 0)
		return 0;
	if (s[i] == '%') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9' && mod < UINT64_MAX / 10; i++)
			mod = mod * 10 + (uint64_t)(s[i] - '0');
		if (mod == 0)
			return 0;
	}
	if (i + 2 > len || s[i] != '}' || s[i + 1] != '}')
		return 0;
	*v = mod ? seq % mod : seq;
	return i + 2;
}

/* Copies src to dst replacing every mark; returns the bytes written. dst
 * must hold 3 * len bytes (a mark of 7 or more bytes becomes at most 20 digits). */
static size_t
expand(const char *src, size_t len, char *dst, uint64_t seq)
{
	char *p = dst;
	uint64_t v;

	for (size_t i = 0; i < len;) {
		size_t m = src[i] == '{' ? mark_at(src + i, len - i, seq, &v) : 0;
		if (m > 0) {
			p += sprintf(p, "%" PRIu64, v);
			i += m;
		} else
			*p++ = src[i++];
	}
	return (size_t)(p - dst);
}

/* Prepares the next request in c->wbuf. */
static void
build_request(struct conn *c)
{
	size_t hl, bl, cap, n;
	char *p, *body;
	uint64_t seq;

	if (!templated) {
		c->wbuf = req_static;
		c->wlen = req_static_len;
		return;
	}
	seq = atomic_fetch_add(&seq_next, 1);
	hl = strlen(tmpl_head);
	bl = tmpl_body_len;
	cap = 3 * hl + 64 + 3 * bl;
	free(c->wown);
	c->wown = malloc(cap);
	body = malloc(3 * bl + 1);
	if (c->wown == NULL || body == NULL)
		die("out of memory");
	p = c->wown;
	p += expand(tmpl_head, hl, p, seq);
	n = expand(tmpl_body, bl, body, seq);
	if (body_present)
		p += sprintf(p, "Content-Length: %zu\r\n", n);
	memcpy(p, "\r\n", 2);
	p += 2;
	memcpy(p, body, n);
	p += n;
	free(body);
	c->wbuf = c->wown;
	c->wlen = (size_t)(p - c->wown);
}

static void
reply_reset(struct conn *c)
{
	c->rlen = 0;
	c->hdr_end = 0;
	c->status = 0;
	c->clen = -1;
	c->chunked = 0;
	c->until_close = 0;
	c->server_close = 0;
}

static void
start_request(struct conn *c, uint64_t t)
{
	build_request(c);
	reply_reset(c);
	if (!o.new_conn || c->reqs_on_conn > 0)
		c->t_req = t;
	c->t_phase = t;
	c->st = C_WRITING;
}

/* Opens a new connection (non-blocking connect). */
static void
conn_start(struct conn *c)
{
	uint64_t t = now_ns();
	int one = 1;

	c->fd = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		conn_fail(c, E_CONNECT, strerror(errno));
		return;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (o.sources > 1) {
		/* --sources: spread the connections over 127.0.0.1 .. 127.0.0.N. */
		struct sockaddr_in src = { .sin_family = AF_INET };
		src.sin_addr.s_addr = htonl(0x7f000001u + c->index % o.sources);
		if (bind(c->fd, (struct sockaddr *)&src, sizeof src) == -1) {
			conn_fail(c, E_CONNECT, strerror(errno));
			return;
		}
	}
	c->t_req = t;
	c->t_phase = t;
	c->reqs_on_conn = 0;
	c->st = C_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&target, target_len) == -1 && errno != EINPROGRESS) {
		conn_fail(c, E_CONNECT, strerror(errno));
		return;
	}
	set_interest(c, EPOLLOUT);
}

/* Header value match: name (case-insensitive) at line start. */
static const char *
header_value(const char *line, const char *end, const char *name)
{
	size_t n = strlen(name);

	if ((size_t)(end - line) <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	return line;
}

static int
contains_token(const char *v, const char *end, const char *tok)
{
	size_t n = strlen(tok);

	for (; v + n <= end; v++)
		if (strncasecmp(v, tok, n) == 0)
			return 1;
	return 0;
}

/* Parses the reply head once complete. 1 parsed, 0 need more, -1 malformed. */
static int
parse_head(struct conn *c)
{
	char *end = NULL;

	for (size_t i = 3; i < c->rlen; i++)
		if (memcmp(c->rbuf + i - 3, "\r\n\r\n", 4) == 0) {
			end = c->rbuf + i + 1;
			break;
		}
	if (end == NULL)
		return c->rlen > 65536 ? -1 : 0;
	c->hdr_end = (size_t)(end - c->rbuf);
	if (c->rlen < 12 || memcmp(c->rbuf, "HTTP/1.", 7) != 0)
		return -1;
	c->status = atoi(c->rbuf + 9);
	if (c->status < 100 || c->status > 599)
		return -1;
	char *line = memchr(c->rbuf, '\n', c->hdr_end);
	while (line != NULL && line + 1 < end) {
		line++;
		char *eol = memchr(line, '\r', (size_t)(end - line));
		const char *v;
		if (eol == NULL)
			break;
		if ((v = header_value(line, eol, "content-length")) != NULL)
			c->clen = strtoll(v, NULL, 10);
		else if ((v = header_value(line, eol, "transfer-encoding")) != NULL)
			c->chunked = contains_token(v, eol, "chunked");
		else if ((v = header_value(line, eol, "connection")) != NULL)
			c->server_close = contains_token(v, eol, "close");
		line = memchr(eol, '\n', (size_t)(end - eol));
	}
	if (!c->chunked && c->clen < 0 && strcmp(o.method, "HEAD") != 0 &&
	    c->status != 204 && c->status != 304)
		c->until_close = 1;
	return 1;
}

/* Walks a chunked body. 1 complete, 0 need more, -1 malformed. */
static int
chunked_done(const struct conn *c)
{
	size_t i = c->hdr_end;

	for (;;) {
		char *eol = memchr(c->rbuf + i, '\n', c->rlen - i);
		char *ep;
		unsigned long long sz;

		if (eol == NULL)
			return 0;
		sz = strtoull(c->rbuf + i, &ep, 16);
		if (ep == c->rbuf + i)
			return -1;
		i = (size_t)(eol - c->rbuf) + 1;
		if (sz == 0) {
			/* trailers, then an empty line */
			for (;;) {
				char *e2 = memchr(c->rbuf + i, '\n', c->rlen - i);
				if (e2 == NULL)
					return 0;
				size_t linelen = (size_t)(e2 - (c->rbuf + i));
				i = (size_t)(e2 - c->rbuf) + 1;
				if (linelen <= 1)
					return 1;
			}
		}
		if (sz > RBUF_MAX)
			return -1;
		if (c->rlen - i < sz + 2)
			return 0;
		i += sz + 2;
	}
}

/* 1 when the reply is complete. -1 malformed. */
static int
reply_complete(struct conn *c, int eof)
{
	int r;

	if (c->hdr_end == 0 && (r = parse_head(c)) <= 0)
		return r;
	if (c->until_close)
		return eof;
	if (c->chunked)
		return chunked_done(c);
	if (c->clen < 0)
		return 1;
	return c->rlen - c->hdr_end >= (unsigned long long)c->clen;
}

/* A complete reply: record it and decide what the connection does next. */
static void
reply_done(struct conn *c)
{
	struct worker *w = c->w;
	uint64_t t = now_ns();

	c->reqs_on_conn++;
	if (measuring(t) && !atomic_load(&stopping)) {
		hist_add(&w->hist, t - c->t_req);
		w->requests++;
		w->status[c->status]++;
		uint64_t done = atomic_fetch_add(&completed_total, 1) + 1;
		if (o.max_requests && done >= o.max_requests)
			atomic_store(&stopping, 1);
	}
	if (o.idle) {
		c->st = C_PARKED;
		c->t_phase = t;
		set_interest(c, EPOLLIN);
		if (!c->counted_idle) {
			c->counted_idle = 1;
			c->w->opening--;
			atomic_fetch_add(&idle_ready, 1);
		}
		return;
	}
	if (o.new_conn || c->server_close || c->until_close) {
		conn_close(c, !c->until_close);
		if (!atomic_load(&stopping))
			conn_start(c);
		return;
	}
	start_request(c, t);
}

static void
grow_rbuf(struct conn *c)
{
	if (c->rcap - c->rlen >= 16384)
		return;
	size_t ncap = c->rcap ? c->rcap * 2 : 32768;
	char *n = realloc(c->rbuf, ncap);
	if (n == NULL)
		die("out of memory");
	c->rbuf = n;
	c->rcap = ncap;
}

/* Advances the connection's state machine until it would block. */
static void
conn_drive(struct conn *c)
{
	char detail[256];
	int r, e;

	for (;;) {
		switch (c->st) {
		case C_OFF:
			return;
		case C_CONNECTING: {
			int soerr = 0;
			socklen_t sl = sizeof soerr;
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
				soerr = errno;
			if (soerr != 0) {
				conn_fail(c, E_CONNECT, strerror(soerr));
				return;
			}
			struct sockaddr_storage peer;
			socklen_t pl = sizeof peer;
			if (getpeername(c->fd, (struct sockaddr *)&peer, &pl) == -1)
				return;		/* still connecting: wait for EPOLLOUT */
			c->ssl = SSL_new(ctx);
			if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
				die_ssl("SSL_new");
			if (o.resume && c->sess != NULL)
				(void)SSL_set_session(c->ssl, c->sess);
			c->st = C_HANDSHAKE;
			c->t_phase = now_ns();
			break;
		}
		case C_HANDSHAKE:
			ERR_clear_error();
			errno = 0;
			r = SSL_connect(c->ssl);
			if (r == 1) {
				if (measuring(now_ns()))
					c->w->handshakes++;
				if (o.resume) {
					SSL_SESSION_free(c->sess);
					c->sess = NULL;
				}
				start_request(c, now_ns());
				break;
			}
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ) {
				set_interest(c, EPOLLIN);
				return;
			}
			if (e == SSL_ERROR_WANT_WRITE) {
				set_interest(c, EPOLLOUT);
				return;
			}
			conn_fail(c, E_TLS, ssl_detail(detail, sizeof detail));
			return;
		case C_WRITING:
			ERR_clear_error();
			errno = 0;
			r = SSL_write(c->ssl, c->wbuf, (int)c->wlen);
			if (r > 0) {
				c->st = C_READING;
				c->t_phase = now_ns();
				break;
			}
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ) {
				set_interest(c, EPOLLIN);
				return;
			}
			if (e == SSL_ERROR_WANT_WRITE) {
				set_interest(c, EPOLLOUT);
				return;
			}
			conn_fail(c, c->reqs_on_conn ? E_CLOSED : E_IO, ssl_detail(detail, sizeof detail));
			return;
		case C_READING:
		case C_PARKED:
			for (;;) {
				grow_rbuf(c);
				ERR_clear_error();
				errno = 0;
				r = SSL_read(c->ssl, c->rbuf + c->rlen, (int)(c->rcap - c->rlen));
				if (r > 0) {
					c->rlen += (size_t)r;
					c->w->bytes_in += (uint64_t)r;
					if (c->st == C_PARKED) {
						conn_fail(c, E_PARSE, "data on an idle connection");
						return;
					}
					if (c->rlen > RBUF_MAX) {
						conn_fail(c, E_PARSE, "reply too large");
						return;
					}
					int done = reply_complete(c, 0);
					if (done < 0) {
						conn_fail(c, E_PARSE, "malformed reply");
						return;
					}
					if (done) {
						reply_done(c);
						break;
					}
					continue;
				}
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ) {
					set_interest(c, EPOLLIN);
					return;
				}
				if (e == SSL_ERROR_WANT_WRITE) {
					set_interest(c, EPOLLOUT);
					return;
				}
				/* End of stream (clean or not). */
				if (c->st == C_READING && c->rlen > 0 && reply_complete(c, 1) == 1) {
					reply_done(c);
					break;
				}
				if (c->st == C_PARKED) {
					conn_fail(c, E_CLOSED, "server closed an idle connection");
					return;
				}
				if (c->rlen == 0 && c->reqs_on_conn > 0)
					conn_fail(c, E_CLOSED, "server closed a kept-alive connection");
				else
					conn_fail(c, e == SSL_ERROR_SSL ? E_TLS : E_IO,
					    ssl_detail(detail, sizeof detail));
				return;
			}
			break;
		}
	}
}

static void
check_timeouts(struct worker *w, uint64_t t)
{
	uint64_t lim = (uint64_t)(o.timeout * 1e9);

	for (unsigned i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];
		if (c->st == C_OFF) {
			if (!o.idle && c->retry_at != 0 && t >= c->retry_at && !atomic_load(&stopping)) {
				c->retry_at = 0;
				conn_start(c);
				conn_drive(c);
			}
			continue;
		}
		if (c->st == C_PARKED) {
			/* --idle-ping: one request now and then keeps the server's idle timeout away. */
			if (o.idle_ping > 0 && t - c->t_phase > (uint64_t)(o.idle_ping * 1e9)) {
				start_request(c, t);
				conn_drive(c);
			}
			continue;
		}
		if (t - c->t_phase > lim)
			conn_fail(c, E_TIMEOUT, "no progress within --timeout");
	}
}

/* Opens the connections not opened yet, at most w->ramp opening at once
 * (all of them without --ramp). Only --idle connections ever finish
 * opening (they park), so only they free a place for the next. */
static void
ramp_next(struct worker *w)
{
	while (w->next_start < w->nconns && w->opening < w->ramp && !atomic_load(&stopping)) {
		struct conn *c = &w->conns[w->next_start++];
		w->opening++;
		conn_start(c);
		conn_drive(c);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[256];
	uint64_t last_check = 0;

	ramp_next(w);
	for (;;) {
		uint64_t t = now_ns();
		if (atomic_load(&stopping) || (!o.idle && t >= t_deadline))
			break;
		int n = epoll_wait(w->ep, ev, (int)(sizeof ev / sizeof ev[0]), 10);
		if (n == -1 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;
			if (c->st != C_OFF)
				conn_drive(c);
		}
		ramp_next(w);
		t = now_ns();
		if (t - last_check > 10 * 1000000u) {
			last_check = t;
			check_timeouts(w, t);
		}
	}
	for (unsigned i = 0; i < w->nconns; i++) {
		conn_close(&w->conns[i], 0);
		free(w->conns[i].rbuf);
		SSL_SESSION_free(w->conns[i].sess);
	}
	close(w->ep);
	return NULL;
}

/* ---- setup ---------------------------------------------------------------- */

static void
usage(void)
{
	fputs(
"usage: loadgen [options] https://HOST:PORT/PATH\n"
"  -c N            connections (default 32)\n"
"  -t N            threads (default: number of CPUs, at most N connections)\n"
"  -d SECONDS      measured duration (default 10; at most 3600)\n"
"  -w SECONDS      warm-up before measuring (default 0)\n"
"  -N COUNT        stop after COUNT measured requests\n"
"  -m METHOD       request method (default GET; POST when -b is given)\n"
"  -b FILE         request body; every \"{{seq}}\" in the body or in -H values\n"
"                  becomes a number unique to the request, \"{{seq%N}}\" that\n"
"                  number modulo N\n"
"  -H 'Name: v'    extra request header (repeatable)\n"
"  -n              new connection (full TLS handshake) for every request\n"
"  --resume        with -n, allow TLS session resumption (default off)\n"
"  --idle          open the connections, one request each, hold them for -d s\n"
"  --ready-file F  with --idle: written once every connection is open\n"
"  --ramp N        with --idle: at most N connections opening at once\n"
"  --sources N     connect from 127.0.0.1 .. 127.0.0.N in turn (IPv4 only),\n"
"                  so a per-address connection limit sees N clients\n"
"  --idle-ping S   with --idle: a request on a connection idle for S seconds\n"
"                  (so a slow opening outlasts the server's idle timeout)\n"
"  --timeout S     per-step timeout (default 10)\n"
"  --cert F --key F --cacert F   client certificate, its key, the CA to trust\n"
"  --label TEXT    name recorded in the --json line\n"
"  --json          print one JSON line instead of the text report\n", stderr);
	exit(2);
}

static double
parse_num(const char *s, double lo, double hi, const char *what)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v < lo || v > hi)
		die("%s: %s out of range [%g, %g]", what, s, lo, hi);
	return v;
}

static void
parse_args(int argc, char **argv)
{
	o.conns = 32;
	o.duration = 10;
	o.timeout = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
#define NEXT()	(i + 1 < argc ? argv[++i] : (usage(), (char *)NULL))
		if (strcmp(a, "-c") == 0)
			o.conns = (unsigned)parse_num(NEXT(), 1, MAX_CONNS, "-c");
		else if (strcmp(a, "-t") == 0)
			o.threads = (unsigned)parse_num(NEXT(), 1, MAX_THREADS, "-t");
		else if (strcmp(a, "-d") == 0)
			o.duration = parse_num(NEXT(), 0.1, MAX_DURATION_S, "-d");
		else if (strcmp(a, "-w") == 0)
			o.warmup = parse_num(NEXT(), 0, 600, "-w");
		else if (strcmp(a, "-N") == 0)
			o.max_requests = (uint64_t)parse_num(NEXT(), 1, 1e12, "-N");
		else if (strcmp(a, "-m") == 0)
			o.method = NEXT();
		else if (strcmp(a, "-b") == 0)
			o.body_file = NEXT();
		else if (strcmp(a, "-H") == 0) {
			if (o.nheaders == MAX_HEADERS)
				die("too many -H");
			o.headers[o.nheaders++] = NEXT();
		} else if (strcmp(a, "-n") == 0)
			o.new_conn = 1;
		else if (strcmp(a, "--resume") == 0)
			o.resume = 1;
		else if (strcmp(a, "--idle-ping") == 0)
			o.idle_ping = parse_num(NEXT(), 0.1, 3600, "--idle-ping");
		else if (strcmp(a, "--sources") == 0)
			o.sources = (unsigned)parse_num(NEXT(), 1, 254, "--sources");
		else if (strcmp(a, "--ramp") == 0)
			o.ramp = (unsigned)parse_num(NEXT(), 1, MAX_CONNS, "--ramp");
		else if (strcmp(a, "--idle") == 0)
			o.idle = 1;
		else if (strcmp(a, "--ready-file") == 0)
			o.ready_file = NEXT();
		else if (strcmp(a, "--timeout") == 0)
			o.timeout = parse_num(NEXT(), 0.01, 600, "--timeout");
		else if (strcmp(a, "--cert") == 0)
			o.cert = NEXT();
		else if (strcmp(a, "--key") == 0)
			o.key = NEXT();
		else if (strcmp(a, "--cacert") == 0)
			o.cacert = NEXT();
		else if (strcmp(a, "--label") == 0)
			o.label = NEXT();
		else if (strcmp(a, "--json") == 0)
			o.json = 1;
		else if (a[0] == '-')
			usage();
		else if (o.url == NULL)
			o.url = a;
		else
			usage();
#undef NEXT
	}
	if (o.url == NULL)
		usage();
	if (o.method == NULL)
		o.method = o.body_file ? "POST" : "GET";
	if (o.threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		o.threads = n > 0 ? (unsigned)n : 1;
	}
	if (o.threads > o.conns)
		o.threads = o.conns;
	if (o.new_conn && o.idle)
		die("-n and --idle do not go together");

}

/* https://HOST[:PORT]/PATH, HOST may be [v6]. */
static void
parse_url(void)
{
	const char *p = o.url, *h, *he, *path;

	if (strncmp(p, "https://", 8) != 0)
		die("only https:// URLs");
	h = p + 8;
	if (*h == '[') {
		he = strchr(h, ']');
		if (he == NULL)
			die("bad URL");
		h++;
		p = he + 1;
	} else {
		he = h + strcspn(h, ":/");
		p = he;
	}
	if ((size_t)(he - h) >= sizeof o.host || he == h)
		die("bad host in URL");
	memcpy(o.host, h, (size_t)(he - h));
	o.host[he - h] = '\0';
	snprintf(o.port, sizeof o.port, "443");
	if (*p == ':') {
		size_t n = strcspn(p + 1, "/");
		if (n == 0 || n >= sizeof o.port)
			die("bad port in URL");
		memcpy(o.port, p + 1, n);
		o.port[n] = '\0';
		p += 1 + n;
	}
	path = *p ? p : "/";
	o.path = strdup(path);
	if (o.path == NULL)
		die("out of memory");
}

/* Resolves the host and refuses anything that is not loopback. */
static void
resolve(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int r = getaddrinfo(o.host, o.port, &hints, &res);

	if (r != 0)
		die("%s: %s", o.host, gai_strerror(r));
	int ok = 0;
	if (res->ai_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)res->ai_addr;
		ok = (ntohl(s->sin_addr.s_addr) >> 24) == 127;
	} else if (res->ai_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)res->ai_addr;
		ok = IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
	}
	if (!ok)
		die("%s is not a loopback address: loadgen only targets loopback", o.host);
	memcpy(&target, res->ai_addr, res->ai_addrlen);
	target_len = res->ai_addrlen;
	freeaddrinfo(res);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap + 1);
			if (nb == NULL)
				die("out of memory");
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	if (ferror(f))
		die("%s: read error", path);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int
has_mark(const char *s, size_t len)
{
	uint64_t v;

	for (size_t i = 0; i < len; i++)
		if (mark_at(s + i, len - i, 0, &v) > 0)
			return 1;
	return 0;
}

static void
build_template(void)
{
	size_t cap = 1024 + strlen(o.path) + strlen(o.host);
	int has_ctype = 0;
	size_t body_len = 0;
	char *body = NULL;

	for (unsigned i = 0; i < o.nheaders; i++) {
		cap += strlen(o.headers[i]) + 2;
		if (strncasecmp(o.headers[i], "content-type:", 13) == 0)
			has_ctype = 1;
		if (strchr(o.headers[i], ':') == NULL)
			die("-H %s: expected 'Name: value'", o.headers[i]);
	}
	if (o.body_file != NULL)
		body = read_file(o.body_file, &body_len);
	body_present = body != NULL || strcmp(o.method, "POST") == 0 || strcmp(o.method, "PUT") == 0;
	tmpl_head = malloc(cap);
	if (tmpl_head == NULL)
		die("out of memory");
	int n = snprintf(tmpl_head, cap, "%s %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: loadgen\r\n",
	    o.method, o.path, strchr(o.host, ':') ? "[" : "", o.host,
	    strchr(o.host, ':') ? "]" : "", o.port);
	for (unsigned i = 0; i < o.nheaders; i++)
		n += snprintf(tmpl_head + n, cap - (size_t)n, "%s\r\n", o.headers[i]);
	if (body != NULL && !has_ctype)
		n += snprintf(tmpl_head + n, cap - (size_t)n, "Content-Type: application/json\r\n");
	if (o.new_conn)
		n += snprintf(tmpl_head + n, cap - (size_t)n, "Connection: close\r\n");
	tmpl_body = body ? body : strdup("");
	if (tmpl_body == NULL)
		die("out of memory");
	tmpl_body_len = body_len;
	templated = has_mark(tmpl_head, strlen(tmpl_head)) ||
	    (body != NULL && has_mark(body, body_len));
	if (!templated) {
		size_t rcap = (size_t)n + 64 + body_len;
		req_static = malloc(rcap);
		if (req_static == NULL)
			die("out of memory");
		int k = snprintf(req_static, rcap, "%s", tmpl_head);
		if (body_present)
			k += snprintf(req_static + k, rcap - (size_t)k, "Content-Length: %zu\r\n", body_len);
		k += snprintf(req_static + k, rcap - (size_t)k, "\r\n");
		memcpy(req_static + k, tmpl_body, body_len);
		req_static_len = (size_t)k + body_len;
	}
}

static void
setup_tls(void)
{
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		die_ssl("SSL_CTX_new");
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		die_ssl("min protocol");
	if (o.cacert == NULL)
		die("--cacert is required (the server certificate is always verified)");
	if (SSL_CTX_load_verify_locations(ctx, o.cacert, NULL) != 1)
		die_ssl(o.cacert);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (o.cert != NULL) {
		if (SSL_CTX_use_certificate_chain_file(ctx, o.cert) != 1)
			die_ssl(o.cert);
		if (SSL_CTX_use_PrivateKey_file(ctx, o.key ? o.key : o.cert, SSL_FILETYPE_PEM) != 1)
			die_ssl(o.key ? o.key : o.cert);
		if (SSL_CTX_check_private_key(ctx) != 1)
			die_ssl("client key does not match its certificate");
	}
	/* The server's name (or address) must match its certificate. */
	X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(ctx);
	struct in6_addr a6;
	struct in_addr a4;
	if (inet_pton(AF_INET, o.host, &a4) == 1 || inet_pton(AF_INET6, o.host, &a6) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, o.host) != 1)
			die_ssl("verify ip");
	} else if (X509_VERIFY_PARAM_set1_host(vp, o.host, 0) != 1)
		die_ssl("verify host");
	if (!o.resume) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	} else
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)o.conns + 64)
		die("open-file limit %llu is too low for %u connections",
		    (unsigned long long)rl.rlim_cur, o.conns);
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
write_ready_file(unsigned open)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (o.ready_file == NULL)
		return;
	snprintf(tmp, sizeof tmp, "%s.tmp", o.ready_file);
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%u\n", open) < 0 || fclose(f) != 0 || rename(tmp, o.ready_file) != 0)
		die("%s: %s", o.ready_file, strerror(errno));
}

/* Holds the idle connections: waits until each is open (or failed), signals
 * readiness, keeps them for the duration, then stops the workers. */
static void
idle_hold(void)
{
	uint64_t quiet = (uint64_t)((o.timeout + 5) * 1e9), last = now_ns();
	unsigned seen = 0, done;

	/* Until every connection is open or failed, or nothing moved for a while. */
	while ((done = atomic_load(&idle_ready) + atomic_load(&idle_failed)) < o.conns) {
		if (done != seen) {
			seen = done;
			last = now_ns();
		} else if (now_ns() - last > quiet)
			break;
		sleep_ns(20 * 1000000u);
	}
	unsigned open = atomic_load(&idle_ready) - atomic_load(&idle_closed);
	idle_open_at_ready = open;
	if (!o.json)
		fprintf(stderr, "loadgen: %u of %u idle connections open\n", open, o.conns);
	write_ready_file(open);
	t_measure = now_ns();
	sleep_ns((uint64_t)(o.duration * 1e9));
	t_deadline = now_ns();
	atomic_store(&stopping, 1);
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
report(struct worker *ws, uint64_t elapsed_ns)
{
	struct hist *h = calloc(1, sizeof *h);
	uint64_t req = 0, err[E__COUNT] = { 0 }, status[600] = { 0 }, hs = 0, bytes = 0, errs = 0, non2xx = 0;
	const char *first_err = "";
	double secs = (double)elapsed_ns / 1e9;

	if (h == NULL)
		die("out of memory");
	for (unsigned i = 0; i < o.threads; i++) {
		hist_merge(h, &ws[i].hist);
		req += ws[i].requests;
		hs += ws[i].handshakes;
		bytes += ws[i].bytes_in;
		for (unsigned k = 0; k < E__COUNT; k++)
			err[k] += ws[i].err[k];
		for (unsigned k = 0; k < 600; k++)
			status[k] += ws[i].status[k];
		if (!*first_err && ws[i].first_err[0])
			first_err = ws[i].first_err;
	}
	for (unsigned k = 0; k < E__COUNT; k++)
		errs += err[k];
	for (unsigned k = 0; k < 600; k++)
		if (k < 200 || k > 299)
			non2xx += status[k];
	double rps = secs > 0 ? (double)req / secs : 0;
	double p50 = (double)hist_percentile(h, 50) / 1e6, p90 = (double)hist_percentile(h, 90) / 1e6;
	double p99 = (double)hist_percentile(h, 99) / 1e6, p999 = (double)hist_percentile(h, 99.9) / 1e6;
	double mx = (double)h->max / 1e6, mean = h->total ? (double)h->sum / (double)h->total / 1e6 : 0;
	const char *mode = o.idle ? "idle" : o.new_conn ? (o.resume ? "new-connection-resume" : "new-connection") : "keep-alive";

	if (o.json) {
		printf("{\"label\":");
		json_str(o.label ? o.label : "");
		printf(",\"url\":");
		json_str(o.url);
		printf(",\"method\":");
		json_str(o.method);
		printf(",\"mode\":\"%s\",\"connections\":%u,\"threads\":%u,\"seconds\":%.3f,"
		    "\"requests\":%" PRIu64 ",\"rps\":%.1f,\"mean_ms\":%.3f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
		    "\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"non2xx\":%" PRIu64 ",\"errors\":%" PRIu64
		    ",\"handshakes\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"idle_open\":%u",
		    mode, o.conns, o.threads, secs, req, rps, mean, p50, p90, p99, p999, mx, non2xx, errs,
		    hs, bytes, o.idle ? idle_open_at_ready : 0);
		if (o.idle)
			printf(",\"idle_open_at_end\":%u", atomic_load(&idle_ready) - atomic_load(&idle_closed));
		printf(",\"status\":{");
		int first = 1;
		for (unsigned k = 0; k < 600; k++)
			if (status[k]) {
				printf("%s\"%u\":%" PRIu64, first ? "" : ",", k, status[k]);
				first = 0;
			}
		printf("},\"error_kinds\":{");
		for (unsigned k = 0; k < E__COUNT; k++)
			printf("%s\"%s\":%" PRIu64, k ? "," : "", err_names[k], err[k]);
		printf("},\"first_error\":");
		json_str(first_err);
		printf("}\n");
	} else {
		printf("target     %s %s  %s  %u connections  %u threads  %.1f s\n",
		    o.method, o.url, mode, o.conns, o.threads, secs);
		printf("requests   %" PRIu64 "  (%.1f/s)  handshakes %" PRIu64 "\n", req, rps, hs);
		printf("latency    mean %.3f ms  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms\n",
		    mean, p50, p90, p99, p999, mx);
		printf("status    ");
		for (unsigned k = 0; k < 600; k++)
			if (status[k])
				printf(" %u:%" PRIu64, k, status[k]);
		printf("  (non-2xx %" PRIu64 ")\n", non2xx);
		printf("errors     %" PRIu64 " (", errs);
		for (unsigned k = 0; k < E__COUNT; k++)
			printf("%s%s %" PRIu64, k ? ", " : "", err_names[k], err[k]);
		printf(")\n");
		if (*first_err)
			printf("first      %s\n", first_err);
	}
	free(h);
}

int
main(int argc, char **argv)
{
	struct worker *ws;

	signal(SIGPIPE, SIG_IGN);
	parse_args(argc, argv);
	parse_url();
	resolve();
	if (o.sources > 1 && target.ss_family != AF_INET)
		die("--sources needs an IPv4 target");
	build_template();
	setup_tls();
	raise_fd_limit();

	ws = calloc(o.threads, sizeof *ws);
	if (ws == NULL)
		die("out of memory");
	t_start = now_ns();
	t_measure = o.idle ? UINT64_MAX : t_start + (uint64_t)(o.warmup * 1e9);
	t_deadline = t_measure + (uint64_t)(o.duration * 1e9);
	unsigned next_index = 0;
	for (unsigned i = 0; i < o.threads; i++) {
		struct worker *w = &ws[i];
		w->id = i;
		w->nconns = o.conns / o.threads + (i < o.conns % o.threads);
		w->conns = calloc(w->nconns, sizeof *w->conns);
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		if (w->conns == NULL || w->ep == -1)
			die("worker setup: %s", strerror(errno));
		w->ramp = w->nconns;
		if (o.idle && o.ramp) {
			w->ramp = o.ramp / o.threads + (i < o.ramp % o.threads);
			if (w->ramp == 0)
				w->ramp = 1;
		}
		for (unsigned k = 0; k < w->nconns; k++) {
			w->conns[k].index = next_index++;
			w->conns[k].w = w;
			w->conns[k].fd = -1;
		}
	}
	for (unsigned i = 0; i < o.threads; i++)
		if ((errno = pthread_create(&ws[i].th, NULL, worker_main, &ws[i])) != 0)
			die("pthread_create: %s", strerror(errno));
	if (o.idle)
		idle_hold();
	for (unsigned i = 0; i < o.threads; i++)
		pthread_join(ws[i].th, NULL);
	uint64_t end = now_ns();
	if (end > t_deadline)
		end = t_deadline;
	report(ws, end > t_measure ? end - t_measure : 0);
	for (unsigned i = 0; i < o.threads; i++) {
		free(ws[i].conns);
	}
	free(ws);
	SSL_CTX_free(ctx);
	free(tmpl_head);
	free(tmpl_body);
	free(req_static);
	free(o.path);
	return 0;
}
