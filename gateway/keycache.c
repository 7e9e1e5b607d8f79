/*
 * keycache.c: the set-associative cache of unwrapped family keys
 * (keycache.h), its epoch and pending destructions. One mutex guards all.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keycache.h"

struct way {
	char		name[KEYCACHE_NAMELEN];	/* "" when empty */
	unsigned char	key[KEYCACHE_KEYLEN];
	uint64_t	used;			/* the clock at its last use */
};

struct keycache {
	pthread_mutex_t	 lock;
	uint64_t	 epoch;		/* moves at every destruction and commit after one */
	unsigned	 pending;	/* destructions not yet followed by a commit */
	uint64_t	 clock;		/* counts hits and puts: the LRU's order */
	struct way	 set[KEYCACHE_SETS][KEYCACHE_WAYS];
};

struct keycache *
keycache_new(void)
{
	struct keycache	*kc;

	if ((kc = calloc(1, sizeof(*kc))) == NULL)
		return NULL;
	if (pthread_mutex_init(&kc->lock, NULL) != 0) {
		free(kc);
		return NULL;
	}
	return kc;
}

void
keycache_free(struct keycache *kc)
{
	if (kc == NULL)
		return;
	pthread_mutex_destroy(&kc->lock);
	OPENSSL_cleanse(kc, sizeof(*kc));
	free(kc);
}

unsigned
keycache_set_of(const char *name)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h % KEYCACHE_SETS;
}

/* The way of set s holding name, or NULL. Lock held. */
static struct way *
way_of(struct way *s, const char *name)
{
	unsigned	i;

	for (i = 0; i < KEYCACHE_WAYS; i++)
		if (s[i].name[0] != '\0' && strcmp(s[i].name, name) == 0)
			return &s[i];
	return NULL;
}

static int
cacheable(const char *name)
{
	return name[0] != '\0' && strnlen(name, KEYCACHE_NAMELEN) < KEYCACHE_NAMELEN;
}

int
keycache_get(struct keycache *kc, const char *name, unsigned char key[KEYCACHE_KEYLEN])
{
	struct way	*s, *w;

	if (!cacheable(name))
		return 0;
	s = kc->set[keycache_set_of(name)];
	pthread_mutex_lock(&kc->lock);
	if ((w = way_of(s, name)) != NULL) {
		memcpy(key, w->key, KEYCACHE_KEYLEN);
		w->used = ++kc->clock;
	}
	pthread_mutex_unlock(&kc->lock);
	return w != NULL;
}

uint64_t
keycache_ticket(struct keycache *kc)
{
	uint64_t	t;

	pthread_mutex_lock(&kc->lock);
	t = kc->pending ? KEYCACHE_NO_TICKET : kc->epoch;
	pthread_mutex_unlock(&kc->lock);
	return t;
}

void
keycache_put(struct keycache *kc, const char *name, const unsigned char key[KEYCACHE_KEYLEN],
    uint64_t t)
{
	struct way	*s, *w;
	unsigned	 i;

	if (t == KEYCACHE_NO_TICKET || !cacheable(name))
		return;
	s = kc->set[keycache_set_of(name)];
	pthread_mutex_lock(&kc->lock);
	if (t == kc->epoch && kc->pending == 0) {
		if ((w = way_of(s, name)) == NULL)
			/* An empty way, else the least recently used. */
			for (w = &s[0], i = 1; i < KEYCACHE_WAYS; i++)
				if (w->name[0] != '\0' &&
				    (s[i].name[0] == '\0' || s[i].used < w->used))
					w = &s[i];
		OPENSSL_cleanse(w, sizeof(*w));		/* an evicted key */
		memcpy(w->name, name, strlen(name) + 1);
		memcpy(w->key, key, KEYCACHE_KEYLEN);
		w->used = ++kc->clock;
	}
	pthread_mutex_unlock(&kc->lock);
}

void
keycache_drop(struct keycache *kc, const char *name)
{
	struct way	*s = kc->set[keycache_set_of(name)];
	unsigned	 i;

	pthread_mutex_lock(&kc->lock);
	/* Every way: keycache_put() never makes a second copy, but a
	 * destruction does not rely on it. */
	for (i = 0; i < KEYCACHE_WAYS; i++)
		if (s[i].name[0] != '\0' && strcmp(s[i].name, name) == 0)
			OPENSSL_cleanse(&s[i], sizeof(s[i]));
	kc->epoch++;
	kc->pending++;
	pthread_mutex_unlock(&kc->lock);
}

void
keycache_committed(struct keycache *kc)
{
	pthread_mutex_lock(&kc->lock);
	if (kc->pending) {
		kc->epoch++;
		kc->pending = 0;
	}
	pthread_mutex_unlock(&kc->lock);
}
