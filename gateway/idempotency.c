/*
 * idempotency.c: the Idempotency-Key of the creating POSTs
 * (idempotency.h says what a key means and promises). This file reads and
 * checks the header, makes the two HMACs (vault_idempotency_mac), looks the
 * key up and keeps its reply inside the creation's writer job
 * (store_idempotency.c), and makes the reply for a repeat.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gateway.h"
#include "http.h"
#include "idempotency.h"
#include "log.h"
#include "metrics.h"
#include "principal.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"

/* 1 if k is 1..IDEM_KEY_MAX characters from '!' to '~' (printable ASCII,
 * no space), else 0. */
static int
key_ok(const char *k)
{
	size_t	n;

	for (n = 0; k[n] != '\0'; n++)
		if (n == IDEM_KEY_MAX || k[n] < '!' || k[n] > '~')
			return 0;
	return n > 0;
}

int
idem_begin(const struct request *r, struct response *rs, const char *route, struct idem *i)
{
	const char	*k;

	memset(i, 0, sizeof(*i));
	if ((k = req_header(r, "Idempotency-Key")) == NULL)
		return 0;
	/* The value is never repeated back, nor logged: the client chose it. */
	if (!key_ok(k) || req_header_count(r, "Idempotency-Key") != 1) {
		resp_error(rs, 400, "invalid_idempotency_key",
		    "The Idempotency-Key header must be given once, as 1 to 255 printable ASCII "
		    "characters without spaces (a random UUID is best).", NULL);
		return -1;
	}
	{
		struct vault_part key[] = {
			{ r->who->id, strlen(r->who->id) },
			{ route, strlen(route) },
			{ k, strlen(k) },
		};

		vault_idempotency_mac(r->gw->vault, key, sizeof(key) / sizeof(key[0]), i->key_mac);
	}
	{
		/* Bound to the key's MAC: one body sent under two keys, or by
		 * two principals, is not seen to be the same. A route with
		 * path parameters (a family's, a hold's id) binds them too,
		 * each with its NUL: the same key and body on another family
		 * is another request (409), never that family's reply. The
		 * three routes without any MAC what they always did. */
		struct vault_part body[2 + ROUTE_MAX_PARAMS];
		size_t		  n = 0, p;

		body[n++] = (struct vault_part){ i->key_mac, sizeof(i->key_mac) };
		for (p = 0; p < ROUTE_MAX_PARAMS && r->params[p] != NULL; p++)
			body[n++] = (struct vault_part){ r->params[p], strlen(r->params[p]) + 1 };
		body[n++] = (struct vault_part){ r->body_raw, r->body_len };
		vault_idempotency_mac(r->gw->vault, body, n, i->body_mac);
	}
	i->active = 1;
	i->route = route;
	i->outcome = IDEM_NEW;
	return 1;
}

int
idem_check(struct idem *i, struct store_conn *c)
{
	struct idempotency_row	row;
	int			rc;

	wipe_free(i->reply);
	i->reply = NULL;
	i->reply_len = 0;
	if ((rc = store_idempotency_get(c, i->key_mac, &row)) == -1)
		return -1;
	if (rc == 1)
		return i->outcome = IDEM_NEW;
	if (CRYPTO_memcmp(row.body_mac, i->body_mac, sizeof(i->body_mac)) != 0) {
		wipe_free(row.reply);
		return i->outcome = IDEM_CONFLICT;
	}
	i->status = row.status;
	i->reply = row.reply;
	i->reply_len = row.reply_len;
	return i->outcome = IDEM_REPLAY;
}

int
idem_keep(struct idem *i, struct store_conn *c, struct response *rs)
{
	struct idempotency_row	row;
	int			rc = -1;

	if (rs->status == 0 || rs->status >= 500 || resp_serialise(rs) == -1 ||
	    rs->text == NULL)
		goto out;
	memset(&row, 0, sizeof(row));
	memcpy(row.body_mac, i->body_mac, sizeof(row.body_mac));
	row.status = rs->status;
	row.reply = rs->text;
	row.reply_len = rs->textlen;
	row.created_us = store_now_us();
	if (store_idempotency_insert(c, i->key_mac, &row) == -1)
		goto out;
	wipe_free(i->reply);
	i->status = rs->status;
	i->reply = rs->text;
	i->reply_len = rs->textlen;
	rs->text = NULL;
	rs->textlen = 0;
	i->outcome = IDEM_NEW;
	rc = 0;
out:
	json_decref(rs->json);
	rs->json = NULL;
	wipe_free(rs->text);
	rs->text = NULL;
	return rc;
}

enum idem_outcome
idem_reply(struct idem *i, struct gateway *gw, const struct principal *who,
    struct response *rs)
{
	char	name[PRINCIPAL_LOG_MAX], labels[96];

	switch (i->outcome) {
	case IDEM_CONFLICT:
		log_info("%s: Idempotency-Key reused with another request by %s: 409", i->route,
		    principal_log_name(who, name));
		resp_error(rs, 409, "idempotency_key_reused",
		    "This Idempotency-Key was already used with a different request (another "
		    "body); nothing was done. Use a new key for a new request.", NULL);
		break;
	case IDEM_REPLAY:
		log_info("%s: Idempotency-Key repeated by %s: the first reply (%d) sent again",
		    i->route, principal_log_name(who, name), i->status);
		snprintf(labels, sizeof(labels), "route=\"%s\"", i->route + strlen("POST "));
		metrics_add(gw->metrics, "gateway_idempotent_replays_total",
		    "Requests answered with the stored reply of an earlier one with the same "
		    "Idempotency-Key (nothing created again), by route.", labels, 1);
		/* FALLTHROUGH */
	case IDEM_NEW:
		if (i->reply == NULL) {		/* idem_keep() did not run */
			resp_error(rs, 500, "internal", "Internal error.", NULL);
			break;
		}
		resp_text(rs, i->status, "application/json", i->reply, i->reply_len);
		rs->replayed = i->outcome == IDEM_REPLAY;
		i->reply = NULL;
		i->reply_len = 0;
		break;
	}
	return i->outcome;
}

void
idem_free(struct idem *i)
{
	wipe_free(i->reply);
	i->reply = NULL;
	i->reply_len = 0;
	i->active = 0;
}
