/*
 * ctl.h: the commands of gatewayctl, one file each (gateway/ctl_NAME.c
 * exporting ctl_NAME). A command receives argv[0] = its own name and the
 * arguments after it, prints its result on stdout and problems on stderr,
 * and returns the process exit status. Each also exports its usage printer,
 * ctl_NAME_usage(FILE *): on stderr for a usage error (exit 2), and on
 * stdout when asked (gatewayctl.c answers --help and -h for every command
 * and subcommand with it, exit 0, before the command runs). To add one:
 * write the file, declare both here, add a line to the table in
 * gatewayctl.c.
 */
#ifndef CTL_H
#define CTL_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "durable.h"

/* ctl_validate.c: gatewayctl validate SCHEMA INSTANCE
 * 0 valid ("valid" on stdout); 1 invalid, one "PATH: message" line per
 * error on stdout ("(root)" for the whole instance); 2 on a usage error, an
 * unreadable or malformed file, or a schema the validator does not support. */
int	ctl_validate(int argc, char **argv);
void	ctl_validate_usage(FILE *);

/* ctl_statement.c: gatewayctl statement verify FILE [--key PUB.pem] | text FILE
 * verify: 0 verified (a summary line on stdout); 1 not verified, one
 * "FAIL message" line per failure then a summary; 2 on a usage error, an
 * unreadable file or key. text: prints the printable rendering; 2 when the
 * file is not a statement. */
int	ctl_statement(int argc, char **argv);
void	ctl_statement_usage(FILE *);

/* ctl_requests.c: gatewayctl requests list|show|approve|refuse|close|statement
 * for trustees, over HTTPS with their certificate (--url --cert --key
 * --cacert). 0 done; 1 the gateway refused (code and message on stderr); 2
 * on a usage, file or connection error. */
int	ctl_requests(int argc, char **argv);
void	ctl_requests_usage(FILE *);

/* ctl_ledger.c: gatewayctl ledger verify (--db FILE | --export FILE) --key PUB.pem
 * [--origin NAME] [--checkpoint NOTE]... | export --db FILE [--out FILE] |
 * generate --data DIR --count N.
 * verify: 0 the ledger verifies; 1 it does not ("first bad sequence number:
 * N" on stdout, with every problem found); 2 usage or I/O error.
 * generate: 0 done; 1 refused (a running gatewayd, or another gatewayctl,
 * holds DIR's data-directory lock); 2 usage or any other failure. */
int	ctl_ledger(int argc, char **argv);
void	ctl_ledger_usage(FILE *);
/* ctl_deliveries.c: gatewayctl deliveries [--db FILE] [list [--state S] | retry ID]
 * list: the open (pending and dead) deliveries, no personal data; 0.
 * retry: re-queues a dead push delivery; gatewayd picks it up within a
 * second (once it starts, when it is not running: the command says
 * which). 0 done, 1 no such delivery or not dead, 2 usage or database
 * error. */
int	ctl_deliveries(int argc, char **argv);
void	ctl_deliveries_usage(FILE *);
/* ctl_notifications.c: gatewayctl notifications [--db FILE] [list [--state S] | retry ID]
 * list: family notifications in a state (failed by default), no personal
 * data; 0. retry: re-queues a failed one; gatewayd ledgers the re-queue,
 * then sends it. 0 done, 1 no such notification, not failed or the family
 * erased, 2 usage or database error. */
int	ctl_notifications(int argc, char **argv);
void	ctl_notifications_usage(FILE *);
/* ctl_notices.c: gatewayctl notices [--db FILE] [list [--state S] | retry ID]
 * list: the pushes of notices to recipients (pending and given up by
 * default), no personal data; 0. retry: re-queues a given-up push of a
 * notice not yet acknowledged; gatewayd ledgers the re-queue, then pushes
 * it. 0 done, 1 no such notice, not given up or acknowledged already, 2
 * usage or database error. */
int	ctl_notices(int argc, char **argv);
void	ctl_notices_usage(FILE *);

/* ctl_queue.c: the frame of the three commands above. list calls list(s,
 * state); retry ID runs requeue(c, ID, now, "operator:$USER") in one write
 * transaction: its 1..4 are refusals, told as "ID: refused[rc - 1]" (exit
 * 1), anything else a failure (exit 2); "re-queued ID: done" once it has
 * committed, or, when no gatewayd holds the database's directory
 * (datalock_held), "re-queued ID: gatewayd is not running on DIR:
 * done_stopped". */
struct store;
struct store_conn;
struct ctl_queue {
	const char	*default_state;
	void		(*usage)(FILE *);
	int		(*list)(struct store *, const char *state);
	int		(*requeue)(struct store_conn *, const char *id, int64_t now_us,
			    const char *by);
	const char	*refused[4];	/* NULL past the last one used */
	const char	*done;		/* gatewayd running: what it does next */
	const char	*done_stopped;	/* not running: what happens once it starts */
};
int	ctl_queue_main(const struct ctl_queue *, int argc, char **argv);
/* A row's next_attempt_us as the lists show it: "now" for 0 (a row due
 * from the moment it was queued: the column's default, never a time the
 * operator needs to see as 1970), else the time (store_time_fmt). */
const char	*ctl_due(int64_t us, char buf[32]);

/* ctl_legal_holds.c: gatewayctl legal-holds [--data DIR] list [--all]
 * The legal holds (open ones unless --all) by family pseudonym: id,
 * source, reference, placed and released times; no reason, no name.
 * Read-only. 0 listed; 2 usage or database error. */
int	ctl_legal_holds(int argc, char **argv);
void	ctl_legal_holds_usage(FILE *);

/* ctl_retention.c: gatewayctl retention run [--data DIR] [--profiles DIR]
 * [--schemas DIR] [--master-key FILE] [--as-of DATE] [--refusal-retention-days N]
 * One retention sweep (retention.h) while no gatewayd runs on DIR. 0 done
 * (a summary line on stdout); 1 refused (the daemon holds the data
 * directory), failed, or the write-ahead log still held destroyed keys'
 * bytes after 30 s of retries; 2 usage. */
int	ctl_retention(int argc, char **argv);
void	ctl_retention_usage(FILE *);

/* ctl_backup.c: gatewayctl backup [--data DIR] --out NEWDIR [--with-keys]
 * A copy of DIR a gateway can be started on, taken while gatewayd runs,
 * its ledger verified, when it was made in its backup.json. 0 done; 1 the
 * copy does not verify; 2 usage or I/O. "backup check" runs
 * ctl_backup_check. */
int	ctl_backup(int argc, char **argv);
void	ctl_backup_usage(FILE *);
/* ctl_backup_check.c: gatewayctl backup check [--max-age DAYS] COPY...
 * Each copy's age from its backup.json. 0 every copy at most DAYS old; 1
 * one older, or of unknown age; 2 usage. */
int	ctl_backup_check(int argc, char **argv);

/* ctl_confine.c: where a command may write (landlock.h), entered by each
 * command once its arguments are read, before it reads its input and
 * before any thread; main has entered the seccomp filter (sandbox.h) for
 * every command already. data_dir: the store's (or data) directory;
 * out_dir: the command's output directory; either NULL, or not there, for
 * none; no port, no program, no signal to another process. A second call
 * (a command run by another) does nothing. 0, or -1 said on stderr (the
 * command exits 2 rather than run less confined). With ctl_verbose (-v)
 * it says on stderr how it is confined. */
extern int	ctl_verbose;
int	ctl_confine(const char *data_dir, const char *out_dir);
/* The directory file is in (dirname), into buf; NULL when too long.
 * ctl_store_dir: a database's, where SQLite keeps its -wal and -shm (the
 * directory of what a link to it names). */
const char	*ctl_dir_of(const char *file, char *buf, size_t len);
const char	*ctl_store_dir(const char *db, char *buf, size_t len);

/* ctl_file.c: a file of personal data or signed records, written private
 * (0600) beside path and renamed into place (never written through an
 * existing file or link: durable_replace_open). ctl_out_open: 0, or -1
 * with the reason on stderr. Write to o->f; ctl_out_close(o, 1) flushes,
 * syncs and renames (0, or -1 on stderr, nothing left); ctl_out_close(o, 0)
 * discards. */
int	ctl_out_open(struct durable_replace *, const char *path);
int	ctl_out_close(struct durable_replace *, int ok);

#endif
