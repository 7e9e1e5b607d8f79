/*
 * ledger_shown.c: the one answer every reader of a row kept with its own
 * signed ledger entry gives before serving or showing it (ledger.h,
 * ledger_entry_shown): what ledger_entry_signed says of the row's entry,
 * said in the log in the reader's words and turned into show (0), never
 * show (1) or not now (-1). The finding of the entry and its leaf stays
 * ledger.c's; the row's digest stays the reader's.
 */
#include "ledger.h"
#include "log.h"

int
ledger_entry_shown(struct ledger *l, struct store_conn *c, int64_t seq, const char *action,
    const char *object_id, const char *pseudonym, const unsigned char digest[32],
    unsigned wait_ms, const char *what, const char *id, const char *verb)
{
	int	rc = 0;

	/* action NULL: the reader found no entry can be the row's. */
	if (action != NULL && (rc = ledger_entry_signed(l, c, seq, action, object_id, pseudonym,
	    digest, wait_ms)) == -1)
		return -1;
	if (rc == 2) {
		log_errx("%s %s: ledger entry #%lld is not in the ledger's tree yet; not %s now",
		    what, id, (long long)seq, verb);
		return -1;
	}
	if (rc == 0) {
		log_errx("%s %s does not match ledger entry #%lld (what its ledger entry signed): "
		    "not %s", what, id, (long long)seq, verb);
		return 1;
	}
	return 0;
}
