/*
 * randpool.h: random bytes for values that are public once used (record
 * ids, AES-GCM nonces), drawn from OpenSSL's DRBG a block at a time per
 * thread. Never for keys: vault.c draws those from RAND_bytes() directly.
 */
#ifndef RANDPOOL_H
#define RANDPOOL_H

#include <stddef.h>

/* n random bytes into buf. 0, or -1 when OpenSSL's RAND fails. */
int	randpool_bytes(void *buf, size_t n);

#endif
