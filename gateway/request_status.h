/*
 * request_status.h: the statuses a police or court request can be in
 * (DESIGN.md, issue 6), named once for the gateway's GET /v1/requests
 * ?status= check and for gatewayctl requests list --status, which both tell
 * whoever gives another one which there are. Pure: no I/O.
 */
#ifndef REQUEST_STATUS_H
#define REQUEST_STATUS_H

#include <stddef.h>

/* "awaiting_approval", "approved", "refused", "closed"; NULL-terminated,
 * in the order of a request's life. */
extern const char *const request_statuses[];

/* 1 when s is one of them, else 0 (also for NULL). */
int	request_status_known(const char *s);

/* Writes "awaiting_approval, approved, refused or closed" into buf (always
 * NUL-terminated when len > 0) and returns buf. */
char	*request_status_list(char *buf, size_t len);

#endif
