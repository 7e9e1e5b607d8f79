/*
 * sar_shown.h: whether the family's subject-access export shows one of its
 * disclosures or police/court requests (sar_shown.c). Pure: decided from
 * the row as its ledger entry signed it (the caller checked it first:
 * disclosure_signed.h, request_signed.h) and from whether a safeguarding
 * lead's lift is in the family's ledger as signed (hold_signed.h), never
 * from an unsigned column alone. The notification row's state and lift
 * time are not signed: they may only refuse an export (a row that says a
 * hold was lifted with no signed lift), never leave a signed item out.
 */
#ifndef SAR_SHOWN_H
#define SAR_SHOWN_H

enum sar_shown {
	SAR_LEFT_OUT = 0,	/* a refused attempt, or held with no signed lift */
	SAR_SHOWN = 1,
	SAR_NOT_AS_SIGNED = 2	/* held, no signed lift, but its row says lifted:
				   the export is refused (409) */
};

/* shared: a disclosure whose signed decision is "allowed" (a request: 1);
 * held: held from the family at its making, as signed (hold_made_held, a
 * request's do_not_notify); lift_signed: hold_released_signed() answered 1
 * (0 when not held); row_says_lifted: its notification row has a lift
 * time. */
enum sar_shown	sar_shown(int shared, int held, int lift_signed, int row_says_lifted);

#endif
