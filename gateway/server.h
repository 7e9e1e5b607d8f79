/*
 * server.h: the HTTPS front door (http.c). Starts libmicrohttpd with TLS
 * and client-certificate authentication, dispatches requests through the
 * router, and stops gracefully: stop accepting, let requests in flight
 * finish, then close.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stddef.h>
#include <time.h>

struct gateway;
struct profiles;
struct server;
struct tlscred;

/* Starts listening per gw->cfg. NULL with a message in err on failure. */
struct server	*server_start(struct gateway *, char *err, size_t errlen);
/* What server_start() reads and refuses before it listens (the server's
 * key and certificate, the CAs, the credentials made of them), with
 * nothing started: for gatewayd --check. 0, or -1 with err. */
int		 server_check(const struct gateway *, char *err, size_t errlen);
/* Whether gw->cfg's address and port can be bound now (port 0: always): a
 * socket bound as libmicrohttpd binds it (SO_REUSEADDR) and closed. For a
 * start to fail on a port another process holds before it writes anything
 * (a store, a ledger entry, a sweep). 0, or -1 with a message in err. */
int		 server_can_listen(const struct gateway *, char *err, size_t errlen);
/* The notAfter (Unix time; -1 unknown) of the server certificate new
 * connections are served, and its serial into serial (may be NULL). */
time_t		 server_cert_not_after(struct server *, char *serial, size_t len);
/* The bound port (useful with port 0). */
unsigned	 server_port(const struct server *);
/* The handshake's credentials for the CAs profiles p name (the charity CA
 * and each agency's ca_file) and the gateway's own key and certificate, read
 * again (DIR/server.key, DIR/server.crt), into *out, and in *what which of
 * them changed (TLSCRED_CAS, TLSCRED_SERVER_CERT: tlscred.h); *out NULL and
 * *what 0 when they are the ones already in force. 0, or -1 with a message
 * in err (a file unreadable or not taken by GnuTLS, a key that is not the
 * certificate's). Nothing changes until server_trust_install. */
int		 server_trust_prepare(struct server *, const struct profiles *p,
		    struct tlscred **out, unsigned *what, char *err, size_t errlen);
/* New connections' handshakes use c from now on (NULL: nothing changes):
 * its CAs, its server certificate; the server takes the reference. Open
 * connections keep their own. */
void		 server_trust_install(struct server *, struct tlscred *c);
/* Stops accepting, waits up to grace_seconds for requests in flight, stops. */
void		 server_stop(struct server *, unsigned grace_seconds);

#endif
