/*
 * keycache.h: the vault's cache of unwrapped family data keys, by family
 * pseudonym. Pure: memory and a mutex, no I/O; thread-safe.
 *
 * Set-associative: a name hashes (FNV-1a) to one of KEYCACHE_SETS sets of
 * KEYCACHE_WAYS ways each, and a full set gives up its least recently used
 * way. (It was direct-mapped: two busy families whose names shared a slot
 * evicted each other on every use, each miss a store read.)
 *
 * A family has one key for life, created once and only ever destroyed,
 * never replaced, so the one thing the cache must never do is serve a key
 * after its destruction has committed. Its tickets (vault.c explains how
 * the vault uses them):
 *   - keycache_drop() at a destruction removes the name and counts the
 *     destruction as pending until keycache_committed() (the writer's next
 *     commit); both move the epoch;
 *   - keycache_ticket() is the epoch, or KEYCACHE_NO_TICKET while a
 *     destruction is pending; keycache_put() under a ticket stores the key
 *     only if the epoch has not moved since and nothing is pending. A key
 *     read after taking a ticket therefore lands in the cache only if no
 *     destruction began before that read could have seen it committed.
 * Memory: KEYCACHE_SETS x KEYCACHE_WAYS ways of ~110 bytes (~110 KB);
 * every key leaving the cache (evicted, dropped, freed) is cleansed.
 */
#ifndef KEYCACHE_H
#define KEYCACHE_H

#include <stdint.h>

#define KEYCACHE_KEYLEN		32
#define KEYCACHE_NAMELEN	65	/* a pseudonym and its NUL */
#define KEYCACHE_WAYS		8
#define KEYCACHE_SETS		128	/* 1024 keys in all */
#define KEYCACHE_NO_TICKET	UINT64_MAX

struct keycache;

/* NULL when out of memory. */
struct keycache	*keycache_new(void);
void		 keycache_free(struct keycache *);
/* 1 and the key if cached, else 0 ("" and names of KEYCACHE_NAMELEN or
 * more are never cached). A hit makes its way the set's most recent. */
int		 keycache_get(struct keycache *, const char *name,
		    unsigned char key[KEYCACHE_KEYLEN]);
/* Take before the read whose key may then be put. */
uint64_t	 keycache_ticket(struct keycache *);
/* Caches the key read under ticket t, if no destruction began since
 * (else nothing): in the way that already holds the name, else an empty
 * one, else the set's least recently used. */
void		 keycache_put(struct keycache *, const char *name,
		    const unsigned char key[KEYCACHE_KEYLEN], uint64_t t);
/* A destruction of name's key begins: dropped, and no ticket taken before
 * it, nor any until keycache_committed(), puts anything. */
void		 keycache_drop(struct keycache *, const char *name);
/* The writer committed: destructions begun before are visible to reads
 * started from now on. */
void		 keycache_committed(struct keycache *);
/* The set a name belongs to (0 .. KEYCACHE_SETS - 1): for tests. */
unsigned	 keycache_set_of(const char *name);

#endif
