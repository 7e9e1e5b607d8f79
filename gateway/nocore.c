/*
 * nocore.c: no core files (nocore.h).
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include "nocore.h"

int
nocore(void)
{
	const struct rlimit	zero = { 0, 0 };
	int			rc = 0;

	if (setrlimit(RLIMIT_CORE, &zero) == -1)
		rc = -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		rc = -1;
	return rc;
}
