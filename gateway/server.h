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
/* Stops accepting, waits up to grace_seconds for requests in flight, stops. */
void		 server_stop(struct server *, unsigned grace_seconds);

#endif
