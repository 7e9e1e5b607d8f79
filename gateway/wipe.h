/*
 * wipe.h: heap memory that held personal data is zeroed before it goes
 * back to the allocator, so a family's values do not linger in freed
 * blocks (for the next malloc of any thread to be handed, or a memory
 * disclosure bug to read) once the gateway is done with them.
 *
 * It owns the free that wipes a malloc'd block whole, its growing
 * counterpart, and jansson's allocator: every json_t, string value, key,
 * parser buffer and json_dumps() working buffer jansson frees is wiped
 * (the values decrypted from the store are copied into such strings, and
 * request bodies are parsed into them). The size of a block comes from
 * malloc_usable_size() (glibc and musl; AddressSanitizer and valgrind
 * answer with the size asked for), not from a header of ours: any block
 * from malloc() may be given to wipe_free(), and jansson's blocks stay
 * plain malloc() blocks (json_dumps() text freed with free() is freed
 * correctly, only not wiped: callers holding personal data wipe_free() it).
 */
#ifndef WIPE_H
#define WIPE_H

#include <stddef.h>

/* Makes jansson allocate with malloc() and free with wipe_free(). Called
 * first in both mains, before any json call (jansson's allocator must not
 * change while it holds a block). */
void	 wipe_json_install(void);

/* Zeroes the whole of p (a block from malloc, calloc, realloc, strdup or
 * jansson), then frees it. NULL is nothing. */
void	 wipe_free(void *p);

/* realloc() that leaves no copy behind: a new block of n bytes holding the
 * first n bytes of p (all of it when growing), and p wiped and freed; p
 * NULL is malloc(n). NULL when out of memory, p then untouched (still the
 * caller's), as realloc() leaves it. */
void	*wipe_realloc(void *p, size_t n);

/* For tests: fn sees each block wipe_free() has zeroed, with its size, just
 * before it is freed (NULL: none, the default). Not for use while other
 * threads free. */
void	 wipe_observe(void (*fn)(const void *p, size_t n));

#endif
