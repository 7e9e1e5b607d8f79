/*
 * server.h: the HTTPS front door (http.c). Starts libmicrohttpd with TLS
 * and client-certificate authentication, dispatches requests through the
 * router, and stops gracefully: stop accepting, let requests in flight
 * finish, then close.
 */
#ifndef SERVER_H
#define SERVER_H

struct gateway;
struct server;

/* Starts listening per gw->cfg. NULL with a message in err on failure. */
struct server	*server_start(struct gateway *, char *err, size_t errlen);
/* The bound port (useful with port 0). */
unsigned	 server_port(const struct server *);
/* 1 when the CAs the profiles now name differ from those the TLS handshake
 * was started with (it keeps those until a restart; auth.c's check of each
 * certificate follows the reload), 0 when the same. */
int		 server_trust_changed(const struct server *);
/* Stops accepting, waits up to grace_seconds for requests in flight, stops. */
void		 server_stop(struct server *, unsigned grace_seconds);

#endif
