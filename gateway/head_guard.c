/*
 * head_guard.c: whether the ledger may start without ledger.head
 * (head_guard.h). Pure.
 */
#include "head_guard.h"

enum head_presence
head_presence(int exists, int signed_before, int accepted)
{
	if (exists)
		return HEAD_PRESENT;
	if (!signed_before)
		return HEAD_MAKE_FRESH;
	return accepted ? HEAD_MAKE_ACCEPTED : HEAD_REFUSE;
}
