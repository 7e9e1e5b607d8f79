/*
 * ctl_file.c: the files gatewayctl writes that hold a family's data or a
 * signed record (a witness statement, a ledger export). Each is written to
 * a new private file (0600, mkstemp) beside its final name, flushed to
 * disk and renamed into place: an existing file is replaced, never written
 * through, so a file another user made first (readable by them), or a
 * symbolic link planted at the name, never receives the content. In a
 * sticky directory such as /tmp, replacing another user's file is refused
 * by the kernel, and so is the command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

int
ctl_out_open(struct ctl_out *o, const char *path)
{
	int	fd;

	memset(o, 0, sizeof(*o));
	o->path = path;
	if ((size_t)snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", path) >= sizeof(o->tmp)) {
		fprintf(stderr, "gatewayctl: %s: name too long\n", path);
		return -1;
	}
	if ((fd = mkstemp(o->tmp)) == -1) {
		fprintf(stderr, "gatewayctl: %s: %s\n", o->tmp, strerror(errno));
		return -1;
	}
	if ((o->f = fdopen(fd, "wb")) == NULL) {
		fprintf(stderr, "gatewayctl: %s: %s\n", o->tmp, strerror(errno));
		close(fd);
		unlink(o->tmp);
		return -1;
	}
	return 0;
}

int
ctl_out_close(struct ctl_out *o, int ok)
{
	int	rc = 0;

	if (o->f == NULL)
		return -1;
	if (ok && (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)) {
		fprintf(stderr, "gatewayctl: %s: %s\n", o->tmp, strerror(errno));
		ok = 0;
	}
	if (fclose(o->f) != 0 && ok) {
		fprintf(stderr, "gatewayctl: %s: %s\n", o->tmp, strerror(errno));
		ok = 0;
	}
	o->f = NULL;
	if (ok && rename(o->tmp, o->path) != 0) {
		fprintf(stderr, "gatewayctl: %s: %s\n", o->path, strerror(errno));
		ok = 0;
	}
	if (!ok) {
		(void)unlink(o->tmp);
		rc = -1;
	}
	return rc;
}
