/*
 * datalock.h: one process at a time owns a data directory. The ledger's
 * in-memory Merkle tree and its signed checkpoints belong to the process
 * that appends; a second appender on the same database would fork the tree
 * behind the first one's back. gatewayd holds the lock for its whole life;
 * gatewayctl commands that write (retention run) take it or refuse.
 */
#ifndef DATALOCK_H
#define DATALOCK_H

#include <stddef.h>

/* Takes an exclusive lock on DIR/gatewayd.lock (created 0600), without
 * waiting, and writes the holder's pid and name into it. Returns the file
 * descriptor to keep open (the lock lives as long as it does), or -1 with
 * a message in err: "held by pid N (NAME)" when another process holds it. */
int	datalock_acquire(const char *dir, const char *name, char *err, size_t errlen);
/* Whether a process holds DIR's lock now, without taking it for longer
 * than the look (and without creating the file): 1 held, with the holder
 * ("pid N (NAME)", as the lock file says) in holder; 0 not held (or no
 * lock file); -1 with a message in err when it cannot tell. */
int	datalock_held(const char *dir, char *holder, size_t holderlen, char *err,
	    size_t errlen);
/* Releases it (closes the descriptor). -1 is ignored. */
void	datalock_release(int fd);

#endif
