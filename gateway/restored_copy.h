/*
 * restored_copy.h: gatewayd started on a copy that "gatewayctl backup"
 * made, found by the copy's backup.json in the data directory
 * (backup_meta.h). At start, after the erasure journal was made again
 * (retention_reapply_journal) and before anything is served, it:
 *   - says how old the copy is (or that its age is unknown), as a warning:
 *     families erased or past retention after it was made are in it;
 *   - makes a retention sweep (via=restore) before serving, so that what
 *     expired since the copy was made is not served until the retention
 *     thread's first sweep, which runs beside the server; with
 *     --retention-interval 0 there is none, and it says so;
 *   - says what was made again from the journal (or that a new, empty
 *     journal made nothing again);
 *   - renames the copy's backup.json to restored.json, durably, so that a
 *     later start of the same data directory is an ordinary one (a failed
 *     rename is a warning: the next start does the same again, harmlessly).
 * No personal data: times, counts and paths.
 */
#ifndef RESTORED_COPY_H
#define RESTORED_COPY_H

#define RESTORED_COPY_FILE	"restored.json"

struct gateway;

/* reapplied: what retention_reapply_journal() made again; journal_new: the
 * journal was made new and empty at this start (--new-erasure-journal),
 * so nothing after the copy could be made again. 0 not a restored copy,
 * or done; -1 the sweep failed (logged): gatewayd must not serve a copy
 * that may hold families past retention, and the next start tries again. */
int	restored_copy_start(struct gateway *gw, long long reapplied, int journal_new);

#endif
