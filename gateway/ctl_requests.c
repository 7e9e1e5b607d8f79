/*
 * ctl_requests.c: "gatewayctl requests ...", the trustees' side of police
 * and court requests, over HTTPS with the trustee's own certificate (the
 * gateway knows who decides from the certificate alone):
 *
 *   requests list [--status S]              requests, without personal data
 *                                           (S: request_status.h)
 *   requests show ID [--reason R]           one request; its personal fields
 *                                           (and the readers' reasons) only
 *                                           once approved, with a reason
 *   requests approve ID --reason R          a decision (quorum of trustees)
 *   requests refuse ID --reason R
 *   requests close ID --reason R            end it, and its legal hold
 *   requests statement ID --reason R [--text] [-o F]
 *                                           the witness statement (a trustee
 *                                           gives the reason)
 *
 * The gateway takes a reader's reason in the X-Access-Reason header; here
 * it is --reason, and a refusal for the want of one (403
 * access_reason_required) is told in those terms, not the header's.
 *
 * Connection options (or GATEWAY_URL, GATEWAY_CERT, GATEWAY_KEY,
 * GATEWAY_CACERT): --url https://host:port, --cert, --key, --cacert. Exit
 * status: 0 done, 1 the gateway refused (its error code and message are
 * printed), 2 a usage, file or connection error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ctl.h"
#include "request_status.h"
#include "wipe.h"

#define REPLY_MAX	(64L << 20)

/* What a trustee is told without a reason where the gateway needs one. */
#define REASON_REQUIRED	"--reason R is required (the reason for this access is " \
			"recorded in the ledger)"

struct conn {
	const char	*url, *cert, *key, *cacert;
};

struct buf {
	char	*p;
	size_t	 len;
	int	 too_big;
};

void
ctl_requests_usage(FILE *f)
{
	char	known[96];

	fprintf(f,
	    "usage: gatewayctl requests list [--status S]\n"
	    "       gatewayctl requests show ID [--reason R]\n"
	    "       gatewayctl requests approve ID --reason R\n"
	    "       gatewayctl requests refuse ID --reason R\n"
	    "       gatewayctl requests close ID --reason R\n"
	    "       gatewayctl requests statement ID --reason R [--text] [-o FILE]\n"
	    "S: %s\n"
	    "R: why you read or decide, kept (sealed) with the read or decision and\n"
	    "   recorded in the ledger; show gives the family id, the reference and\n"
	    "   the readers' reasons of an approved request only with one\n"
	    "options: --url URL --cert FILE --key FILE --cacert FILE\n"
	    "         (or GATEWAY_URL, GATEWAY_CERT, GATEWAY_KEY, GATEWAY_CACERT;\n"
	    "          default URL https://127.0.0.1:8443, CA certs/dev/ca.crt)\n",
	    request_status_list(known, sizeof(known)));
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;
	size_t		 len = size * n;
	char		*np;

	if (b->len + len > (size_t)REPLY_MAX) {
		b->too_big = 1;
		return 0;
	}
	if ((np = wipe_realloc(b->p, b->len + len + 1)) == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

/* One request. body (JSON text) may be NULL for GET; reason adds an
 * X-Access-Reason header. Returns the HTTP status and the reply in *out
 * (malloc'd, caller frees), or -1 with a message on stderr. */
static long
call(const struct conn *cn, const char *method, const char *path, const char *body,
    const char *reason, struct buf *out)
{
	struct curl_slist	*hdr = NULL, *h;
	char			 url[2048], errbuf[CURL_ERROR_SIZE] = "", line[2200];
	CURL			*c;
	CURLcode		 rc;
	long			 status = -1;

	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(url, sizeof(url), "%s%s", cn->url, path) >= sizeof(url)) {
		fprintf(stderr, "gatewayctl: URL too long\n");
		return -1;
	}
	if ((c = curl_easy_init()) == NULL) {
		fprintf(stderr, "gatewayctl: cannot start libcurl\n");
		return -1;
	}
	if (body != NULL && (h = curl_slist_append(hdr, "Content-Type: application/json")) != NULL)
		hdr = h;
	if (reason != NULL) {
		snprintf(line, sizeof(line), "X-Access-Reason: %s", reason);
		if ((h = curl_slist_append(hdr, line)) != NULL)
			hdr = h;
	}
	if ((h = curl_slist_append(hdr, "Expect:")) != NULL)
		hdr = h;
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CAINFO, cn->cacert) != CURLE_OK ||
	    /* --cacert alone: not also the system's CA directory, which
	     * libcurl reads besides CAINFO when built with one (as
	     * Debian's is); no proxy from the environment either. */
	    curl_easy_setopt(c, CURLOPT_CAPATH, NULL) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLCERT, cn->cert) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLKEY, cn->key) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, out) != CURLE_OK ||
	    (body != NULL && curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK)) {
		fprintf(stderr, "gatewayctl: libcurl refused an option\n");
		goto done;
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		fprintf(stderr, "gatewayctl: %s: %s\n", cn->url,
		    out->too_big ? "reply too large" : errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto done;
	}
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = -1;
	if (out->p == NULL && (out->p = calloc(1, 1)) == NULL)
		status = -1;
done:
	if (status < 0) {
		wipe_free(out->p);
		out->p = NULL;
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return status;
}

/* Prints the gateway's error reply; returns 1. A missing reason is told
 * as this command's --reason: the header the gateway names is not one a
 * user of gatewayctl sets. */
static int
refused(long status, const struct buf *b)
{
	json_t		*j = json_loadb(b->p, b->len, 0, NULL);
	const json_t	*e = json_object_get(j, "error");
	const char	*code = json_string_value(json_object_get(e, "code"));
	char		*details = NULL;

	if (code != NULL && strcmp(code, "access_reason_required") == 0)
		fprintf(stderr, "gatewayctl: refused (%ld %s): %s\n", status, code,
		    REASON_REQUIRED);
	else if (e != NULL) {
		if (json_object_get(e, "details") != NULL &&
		    !json_is_null(json_object_get(e, "details")))
			details = json_dumps(json_object_get(e, "details"), JSON_COMPACT);
		fprintf(stderr, "gatewayctl: refused (%ld %s): %s%s%s\n", status,
		    json_string_value(json_object_get(e, "code")),
		    json_string_value(json_object_get(e, "message")),
		    details ? " " : "", details ? details : "");
		wipe_free(details);
	} else
		fprintf(stderr, "gatewayctl: the gateway answered %ld\n", status);
	json_decref(j);
	return 1;
}

static int
safe_id(const char *id)
{
	const char	*p;

	if (id == NULL || *id == '\0' || strlen(id) > 64)
		return 0;
	for (p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static int
header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
cmd_list(const struct conn *cn, const char *status)
{
	struct buf	 b;
	json_t		*j, *r;
	char		 path[128], known[96];
	size_t		 i;
	long		 st;

	if (status != NULL && !request_status_known(status)) {
		fprintf(stderr, "gatewayctl: --status %s is not a request status: %s\n",
		    safe_id(status) ? status : "(that)", request_status_list(known,
		    sizeof(known)));
		return 2;
	}
	snprintf(path, sizeof(path), "/v1/requests%s%s", status ? "?status=" : "",
	    status ? status : "");
	if ((st = call(cn, "GET", path, NULL, NULL, &b)) < 0)
		return 2;
	if (st != 200) {
		refused(st, &b);
		wipe_free(b.p);
		return 1;
	}
	j = json_loadb(b.p, b.len, 0, NULL);
	wipe_free(b.p);
	if (!json_is_array(json_object_get(j, "requests"))) {
		fprintf(stderr, "gatewayctl: the gateway's reply is not a list of requests\n");
		json_decref(j);
		return 2;
	}
	printf("%-30s %-17s %-20s %-26s %-9s %-27s %s\n", "REQUEST", "STATUS", "AGENCY",
	    "LEGAL BASIS", "APPROVED", "FILED", "YOURS");
	json_array_foreach(json_object_get(j, "requests"), i, r) {
		const json_t	*mine = json_object_get(r, "your_decision");
		char		 ratio[24];

		snprintf(ratio, sizeof(ratio), "%lld/%lld",
		    (long long)json_integer_value(json_object_get(r, "approvals")),
		    (long long)json_integer_value(json_object_get(r, "quorum")));
		printf("%-30s %-17s %-20s %-26s %-9s %-27s %s\n",
		    json_string_value(json_object_get(r, "request_id")),
		    json_string_value(json_object_get(r, "status")),
		    json_string_value(json_object_get(r, "agency_id")),
		    json_string_value(json_object_get(r, "legal_basis")), ratio,
		    json_string_value(json_object_get(r, "filed_at")),
		    json_is_string(mine) ? json_string_value(mine) : "-");
	}
	printf("%zu request%s\n", json_array_size(json_object_get(j, "requests")),
	    json_array_size(json_object_get(j, "requests")) == 1 ? "" : "s");
	json_decref(j);
	return 0;
}

static int
cmd_show(const struct conn *cn, const char *id, const char *reason)
{
	struct buf	 b;
	json_t		*j;
	char		 path[128], *s;
	long		 st;

	snprintf(path, sizeof(path), "/v1/requests/%s", id);
	if ((st = call(cn, "GET", path, NULL, reason, &b)) < 0)
		return 2;
	if (st != 200) {
		refused(st, &b);
		wipe_free(b.p);
		return 1;
	}
	j = json_loadb(b.p, b.len, 0, NULL);
	wipe_free(b.p);
	/* What was withheld for the want of a reason says how to give one
	 * here: --reason, not the header the gateway names. */
	if (json_is_string(json_object_get(j, "personal_data")) &&
	    json_is_string(json_object_get(j, "status")) &&
	    strcmp(json_string_value(json_object_get(j, "status")), "approved") == 0)
		json_object_set_new(j, "personal_data", json_string("withheld: give --reason R "
		    "to read the family id and reference (the read is recorded in the ledger)"));
	if (json_object_get(j, "reasons_withheld") != NULL)
		json_object_set_new(j, "reasons_withheld", json_string("give --reason R to read "
		    "why each reader read it and why it was closed (the read is recorded "
		    "in the ledger with its reason)"));
	if (j == NULL || (s = json_dumps(j, JSON_INDENT(2))) == NULL) {
		fprintf(stderr, "gatewayctl: the gateway's reply is not JSON\n");
		json_decref(j);
		return 2;
	}
	printf("%s\n", s);
	wipe_free(s);
	json_decref(j);
	return 0;
}

static int
cmd_post(const struct conn *cn, const char *id, const char *what, const char *decision,
    const char *reason)
{
	struct buf	 b;
	json_t		*body, *j;
	char		 path[128], *text;
	long		 st;

	if (reason == NULL || *reason == '\0') {
		/* A decision's or a closure's reason is not an access's: it
		 * is kept, sealed, with what it explains. */
		fprintf(stderr, "gatewayctl: requests %s: --reason R is required (the reason "
		    "is kept with the %s and its ledger entry)\n", what,
		    decision != NULL ? "decision" : "closure");
		return 2;
	}
	body = decision ? json_pack("{s:s, s:s}", "decision", decision, "reason", reason) :
	    json_pack("{s:s}", "reason", reason);
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		json_decref(body);
		fprintf(stderr, "gatewayctl: the reason is not valid UTF-8\n");
		return 2;
	}
	json_decref(body);
	snprintf(path, sizeof(path), "/v1/requests/%s/%s", id, decision ? "decisions" : "close");
	st = call(cn, "POST", path, text, NULL, &b);
	wipe_free(text);
	if (st < 0)
		return 2;
	if (st != 200 && st != 201) {
		refused(st, &b);
		wipe_free(b.p);
		return 1;
	}
	j = json_loadb(b.p, b.len, 0, NULL);
	wipe_free(b.p);
	if (decision != NULL)
		printf("request %s: %s recorded (ledger #%lld); status %s, %lld of %lld approvals\n",
		    id, decision,
		    (long long)json_integer_value(json_object_get(json_object_get(j, "ledger"), "seq")),
		    json_string_value(json_object_get(j, "status")),
		    (long long)json_integer_value(json_object_get(j, "approvals")),
		    (long long)json_integer_value(json_object_get(j, "quorum")));
	else
		printf("request %s: closed (ledger #%lld)\n", id,
		    (long long)json_integer_value(json_object_get(json_object_get(j, "ledger"), "seq")));
	json_decref(j);
	return 0;
}

static int
cmd_statement(const struct conn *cn, const char *id, int text, const char *outfile,
    const char *reason)
{
	struct buf	 b;
	struct durable_replace	 o;
	char		 path[160];
	FILE		*f = stdout;
	long		 st;
	int		 rc = 0;

	/* A trustee reads the family's records in it: the gateway asks why. */
	if (reason == NULL || *reason == '\0') {
		fprintf(stderr, "gatewayctl: requests statement: " REASON_REQUIRED "\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/v1/requests/%s/statement%s", id, text ? "?format=text" : "");
	if ((st = call(cn, "GET", path, NULL, reason, &b)) < 0)
		return 2;
	if (st != 200) {
		refused(st, &b);
		wipe_free(b.p);
		return 1;
	}
	if (outfile != NULL) {
		if (ctl_out_open(&o, outfile) != 0) {
			wipe_free(b.p);
			return 2;
		}
		f = o.f;
	}
	/* Written byte for byte: the JSON form verifies only as it came. */
	if (fwrite(b.p, 1, b.len, f) != b.len)
		rc = 2;
	if (outfile != NULL && ctl_out_close(&o, rc == 0) != 0)
		rc = 2;
	if (rc != 0)
		fprintf(stderr, "gatewayctl: %s: write failed\n", outfile ? outfile : "stdout");
	wipe_free(b.p);
	return rc;
}

int
ctl_requests(int argc, char **argv)
{
	struct conn	 cn;
	const char	*sub, *id = NULL, *reason = NULL, *status = NULL, *outfile = NULL;
	char		 outdir[PATH_MAX];
	int		 i, text = 0, rc;

	cn.url = getenv("GATEWAY_URL") ? getenv("GATEWAY_URL") : "https://127.0.0.1:8443";
	cn.cert = getenv("GATEWAY_CERT");
	cn.key = getenv("GATEWAY_KEY");
	cn.cacert = getenv("GATEWAY_CACERT") ? getenv("GATEWAY_CACERT") : "certs/dev/ca.crt";
	if (argc < 2) {
		ctl_requests_usage(stderr);
		return 2;
	}
	sub = argv[1];
	for (i = 2; i < argc; i++) {
		const char	*a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--text") == 0) {
			text = 1;
			continue;
		}
		if (a[0] != '-') {
			if (id != NULL) {
				ctl_requests_usage(stderr);
				return 2;
			}
			id = a;
			continue;
		}
		if (v == NULL) {
			ctl_requests_usage(stderr);
			return 2;
		}
		if (strcmp(a, "--url") == 0)
			cn.url = v;
		else if (strcmp(a, "--cert") == 0)
			cn.cert = v;
		else if (strcmp(a, "--key") == 0)
			cn.key = v;
		else if (strcmp(a, "--cacert") == 0)
			cn.cacert = v;
		else if (strcmp(a, "--reason") == 0)
			reason = v;
		else if (strcmp(a, "--status") == 0)
			status = v;
		else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
			outfile = v;
		else {
			ctl_requests_usage(stderr);
			return 2;
		}
		i++;
	}
	if (cn.cert == NULL || cn.key == NULL) {
		fprintf(stderr, "gatewayctl: --cert and --key (the trustee's certificate) are "
		    "needed\n");
		return 2;
	}
	if (strncmp(cn.url, "https://", 8) != 0) {
		fprintf(stderr, "gatewayctl: --url must be https://\n");
		return 2;
	}
	if (reason != NULL && !header_safe(reason)) {
		fprintf(stderr, "gatewayctl: --reason must be one line\n");
		return 2;
	}
	if (strcmp(sub, "list") != 0 && !safe_id(id)) {
		ctl_requests_usage(stderr);
		return 2;
	}
	/* Only a statement is written to a file or as text: given to another
	 * command (show prints approved personal data), they would be ignored
	 * and the data go to the terminal instead of the private file asked. */
	if ((outfile != NULL || text) && strcmp(sub, "statement") != 0) {
		fprintf(stderr, "gatewayctl: -o and --text are for requests statement only\n");
		return 2;
	}
	/* Nowhere but the statement's directory; before libcurl starts a
	 * thread and before any reply is read. */
	if (outfile != NULL && ctl_dir_of(outfile, outdir, sizeof(outdir)) == NULL) {
		fprintf(stderr, "gatewayctl: -o: path too long\n");
		return 2;
	}
	if (ctl_confine(NULL, outfile != NULL ? outdir : NULL) == -1)
		return 2;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "gatewayctl: cannot start libcurl\n");
		return 2;
	}
	if (strcmp(sub, "list") == 0 && id == NULL)
		rc = cmd_list(&cn, status);
	else if (strcmp(sub, "show") == 0)
		rc = cmd_show(&cn, id, reason);
	else if (strcmp(sub, "approve") == 0)
		rc = cmd_post(&cn, id, sub, "approve", reason);
	else if (strcmp(sub, "refuse") == 0)
		rc = cmd_post(&cn, id, sub, "refuse", reason);
	else if (strcmp(sub, "close") == 0)
		rc = cmd_post(&cn, id, sub, NULL, reason);
	else if (strcmp(sub, "statement") == 0)
		rc = cmd_statement(&cn, id, text, outfile, reason);
	else {
		ctl_requests_usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
