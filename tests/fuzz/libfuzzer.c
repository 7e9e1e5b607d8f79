/*
 * libfuzzer.c: the fuzz targets (targets.h) under clang's libFuzzer, for
 * make fuzz. FUZZ_TARGET names the target; with FUZZ_SEEDS_DIR set, the
 * binary writes the target's seeds there (one file each, the corpus to
 * start from) and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static const struct fuzz_target	*target;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*name = getenv("FUZZ_TARGET"), *dir = getenv("FUZZ_SEEDS_DIR");
	char		 path[4096];
	FILE		*f;

	(void)argc;
	(void)argv;
	if (name == NULL || (target = fuzz_target_find(name)) == NULL) {
		fprintf(stderr, "FUZZ_TARGET: one of");
		for (const struct fuzz_target *t = fuzz_targets; t->name != NULL; t++)
			fprintf(stderr, " %s", t->name);
		fprintf(stderr, "\n");
		exit(2);
	}
	if (target->init != NULL && target->init() != 0) {
		fprintf(stderr, "%s: init failed (run from the top of the tree)\n", name);
		exit(2);
	}
	if (dir == NULL)
		return 0;
	for (size_t i = 0; target->seeds[i].bytes != NULL; i++) {
		const struct fuzz_seed	*s = &target->seeds[i];

		snprintf(path, sizeof(path), "%s/seed-%zu", dir, i);
		if ((f = fopen(path, "wb")) == NULL) {
			perror(path);
			exit(2);
		}
		fwrite(s->bytes, 1, s->len != 0 ? s->len : strlen(s->bytes), f);
		fclose(f);
	}
	exit(0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	target->one(data, len);
	return 0;
}
