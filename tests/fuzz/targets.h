/*
 * targets.h: the fuzz targets, one per function of the gateway that reads
 * external input (STYLE.md: fuzz only those). Each target takes arbitrary
 * bytes, must never crash, leak or read outside them, and checks what must
 * hold of any input it accepts (a round trip, a bound). Two drivers run
 * them: tests/unit/test_fuzz.c (in make test: the seeds and a fixed number
 * of seeded mutations of them, plain and under ASan/UBSan) and
 * tests/fuzz/libfuzzer.c (make fuzz: clang's coverage-guided libFuzzer).
 */
#ifndef FUZZ_TARGETS_H
#define FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_seed {
	const char	*bytes;
	size_t		 len;		/* 0: strlen(bytes) */
};

struct fuzz_target {
	const char	*name;
	/* Once before any input; 0 or -1. May fill the seeds (signed notes). */
	int		(*init)(void);
	/* One input; aborts (assert) when an invariant fails. */
	void		(*one)(const uint8_t *data, size_t len);
	const struct fuzz_seed *seeds;	/* NULL-terminated by bytes */
	unsigned	 slow;		/* test_fuzz runs FUZZ_RUNS / slow of these (0: all) */
};

extern const struct fuzz_target	fuzz_targets[];	/* terminated by name NULL */

/* The target named name, or NULL. */
const struct fuzz_target	*fuzz_target_find(const char *name);
/* Frees what the targets' init made (so leak checkers see none). */
void				 fuzz_targets_cleanup(void);

#endif
