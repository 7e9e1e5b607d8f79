/*
 * ctl_file.c: the files gatewayctl writes that hold a family's data or a
 * signed record (a witness statement, a ledger export). Each replaces its
 * name whole and privately (durable.h: durable_replace): a file another
 * user made first (readable by them), or a symbolic link planted at the
 * name, never receives the content. Here only the messages are added.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

int
ctl_out_open(struct durable_replace *o, const char *path)
{
	if (durable_replace_open(o, path) != 0) {
		fprintf(stderr, "gatewayctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
ctl_out_close(struct durable_replace *o, int ok)
{
	if (durable_replace_end(o, ok) != 0) {
		if (ok)
			fprintf(stderr, "gatewayctl: %s: %s\n", o->path, strerror(errno));
		return -1;
	}
	return 0;
}
