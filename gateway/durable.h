/*
 * durable.h: the steps every file the gateway keeps outside its database
 * takes to be on disk before it is relied on: all of the bytes written
 * (short writes and EINTR retried), the directory holding a new or renamed
 * name fsync'd; and a whole file replaced that way (the ledger head and
 * alarm, gatewayctl's statements and exports). Used by ledger_head.c,
 * erasure_journal.c and ctl_file.c.
 */
#ifndef DURABLE_H
#define DURABLE_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

/* Writes all len bytes to fd. 0, or -1 with errno. */
int	durable_write_all(int fd, const void *p, size_t len);
/* fsync of the directory holding path, so that a file created or renamed
 * there is durable by name too. 0, or -1 with errno. */
int	durable_sync_dir(const char *path);

/*
 * A file replaced whole, privately: written to a new file made beside path
 * (mkstemp: mode 0600, never an existing file or a link planted at a
 * name), flushed and fsync'd, renamed over path, the directory fsync'd. A
 * crash leaves the old file or the new one, never a mix. In a sticky
 * directory such as /tmp, replacing another user's file is refused by the
 * kernel, and so is the write.
 *
 * durable_replace_open: 0, or -1 with errno. Write to r->f, then
 * durable_replace_end(r, 1) to put it in place (0, or -1 with errno: the
 * temporary file removed and path as it was, except when only the
 * directory's fsync failed, the new file then in place but not yet known
 * durable by name), or durable_replace_end(r, 0) to discard it. A crash
 * between the two leaves path.XXXXXX beside path: durable_replace_sweep.
 */
struct durable_replace {
	FILE		*f;
	const char	*path;
	char		 tmp[PATH_MAX];
};
int	durable_replace_open(struct durable_replace *, const char *path);
int	durable_replace_end(struct durable_replace *, int ok);
/* The same for len bytes at once. 0, or -1 with errno. */
int	durable_replace_file(const char *path, const void *p, size_t len);
/* Removes what a replace of path cut short by a crash left beside it
 * (path.XXXXXX, six characters of mkstemp's). Only for a path in a
 * directory the caller owns alone (the data directory). Returns how many,
 * or -1 with errno when the directory cannot be read. */
int	durable_replace_sweep(const char *path);

#endif
