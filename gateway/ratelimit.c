/*
 * ratelimit.c: per-principal GCRA (ratelimit.h). Each principal is one
 * slot: a 64-bit hash of its id and its theoretical arrival time (tat). A
 * read at now is allowed when tat - now <= tolerance, and moves tat on by
 * one interval; a slot whose tat has passed holds a full bucket, the same as
 * no slot, so it is free for another principal. The table is fixed (4096
 * slots, 64 KiB): a principal finds its slot within a few probes, or takes a
 * free one, or, with every probed slot busy, the one nearest full, whose
 * principal then starts afresh. Principal ids come from certificates the
 * charity's or an agency's CA issued, so nobody picks hashes to collide.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

#define RL_SLOTS	4096	/* a power of two */
#define RL_PROBES	8

struct slot {
	uint64_t	key;	/* 0: never used */
	int64_t		tat;	/* microseconds */
};

struct ratelimit {
	pthread_mutex_t	lock;
	int64_t		interval;	/* microseconds per read, sustained */
	int64_t		tolerance;	/* (burst - 1) intervals */
	struct slot	slots[RL_SLOTS];
};

struct ratelimit *
ratelimit_new(unsigned per_min, unsigned burst)
{
	struct ratelimit	*rl;

	if (per_min == 0 || burst == 0 || (rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	pthread_mutex_init(&rl->lock, NULL);
	rl->interval = (int64_t)60000000 / per_min;
	if (rl->interval == 0)
		rl->interval = 1;
	rl->tolerance = rl->interval * (int64_t)(burst - 1);
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* FNV-1a, 64 bits; never 0 (0 marks an unused slot). */
static uint64_t
hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}

/* The key's slot, or a free one, or the one nearest full; lock held. */
static struct slot *
find(struct ratelimit *rl, uint64_t key, int64_t now_us)
{
	struct slot	*s, *spare = NULL;
	size_t		 i;

	for (i = 0; i < RL_PROBES; i++) {
		s = &rl->slots[(key + i) & (RL_SLOTS - 1)];
		if (s->key == key)
			return s;
		if (spare == NULL && (s->key == 0 || s->tat <= now_us))
			spare = s;	/* unused, or a full bucket: as good as empty */
	}
	if (spare == NULL) {
		spare = &rl->slots[key & (RL_SLOTS - 1)];
		for (i = 1; i < RL_PROBES; i++) {
			s = &rl->slots[(key + i) & (RL_SLOTS - 1)];
			if (s->tat < spare->tat)
				spare = s;
		}
	}
	spare->key = key;
	spare->tat = now_us;
	return spare;
}

int
ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_us, unsigned *retry_after_s)
{
	struct slot	*s;
	int64_t		 tat, wait;
	int		 ok;

	pthread_mutex_lock(&rl->lock);
	s = find(rl, hash(key), now_us);
	tat = s->tat > now_us ? s->tat : now_us;
	if ((ok = tat - now_us <= rl->tolerance))
		s->tat = tat + rl->interval;
	else {
		wait = tat - now_us - rl->tolerance;
		*retry_after_s = (unsigned)((wait + 999999) / 1000000);
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
