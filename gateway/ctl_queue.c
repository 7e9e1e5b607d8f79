/*
 * ctl_queue.c: what gatewayctl's three queue commands (deliveries,
 * notifications, notices) share: their options ([--db FILE] [list [--state S] |
 * retry ID]) and the re-queue itself, one write transaction in which the
 * store's re-queue function runs with operator:NAME (the effective uid's
 * account, not $USER) as the actor, and the
 * operator told in plain words why a re-queue was refused, and whether
 * gatewayd is there to act on it now (the data directory's lock: the
 * database is DIR/gateway.db) or will once it starts. What a list shows
 * and what may be re-queued stay with each command.
 */
#include <sys/types.h>

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "datalock.h"
#include "store.h"

const char *
ctl_due(int64_t us, char buf[32])
{
	return us == 0 ? "now" : store_time_fmt(us, buf);
}

/* After a re-queue: says what happens next, by whether gatewayd holds the
 * directory of db. Another gatewayctl holding it (retention run) is not
 * gatewayd: nothing is sent until gatewayd starts. */
static void
tell_done(const struct ctl_queue *q, const char *db, const char *id)
{
	char	path[PATH_MAX], holder[128] = "", err[PATH_MAX + 64];
	char	*dir;
	int	held;

	if (snprintf(path, sizeof(path), "%s", db) >= (int)sizeof(path)) {
		printf("re-queued %s: %s\n", id, q->done);
		return;
	}
	dir = dirname(path);
	if ((held = datalock_held(dir, holder, sizeof(holder), err, sizeof(err))) == -1) {
		fprintf(stderr, "gatewayctl: cannot tell whether gatewayd runs: %s\n", err);
		printf("re-queued %s: %s\n", id, q->done);
	} else if (held && strstr(holder, "(gatewayd)") != NULL)
		printf("re-queued %s: %s\n", id, q->done);
	else
		printf("re-queued %s: gatewayd is not running on %s: %s\n", id, dir,
		    q->done_stopped);
}

static int
requeue(const struct ctl_queue *q, struct store *s, const char *db, const char *id)
{
	struct store_conn	*c = store_write_conn(s);
	const struct passwd	*pw = getpwuid(geteuid());
	char			 by[160];
	int			 rc;

	/* The account running the command, as the system knows it: not
	 * $USER, which anyone sets to anyone's name. */
	if (pw != NULL && pw->pw_name != NULL && *pw->pw_name != '\0')
		snprintf(by, sizeof(by), "operator:%s", pw->pw_name);
	else
		snprintf(by, sizeof(by), "operator:uid=%lu", (unsigned long)geteuid());
	if (store_exec(c, "BEGIN IMMEDIATE") == -1)
		return 2;
	rc = q->requeue(c, id, store_now_us(), by);
	if (rc != 0 || store_exec(c, "COMMIT") == -1) {
		(void)store_exec(c, "ROLLBACK");
		if (rc >= 1 && rc <= 4 && q->refused[rc - 1] != NULL) {
			fprintf(stderr, "gatewayctl: %s: %s\n", id, q->refused[rc - 1]);
			return 1;
		}
		fprintf(stderr, "gatewayctl: could not re-queue %s\n", id);
		return 2;
	}
	tell_done(q, db, id);
	return 0;
}

int
ctl_queue_main(const struct ctl_queue *q, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*db = "var/gateway.db", *state = q->default_state, *cmd = "list";
	struct store	*s;
	char		 err[512], dir[PATH_MAX];
	int		 ch, rc, writable, state_given = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 's': state = optarg; state_given = 1; break;
		default: q->usage(stderr); return 2;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (strcmp(cmd, "list") == 0 && optind == argc)
		writable = 0;
	else if (strcmp(cmd, "retry") == 0 && optind == argc - 1 && !state_given)
		writable = 1;
	else if (strcmp(cmd, "retry") == 0 && state_given) {
		/* Not dropped unread: whoever typed it meant something by it. */
		fprintf(stderr, "gatewayctl: retry: --state belongs to list; retry takes one "
		    "ID and nothing else\n");
		q->usage(stderr);
		return 2;
	} else {
		q->usage(stderr);
		return 2;
	}
	/* The database's directory only: a re-queue writes there, and a list
	 * too (SQLite's -shm index and log beside the database). */
	if (ctl_store_dir(db, dir, sizeof(dir)) == NULL) {
		fprintf(stderr, "gatewayctl: --db: path too long\n");
		return 2;
	}
	if (ctl_confine(dir, NULL) == -1)
		return 2;
	if ((s = store_attach(db, writable, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		return 2;
	}
	rc = writable ? requeue(q, s, db, argv[optind]) : q->list(s, state);
	store_close(s);
	return rc;
}
