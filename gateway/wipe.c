/*
 * wipe.c: freed heap memory holds no personal data (see wipe.h).
 *
 * jansson's free function is given no size; rather than a header before
 * each block (which would make json_dumps() text, which callers free()
 * as jansson documents, a pointer into the middle of a block), the size is
 * malloc_usable_size()'s: the whole block as the allocator holds it, slack
 * included, so nothing of it is left.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wipe.h"

static void	(*observer)(const void *, size_t);

void
wipe_json_install(void)
{
	/* malloc itself, not a function of ours around it: in test_failalloc
	 * malloc is its counting wrapper, which then sees jansson as the
	 * caller, as it did before. */
	json_set_alloc_funcs(malloc, wipe_free);
}

void
wipe_free(void *p)
{
	size_t	n;

	if (p == NULL)
		return;
	n = malloc_usable_size(p);
	explicit_bzero(p, n);
	if (observer != NULL)
		observer(p, n);
	free(p);
}

void *
wipe_realloc(void *p, size_t n)
{
	size_t	 had;
	void	*q;

	if ((q = malloc(n)) == NULL)
		return NULL;
	if (p != NULL) {
		had = malloc_usable_size(p);
		memcpy(q, p, had < n ? had : n);
		wipe_free(p);
	}
	return q;
}

void
wipe_observe(void (*fn)(const void *, size_t))
{
	observer = fn;
}
