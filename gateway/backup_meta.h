/*
 * backup_meta.h: what a copy made by "gatewayctl backup" says of itself
 * (NEWDIR/backup.json), and how old a copy may grow before it is flagged.
 * Pure: the text is made and read here; the file is written and read by
 * ctl_backup.c, ctl_backup_check.c and restored_copy.c.
 *
 * A copy holds every family as it was when it was made: one erased on
 * request or past retention since is readable in it (with the master key)
 * for as long as the copy is kept. Restoring it makes the journaled
 * erasures and withdrawals again and sweeps retention before serving
 * (restored_copy.h), but a copy kept is a copy readable: its age says for
 * how long. backup.json holds times and flags only, one line:
 *
 *   {"backup_format":1,"made_at":"2026-12-05T10:00:00.000000Z",
 *    "keys_included":false,"ledger_head_included":true}
 *
 * made_at is when the copy began (before the database was copied: it holds
 * nothing committed later, so its age is never understated). No gateway
 * version: the build carries none.
 */
#ifndef BACKUP_META_H
#define BACKUP_META_H

#include <stddef.h>
#include <stdint.h>

#define BACKUP_META_FILE	"backup.json"
#define BACKUP_META_FORMAT	1
/*
 * The default longest age of a copy (gatewayctl backup check --max-age).
 * Not a profile's retention period: those say how long a family's records
 * may be kept from when they were made or ended (6 to 25 years), whereas a
 * copy's age is how long an erasure on request made since stays undone in
 * it. An erasure is to be acted on within a month of the request (UK GDPR
 * Art 17(1), 12(3)): a monthly copy, kept a few days past the next one,
 * keeps an erased family readable little longer than that. 35 days.
 */
#define BACKUP_MAX_AGE_DAYS	35
#define BACKUP_MAX_AGE_DAYS_MAX	36525
/* A made_at later than now by more than this is not believed (a clock set
 * wrong, or a file edited): the copy's age is unknown. */
#define BACKUP_FUTURE_SLACK_US	(300LL * 1000000)
#define BACKUP_DAY_US		(86400LL * 1000000)

struct backup_meta {
	int64_t	made_us;
	int	keys_included;		/* 1, 0, or -1 not said */
	int	ledger_head_included;	/* 1, 0, or -1 not said */
};

/* backup.json's text for m, with a final newline: malloc'd, NULL when out
 * of memory or made_us is outside years 0..9999. */
char	*backup_meta_format(const struct backup_meta *m);

/* Reads text[0:len] into *m. made_at is required (an RFC 3339 time);
 * keys_included and ledger_head_included are read when they are booleans
 * (-1 otherwise); other members are ignored. 0, or -1 with err set (no
 * personal data: the file holds none, and its text is not repeated). */
int	 backup_meta_parse(const char *text, size_t len, struct backup_meta *m,
	    char *err, size_t errlen);

enum backup_age {
	BACKUP_AGE_OK,		/* at most max_days old */
	BACKUP_AGE_TOO_OLD,	/* older than max_days */
	BACKUP_AGE_FUTURE	/* made later than now (past the slack): unknown */
};

/* The verdict on a copy made at made_us, at now_us, with a limit of
 * max_days; *age_us (when not NULL) is now_us - made_us. */
enum backup_age	backup_age(int64_t made_us, int64_t now_us, unsigned max_days,
		    int64_t *age_us);

#endif
