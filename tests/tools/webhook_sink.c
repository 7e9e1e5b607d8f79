/*
 * webhook_sink.c: a tiny plain-HTTP receiver on 127.0.0.1 standing in for
 * the family-notification service in the integration tests (compiled by the
 * test that uses it). One request at a time: it appends each POST body as
 * one line to DIR/received, with the Idempotency-Key header before it, then
 * answers 204. While DIR/fail holds a number N > 0 it answers 503 instead
 * and writes N-1 back (so a test can make the next N attempts fail).
 *
 *   webhook_sink DIR     writes the bound port to DIR/port, runs until killed
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REQ	(1 << 20)

static char	dir[4096];

static int
take_failure(void)
{
	char	path[4200];
	FILE	*f;
	int	n = 0;

	snprintf(path, sizeof(path), "%s/fail", dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%d", &n) != 1)
		n = 0;
	fclose(f);
	if (n <= 0)
		return 0;
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%d\n", n - 1);
		fclose(f);
	}
	return 1;
}

static void
record(const char *key, const char *body, size_t len)
{
	char	path[4200];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/received", dir);
	if ((f = fopen(path, "a")) == NULL)
		return;
	fprintf(f, "%s %.*s\n", key, (int)len, body);
	fclose(f);
}

static void
serve(int c)
{
	static char	 buf[MAX_REQ + 1];
	size_t		 len = 0, need = 0, clen = 0;
	char		*end = NULL, *h, key[128] = "-";
	const char	*reply;
	ssize_t		 n;

	for (;;) {
		if (len >= MAX_REQ)
			return;
		if ((n = read(c, buf + len, MAX_REQ - len)) <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			for (h = buf; h < end; h = strstr(h, "\r\n") + 2) {
				if (strncasecmp(h, "Content-Length:", 15) == 0)
					clen = strtoul(h + 15, NULL, 10);
				if (strncasecmp(h, "Idempotency-Key:", 16) == 0)
					sscanf(h + 16, " %127s", key);
				if (strstr(h, "\r\n") == NULL)
					break;
			}
			need = (size_t)(end + 4 - buf) + clen;
		}
		if (end != NULL && len >= need)
			break;
	}
	if (take_failure())
		reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	else {
		record(key, end + 4, clen);
		reply = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
	}
	(void)!write(c, reply, strlen(reply));
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof(sin);
	char			path[4200];
	FILE			*f;
	int			s, c, one = 1;

	if (argc != 2)
		return 2;
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	signal(SIGPIPE, SIG_IGN);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(s, 16) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &slen) == -1)
		return 1;
	snprintf(path, sizeof(path), "%s/port.tmp", dir);
	if ((f = fopen(path, "w")) == NULL)
		return 1;
	fprintf(f, "%u\n", ntohs(sin.sin_port));
	fclose(f);
	{
		char final[4200];

		snprintf(final, sizeof(final), "%s/port", dir);
		if (rename(path, final) == -1)
			return 1;
	}
	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1)
			continue;
		serve(c);
		close(c);
	}
}
