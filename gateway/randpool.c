/*
 * randpool.c: per-thread blocks of RAND_bytes() output, handed out in the
 * small pieces a request needs (a 10-byte id, three or four 12-byte nonces).
 *
 * Every RAND_bytes() call pays OpenSSL's fork check (a getpid(2) system
 * call, expensive under this project's hypervisor) and a DRBG generate; a
 * disclosure made three such calls for 46 bytes. Drawing 512 bytes at a
 * time makes that one call per ten disclosures. The bytes are as
 * unpredictable as RAND_bytes() makes them; what is handed out is wiped
 * from the pool, and a forked child starts with an empty pool
 * (pthread_atfork), so a parent and its child never hand out the same
 * bytes (the fork check OpenSSL does per call no longer covers them).
 */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "randpool.h"

#define POOL	512

static _Thread_local unsigned char	pool[POOL];
static _Thread_local size_t		avail;	/* unused bytes, at the pool's end */
static pthread_once_t			once = PTHREAD_ONCE_INIT;

static void
forked_child(void)
{
	OPENSSL_cleanse(pool, sizeof(pool));
	avail = 0;
}

static void
register_fork_handler(void)
{
	(void)pthread_atfork(NULL, NULL, forked_child);
}

int
randpool_bytes(void *buf, size_t n)
{
	unsigned char	*from;

	(void)pthread_once(&once, register_fork_handler);
	if (n > POOL / 4)
		return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
	if (avail < n) {
		if (RAND_bytes(pool, POOL) != 1) {
			forked_child();
			return -1;
		}
		avail = POOL;
	}
	from = pool + POOL - avail;
	memcpy(buf, from, n);
	OPENSSL_cleanse(from, n);
	avail -= n;
	return 0;
}
