/*
 * sar_shown.c: what the subject-access export shows of a family's
 * disclosure or request (sar_shown.h). No I/O.
 */
#include "sar_shown.h"

enum sar_shown
sar_shown(int shared, int held, int lift_signed, int row_says_lifted)
{
	if (!shared)
		return SAR_LEFT_OUT;	/* a refusal shared nothing */
	if (!held || lift_signed)
		return SAR_SHOWN;
	/* Held, never lifted as signed: left out, without trace; unless the
	 * row says otherwise, which only the database file could have made
	 * it say. */
	return row_says_lifted ? SAR_NOT_AS_SIGNED : SAR_LEFT_OUT;
}
