/*
 * request_status.c: the statuses of a police or court request
 * (request_status.h). The database's CHECK on requests.state and the
 * OpenAPI enum spell the same four.
 */
#include <stdio.h>
#include <string.h>

#include "request_status.h"

const char *const request_statuses[] = {
	"awaiting_approval", "approved", "refused", "closed", NULL
};

int
request_status_known(const char *s)
{
	size_t	i;

	if (s == NULL)
		return 0;
	for (i = 0; request_statuses[i] != NULL; i++)
		if (strcmp(s, request_statuses[i]) == 0)
			return 1;
	return 0;
}

char *
request_status_list(char *buf, size_t len)
{
	size_t	i, at = 0;
	int	n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; request_statuses[i] != NULL && at < len; i++) {
		n = snprintf(buf + at, len - at, "%s%s", i == 0 ? "" :
		    request_statuses[i + 1] == NULL ? " or " : ", ", request_statuses[i]);
		if (n < 0)
			break;
		at += (size_t)n;
	}
	return buf;
}
