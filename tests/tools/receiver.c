/*
 * receiver.c: a partner agency's HTTPS endpoint, for the delivery tests.
 *
 * It presents the agency's server certificate and REQUIRES a client
 * certificate that verifies against --client-ca (optionally with a given OU
 * in its subject): a request on a connection without one is answered 403
 * and its body is neither read nor recorded. Every accepted request is
 * recorded in --dir:
 *   NNNNNN.body   the request body, byte for byte
 *   NNNNNN.sig    the X-Gateway-Signature header value (if any)
 *   log           one line per request, appended after its files exist:
 *                 "NNNNNN STATUS IDEMPOTENCY-KEY SIG" where SIG is ok, bad,
 *                 none or unchecked (no --gateway-pub given)
 *   rejected      one line per refused client ("no_client_cert", "bad_ou")
 *   arrived       one line per request of any method, "METHOD PATH", written
 *                 as it arrives, before the client is checked (a redirect
 *                 followed with a GET, which is not recorded otherwise, shows
 *                 here)
 * Behaviour: --fail-first N answers --fail-status (503) to the first N
 * accepted requests, --always S answers S to every one, --delay-ms M waits
 * before answering, once the whole body is read (for timeout tests; a line
 * "IDEMPOTENCY-KEY" in --dir/holding says it has begun), --accept-delay-ms
 * M waits after a connection is accepted, before its TLS handshake (the
 * gateway's client is connected but cannot yet send; a line in
 * --dir/accepted says it has begun); otherwise 200. With --release-file F
 * either wait ends as soon as F exists (at most its delay): a test makes
 * the receiver hold until it has done what must happen meanwhile, rather
 * than guess how long that takes on a loaded machine; and with
 * --fail-until-release every request is answered --fail-status until F
 * exists (after --fail-first's too): a sender kept failing for as long as
 * the test needs, however slow the machine. --location URL puts a
 * "Location: URL" header on every answer: with --always 302 (or 307) a
 * redirect to another receiver, which a client that follows it would reach.
 *
 * With --gateway-pub FILE (the gateway's ledger.pub) it checks the detached
 * Ed25519 signature the way docs tell an agency to: over
 * "sharing-gateway/delivery/v1\n" || Idempotency-Key || "\n" || body, or
 * with --notices (an agency's notices endpoint) over
 * "sharing-gateway/notice/v1\n" || Idempotency-Key || "\n" || body.
 *
 *   receiver --cert S.crt --key S.key --client-ca ca.crt --dir D
 *            [--port P | --port-file F] [--require-ou gateway]
 *            [--fail-first N] [--fail-status S] [--always S] [--delay-ms M]
 *            [--accept-delay-ms M] [--release-file F [--fail-until-release]]
 *            [--location URL]
 *            [--gateway-pub ledger.pub [--notices]]
 * Runs until SIGTERM or SIGINT. Listens on 127.0.0.1 only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define MAX_BODY	(4u << 20)
#define SIG_CONTEXT	"sharing-gateway/delivery/v1\n"
#define NOTICE_CONTEXT	"sharing-gateway/notice/v1\n"

static struct {
	const char	*dir;
	const char	*require_ou;
	unsigned	 fail_first;
	unsigned	 fail_status;
	unsigned	 always;
	unsigned	 delay_ms;
	unsigned	 accept_delay_ms;
	const char	*release_file;
	int		 fail_until_release;
	const char	*context;	/* the signature's: SIG_CONTEXT, or --notices' */
	const char	*location;	/* --location: every answer's Location header */
	EVP_PKEY	*gateway_pub;
} opt = { .fail_status = 503, .context = SIG_CONTEXT };

static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned		seq;	/* accepted requests so far (under lock) */

struct req {
	int		 checked;
	int		 refused;
	char		*body;
	size_t		 len;
	int		 too_big;
};

static void die(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "receiver: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		die("%s: cannot size", path);
	if ((buf = malloc((size_t)n + 1)) == NULL)
		die("out of memory");
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("%s: short read", path);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

/* Writes data to dir/name atomically (temporary file, then rename). */
static int
write_file(const char *name, const void *data, size_t len)
{
	char	path[PATH_MAX], tmp[PATH_MAX];
	FILE	*f;
	int	 ok;

	snprintf(path, sizeof(path), "%s/%s", opt.dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", opt.dir, name);
	if ((f = fopen(tmp, "wb")) == NULL)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
append_line(const char *name, const char *line)
{
	char	path[PATH_MAX];
	FILE	*f;
	int	 ok;

	snprintf(path, sizeof(path), "%s/%s", opt.dir, name);
	if ((f = fopen(path, "a")) == NULL)
		return -1;
	ok = fputs(line, f) >= 0;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* 0 when the peer sent a certificate that verifies against the trust list
 * (and carries the required OU); otherwise a static reason. */
static const char *
check_client(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo	*ci;
	gnutls_session_t		 s;
	const gnutls_datum_t		*peers;
	unsigned			 npeers = 0, status = 0;
	gnutls_x509_crt_t		 crt;
	char				 ou[256];
	size_t				 oulen = sizeof(ou);
	int				 ok;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return "no_tls";
	s = (gnutls_session_t)ci->tls_session;
	peers = gnutls_certificate_get_peers(s, &npeers);
	if (peers == NULL || npeers == 0)
		return "no_client_cert";
	if (gnutls_certificate_verify_peers2(s, &status) != GNUTLS_E_SUCCESS || status != 0)
		return "client_cert_not_trusted";
	if (opt.require_ou == NULL)
		return NULL;
	if (gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS)
		return "internal";
	ok = gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) == GNUTLS_E_SUCCESS &&
	    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME,
	    0, 0, ou, &oulen) == GNUTLS_E_SUCCESS && strcmp(ou, opt.require_ou) == 0;
	gnutls_x509_crt_deinit(crt);
	return ok ? NULL : "bad_ou";
}

static const char *
check_sig(const char *key, const char *sighdr, const char *body, size_t len)
{
	unsigned char	 sig[128];
	EVP_MD_CTX	*md;
	unsigned char	*msg;
	size_t		 mlen, klen;
	int		 n, ok;

	if (opt.gateway_pub == NULL)
		return "unchecked";
	if (sighdr == NULL || key == NULL)
		return "none";
	if (strncmp(sighdr, "ed25519=", 8) != 0 || strlen(sighdr + 8) > 100)
		return "bad";
	n = EVP_DecodeBlock(sig, (const unsigned char *)sighdr + 8, (int)strlen(sighdr + 8));
	/* EVP_DecodeBlock counts base64 padding as zero bytes: 64 + 2. */
	if (n != 66 && n != 64)
		return "bad";
	klen = strlen(key);
	mlen = strlen(opt.context) + klen + 1 + len;
	if ((msg = malloc(mlen)) == NULL)
		return "bad";
	memcpy(msg, opt.context, strlen(opt.context));
	memcpy(msg + strlen(opt.context), key, klen);
	msg[strlen(opt.context) + klen] = '\n';
	memcpy(msg + strlen(opt.context) + klen + 1, body, len);
	ok = (md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, opt.gateway_pub) == 1 &&
	    EVP_DigestVerify(md, sig, 64, msg, mlen) == 1;
	EVP_MD_CTX_free(md);
	free(msg);
	return ok ? "ok" : "bad";
}

static int
released(void)
{
	return opt.release_file != NULL && access(opt.release_file, F_OK) == 0;
}

/* hold(ms): waits ms milliseconds, or until --release-file exists. */
static void
hold(unsigned ms)
{
	struct timespec	ts;
	unsigned	step;

	while (ms > 0) {
		if (released())
			return;
		step = opt.release_file != NULL && ms > 20 ? 20 : ms;
		ts.tv_sec = step / 1000;
		ts.tv_nsec = (long)(step % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= step;
	}
}

/* MHD_OPTION_NOTIFY_CONNECTION: a new connection, before its handshake. */
static void
accepted(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	(void)cls; (void)conn; (void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED && opt.accept_delay_ms > 0) {
		pthread_mutex_lock(&lock);
		(void)append_line("accepted", "accepted\n");
		pthread_mutex_unlock(&lock);
		hold(opt.accept_delay_ms);
	}
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (opt.location != NULL)
		MHD_add_response_header(r, "Location", opt.location);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct req	*rq = *con_cls;
	const char	*why, *key, *sighdr, *sigres;
	char		 name[64], line[512];
	unsigned	 n, status;

	(void)cls; (void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*con_cls = rq;
		snprintf(line, sizeof(line), "%.16s %.200s\n", method, url);
		pthread_mutex_lock(&lock);
		(void)append_line("arrived", line);
		pthread_mutex_unlock(&lock);
		if ((why = check_client(conn)) != NULL) {
			rq->refused = 1;
			snprintf(line, sizeof(line), "%s\n", why);
			pthread_mutex_lock(&lock);
			(void)append_line("rejected", line);
			pthread_mutex_unlock(&lock);
			return reply(conn, MHD_HTTP_FORBIDDEN,
			    "{\"error\":{\"code\":\"client_certificate_required\"}}");
		}
		return MHD_YES;
	}
	if (rq->refused)
		return MHD_YES;
	if (*upload_size > 0) {
		if (rq->len + *upload_size > MAX_BODY) {
			rq->too_big = 1;
		} else {
			char *nb = realloc(rq->body, rq->len + *upload_size + 1);
			if (nb == NULL)
				return MHD_NO;
			rq->body = nb;
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
			rq->body[rq->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "{}");
	if (rq->too_big)
		return reply(conn, 413, "{}");
	if (opt.delay_ms > 0) {
		key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
		snprintf(line, sizeof(line), "%s\n",
		    key != NULL && strlen(key) < 200 && strchr(key, ' ') == NULL ? key : "-");
		pthread_mutex_lock(&lock);
		(void)append_line("holding", line);
		pthread_mutex_unlock(&lock);
	}
	if (opt.delay_ms > 0)
		hold(opt.delay_ms);
	key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
	sighdr = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Gateway-Signature");
	sigres = check_sig(key, sighdr, rq->body != NULL ? rq->body : "", rq->len);

	pthread_mutex_lock(&lock);
	n = ++seq;
	if (opt.always != 0)
		status = opt.always;
	else if (n <= opt.fail_first || (opt.fail_until_release && !released()))
		status = opt.fail_status;
	else
		status = 200;
	snprintf(name, sizeof(name), "%06u.body", n);
	if (write_file(name, rq->body != NULL ? rq->body : "", rq->len) != 0)
		status = 500;
	if (sighdr != NULL) {
		snprintf(name, sizeof(name), "%06u.sig", n);
		(void)write_file(name, sighdr, strlen(sighdr));
	}
	snprintf(line, sizeof(line), "%06u %u %s %s\n", n, status,
	    key != NULL && strlen(key) < 200 && strchr(key, ' ') == NULL ? key : "-", sigres);
	if (append_line("log", line) != 0)
		status = 500;
	pthread_mutex_unlock(&lock);
	return reply(conn, status, status == 200 ? "{\"received\":true}" :
	    "{\"error\":{\"code\":\"scripted\"}}");
}

static void
done(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls; (void)conn; (void)toe;
	if (rq != NULL) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static unsigned
num(const char *s, const char *what)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v > 65535 * 1000UL)
		die("bad %s: %s", what, s);
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	const char		*cert = NULL, *key = NULL, *ca = NULL, *port_file = NULL;
	const char		*pubfile = NULL;
	char			*cert_pem, *key_pem, *ca_pem;
	unsigned		 port = 0;
	struct MHD_Daemon	*d;
	const union MHD_DaemonInfo *di;
	struct sockaddr_in	 sa;
	sigset_t		 set;
	int			 i, sig;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--fail-until-release") == 0) {	/* the flags */
			opt.fail_until_release = 1;
			continue;
		}
		if (strcmp(a, "--notices") == 0) {
			opt.context = NOTICE_CONTEXT;
			continue;
		}
		if (v == NULL)
			die("%s needs a value", a);
		i++;
		if (strcmp(a, "--cert") == 0) cert = v;
		else if (strcmp(a, "--key") == 0) key = v;
		else if (strcmp(a, "--client-ca") == 0) ca = v;
		else if (strcmp(a, "--dir") == 0) opt.dir = v;
		else if (strcmp(a, "--port") == 0) port = num(v, a);
		else if (strcmp(a, "--port-file") == 0) port_file = v;
		else if (strcmp(a, "--require-ou") == 0) opt.require_ou = v;
		else if (strcmp(a, "--fail-first") == 0) opt.fail_first = num(v, a);
		else if (strcmp(a, "--fail-status") == 0) opt.fail_status = num(v, a);
		else if (strcmp(a, "--always") == 0) opt.always = num(v, a);
		else if (strcmp(a, "--delay-ms") == 0) opt.delay_ms = num(v, a);
		else if (strcmp(a, "--accept-delay-ms") == 0) opt.accept_delay_ms = num(v, a);
		else if (strcmp(a, "--release-file") == 0) opt.release_file = v;
		else if (strcmp(a, "--gateway-pub") == 0) pubfile = v;
		else if (strcmp(a, "--location") == 0) opt.location = v;
		else die("unknown option %s", a);
	}
	if (opt.fail_until_release && opt.release_file == NULL)
		die("--fail-until-release needs --release-file");
	if (cert == NULL || key == NULL || ca == NULL || opt.dir == NULL)
		die("usage: receiver --cert F --key F --client-ca F --dir D [options]");
	if (port > 65535)
		die("bad port");
	cert_pem = slurp(cert, NULL);
	key_pem = slurp(key, NULL);
	ca_pem = slurp(ca, NULL);
	if (pubfile != NULL) {
		FILE *f = fopen(pubfile, "r");
		if (f == NULL || (opt.gateway_pub = PEM_read_PUBKEY(f, NULL, NULL, NULL)) == NULL)
			die("%s: not a public key", pubfile);
		fclose(f);
	}

	/* Signals are taken by sigwait below; every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    handle, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
	    MHD_OPTION_HTTPS_MEM_KEY, key_pem,
	    MHD_OPTION_HTTPS_MEM_TRUST, ca_pem,
	    MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	    MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, accepted, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	    MHD_OPTION_END);
	if (d == NULL)
		die("cannot start on port %u", port);
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (di == NULL)
		die("no bound port");
	if (port_file != NULL) {
		char tmp[PATH_MAX], buf[16];
		FILE *f;
		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		snprintf(buf, sizeof(buf), "%u\n", (unsigned)di->port);
		if ((f = fopen(tmp, "w")) == NULL || fputs(buf, f) < 0 || fclose(f) != 0 ||
		    rename(tmp, port_file) != 0)
			die("%s: cannot write", port_file);
	}
	fprintf(stderr, "receiver: listening on 127.0.0.1:%u\n", (unsigned)di->port);
	while (sigwait(&set, &sig) != 0)
		;
	MHD_stop_daemon(d);
	EVP_PKEY_free(opt.gateway_pub);
	free(cert_pem);
	free(key_pem);
	free(ca_pem);
	return 0;
}
