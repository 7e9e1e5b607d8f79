/*
 * durable.h: the two steps every file the gateway keeps outside its
 * database takes to be on disk before it is relied on: all of the bytes
 * written (short writes and EINTR retried), and the directory holding a new
 * or renamed name fsync'd. Used by ledger_head.c and erasure_journal.c.
 */
#ifndef DURABLE_H
#define DURABLE_H

#include <stddef.h>

/* Writes all len bytes to fd. 0, or -1 with errno. */
int	durable_write_all(int fd, const void *p, size_t len);
/* fsync of the directory holding path, so that a file created or renamed
 * there is durable by name too. 0, or -1 with errno. */
int	durable_sync_dir(const char *path);

#endif
