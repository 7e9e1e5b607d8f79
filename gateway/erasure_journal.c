/*
 * erasure_journal.c: the journal of erasures on request (erasure_journal.h).
 * File I/O, and the set of pseudonyms a journal holds (pure); what is made
 * again from it, and what is appended at start, is retention.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "durable.h"
#include "erasure_journal.h"
#include "store.h"

#define LINE_MAX_BYTES	256

static int
is_pseudonym(const char *s, size_t n)
{
	size_t	i;

	if (n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
is_code(const char *s)
{
	if (*s == '\0' || strlen(s) > 48)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_' || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

/* A consent's id (store_new_id "con_" and a ULID; ids only, no names). */
static int
is_consent_id(const char *s)
{
	size_t	n = strlen(s), i;

	if (n <= 4 || n >= 40 || strncmp(s, "con_", 4) != 0)
		return 0;
	for (i = 4; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

/* One appender at a time within the process: a torn tail is cut, and a
 * journal read and appended to (erasure_journal_ensure), with no other
 * append in between. */
static pthread_mutex_t	append_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Cuts off a last line a crash left without its newline (erasure_journal_each
 * skips it), so that the next line starts a line of its own. A complete line
 * is shorter than LINE_MAX_BYTES: no newline in the last LINE_MAX_BYTES
 * bytes of a longer file is damage, left alone. 0, or -1 with err set.
 */
static int
cut_torn_tail(int fd, const char *path, char *err, size_t errlen)
{
	char		buf[LINE_MAX_BYTES];
	struct stat	st;
	off_t		from;
	ssize_t		n, i;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "erasure journal %s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_size == 0)
		return 0;
	from = st.st_size > (off_t)sizeof(buf) ? st.st_size - (off_t)sizeof(buf) : 0;
	if ((n = pread(fd, buf, (size_t)(st.st_size - from), from)) != st.st_size - from) {
		snprintf(err, errlen, "erasure journal %s: %s", path,
		    n == -1 ? strerror(errno) : "short read");
		return -1;
	}
	if (buf[n - 1] == '\n')
		return 0;
	for (i = n; i > 0 && buf[i - 1] != '\n'; i--)
		;
	if (i == 0 && from > 0) {
		snprintf(err, errlen, "erasure journal %s: its last line is too long", path);
		return -1;
	}
	if (ftruncate(fd, from + i) == -1) {
		snprintf(err, errlen, "erasure journal %s: cutting a torn line: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The line of one erasure or withdrawal, checked. Its length, or -1. */
static int
format_line(const struct journal_line *l, char *line, size_t len, char *err, size_t errlen)
{
	char	t[32];
	int	n;

	if (l->kind == JOURNAL_WITHDRAWAL) {
		if (!is_pseudonym(l->pseudonym, strlen(l->pseudonym)) ||
		    !is_consent_id(l->consent_id)) {
			snprintf(err, errlen, "erasure journal: not a pseudonym or consent id");
			return -1;
		}
		n = snprintf(line, len, "withdrawn %s %s %s %lld\n", l->consent_id, l->pseudonym,
		    store_time_fmt(l->at_us, t), (long long)l->seq);
	} else {
		if (!is_pseudonym(l->pseudonym, strlen(l->pseudonym)) || !is_code(l->ground)) {
			snprintf(err, errlen, "erasure journal: not a pseudonym or ground code");
			return -1;
		}
		n = snprintf(line, len, "%s %s %s %lld\n", l->pseudonym,
		    store_time_fmt(l->at_us, t), l->ground, (long long)l->seq);
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "erasure journal: line too long");
		return -1;
	}
	return n;
}

static int
append_locked(const char *path, const struct journal_line *l, char *err, size_t errlen)
{
	char		line[LINE_MAX_BYTES];
	struct stat	st;
	int		fd, n, fresh, rc = -1;

	if ((n = format_line(l, line, sizeof(line), err, errlen)) == -1)
		return -1;
	fresh = stat(path, &st) == -1 && errno == ENOENT;
	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "erasure journal %s: %s", path, strerror(errno));
		return -1;
	}
	if (cut_torn_tail(fd, path, err, errlen) == -1)
		goto out;
	if (durable_write_all(fd, line, (size_t)n) == -1) {
		snprintf(err, errlen, "erasure journal %s: %s", path, strerror(errno));
		goto out;
	}
	if (fsync(fd) == -1 || (fresh && durable_sync_dir(path) == -1)) {
		snprintf(err, errlen, "erasure journal %s: fsync: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int
erasure_journal_create(const char *path, char *err, size_t errlen)
{
	struct stat	st;
	int		fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
		/* EEXIST for a symbolic link too, even one to nothing: then no
		 * journal was made, and the next start would find none. */
		if (errno == EEXIST && stat(path, &st) == 0)
			return 0;
		if (errno == ENOENT) {
			snprintf(err, errlen, "erasure journal %s: a symbolic link to nothing; "
			    "make its target or name the journal itself", path);
			return -1;
		}
		snprintf(err, errlen, "erasure journal %s: cannot make it: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fsync(fd) == -1 || durable_sync_dir(path) == -1) {
		snprintf(err, errlen, "erasure journal %s: fsync: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Appends l unless ensure and the journal holds a line of its kind for the
 * same family (an erasure) or consent (a withdrawal). */
static int
append_line(const char *path, const struct journal_line *l, int ensure, int *appended,
    char *err, size_t errlen);

int
erasure_journal_append(const char *path, const char *pseudonym, int64_t at_us,
    const char *ground, int64_t seq, char *err, size_t errlen)
{
	struct journal_line	l = { .kind = JOURNAL_ERASURE, .pseudonym = pseudonym,
				    .at_us = at_us, .ground = ground, .seq = seq };
	int			appended;

	return append_line(path, &l, 0, &appended, err, errlen);
}

int
erasure_journal_append_withdrawal(const char *path, const char *consent_id,
    const char *pseudonym, int64_t at_us, int64_t seq, char *err, size_t errlen)
{
	struct journal_line	l = { .kind = JOURNAL_WITHDRAWAL, .pseudonym = pseudonym,
				    .at_us = at_us, .consent_id = consent_id, .seq = seq };
	int			appended;

	return append_line(path, &l, 0, &appended, err, errlen);
}

static int
is_wanted(const struct journal_line *l, void *arg)
{
	const struct journal_line	*want = arg;

	if (l->kind != want->kind)
		return 0;
	if (l->kind == JOURNAL_WITHDRAWAL)
		return strcmp(l->consent_id, want->consent_id) == 0 ? 1 : 0;
	return strcmp(l->pseudonym, want->pseudonym) == 0 ? 1 : 0;
}

static int
append_line(const char *path, const struct journal_line *l, int ensure, int *appended,
    char *err, size_t errlen)
{
	int	torn, rc = 0;

	*appended = 0;
	pthread_mutex_lock(&append_lock);
	if (ensure)
		rc = erasure_journal_walk(path, is_wanted, (void *)l, &torn, err, errlen);
	if (rc == 0) {
		rc = append_locked(path, l, err, errlen);
		*appended = rc == 0;
	} else if (rc == 1)
		rc = 0;		/* held already */
	pthread_mutex_unlock(&append_lock);
	return rc;
}

int
erasure_journal_ensure(const char *path, const char *pseudonym, int64_t at_us,
    const char *ground, int64_t seq, int *appended, char *err, size_t errlen)
{
	struct journal_line	l = { .kind = JOURNAL_ERASURE, .pseudonym = pseudonym,
				    .at_us = at_us, .ground = ground, .seq = seq };

	return append_line(path, &l, 1, appended, err, errlen);
}

int
erasure_journal_ensure_withdrawal(const char *path, const char *consent_id,
    const char *pseudonym, int64_t at_us, int64_t seq, int *appended, char *err,
    size_t errlen)
{
	struct journal_line	l = { .kind = JOURNAL_WITHDRAWAL, .pseudonym = pseudonym,
				    .at_us = at_us, .consent_id = consent_id, .seq = seq };

	return append_line(path, &l, 1, appended, err, errlen);
}

/* Appends id (checked by the caller, under 65 bytes with its NUL). */
static int
set_push(struct erasure_journal_set *set, const char *id)
{
	char	(*np)[65];
	size_t	  ncap;

	if (set->n == set->cap) {
		ncap = set->cap ? 2 * set->cap : 64;
		if ((np = realloc(set->p, ncap * sizeof(*np))) == NULL)
			return -1;
		set->p = np;
		set->cap = ncap;
	}
	snprintf(set->p[set->n++], sizeof(*set->p), "%s", id);
	set->sorted = 0;
	return 0;
}

int
erasure_journal_set_add(struct erasure_journal_set *set, const char *pseudonym)
{
	if (!is_pseudonym(pseudonym, strlen(pseudonym)))
		return -1;
	return set_push(set, pseudonym);
}

int
erasure_journal_set_add_consent(struct erasure_journal_set *set, const char *consent_id)
{
	if (!is_consent_id(consent_id))
		return -1;
	return set_push(set, consent_id);
}

static int
cmp_pseudonym(const void *a, const void *b)
{
	return strcmp(a, b);
}

void
erasure_journal_set_sort(struct erasure_journal_set *set)
{
	size_t	i, j;

	if (set->n > 0)
		qsort(set->p, set->n, sizeof(*set->p), cmp_pseudonym);
	for (i = j = 0; i < set->n; i++)
		if (j == 0 || strcmp(set->p[j - 1], set->p[i]) != 0)
			memmove(set->p[j++], set->p[i], 65);
	set->n = j;
	set->sorted = 1;
}

int
erasure_journal_set_holds(const struct erasure_journal_set *set, const char *pseudonym)
{
	size_t	i;

	if (set->sorted)
		return set->n > 0 && bsearch(pseudonym, set->p, set->n, sizeof(*set->p),
		    cmp_pseudonym) != NULL;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->p[i], pseudonym) == 0)
			return 1;
	return 0;
}

void
erasure_journal_set_free(struct erasure_journal_set *set)
{
	free(set->p);
	memset(set, 0, sizeof(*set));
}

/*
 * Splits a line in place: "PSEUDONYM TIME GROUND SEQ" (an erasure, as every
 * line was before withdrawals were journaled) or "withdrawn CONSENT_ID
 * PSEUDONYM TIME SEQ". 0 or -1.
 */
static int
parse_line(char *s, struct journal_line *l)
{
	char	*f[6], *save = NULL, *p, *seq;
	int	 i, n;

	for (n = 0, p = s; n < 6 && (f[n] = strtok_r(p, " ", &save)) != NULL; n++, p = NULL)
		;
	memset(l, 0, sizeof(*l));
	if (n == 4 && is_pseudonym(f[0], strlen(f[0])) && is_code(f[2])) {
		l->kind = JOURNAL_ERASURE;
		l->pseudonym = f[0];
		i = store_time_parse(f[1], &l->at_us);
		l->ground = f[2];
		seq = f[3];
	} else if (n == 5 && strcmp(f[0], "withdrawn") == 0 && is_consent_id(f[1]) &&
	    is_pseudonym(f[2], strlen(f[2]))) {
		l->kind = JOURNAL_WITHDRAWAL;
		l->consent_id = f[1];
		l->pseudonym = f[2];
		i = store_time_parse(f[3], &l->at_us);
		seq = f[4];
	} else
		return -1;
	if (i != 0 || seq[0] == '\0' || strspn(seq, "0123456789") != strlen(seq) ||
	    strlen(seq) > 18)
		return -1;
	l->seq = strtoll(seq, NULL, 10);
	return 0;
}

int
erasure_journal_walk(const char *path, int (*fn)(const struct journal_line *, void *),
    void *arg, int *torn, char *err, size_t errlen)
{
	FILE			*f;
	struct journal_line	 l;
	char			*line = NULL;
	size_t			 cap = 0;
	ssize_t			 n;
	long			 lineno = 0;
	int			 rc = 0;

	*torn = 0;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "erasure journal %s: %s", path, strerror(errno));
		return -1;
	}
	/* getline, not fgets: the length read is known, so a NUL byte in a
	 * line is damage, not the line's end (strlen would take a complete
	 * line holding one for one cut short, and skip its erasure). */
	while (rc == 0 && (n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (line[n - 1] != '\n' && n < LINE_MAX_BYTES) {
			/* Only the last line can lack its newline (getline
			 * stops at one or at the end): cut short by a crash
			 * mid-append, whatever it holds (a crash can leave a
			 * tail of NUL bytes where the data had not reached
			 * the disk). cut_torn_tail cuts the same tail. */
			*torn = 1;
			break;
		}
		if (n > LINE_MAX_BYTES + 1 || line[n - 1] != '\n') {
			snprintf(err, errlen, "erasure journal %s: line %ld is too long", path,
			    lineno);
			rc = -1;
			break;
		}
		if (memchr(line, '\0', (size_t)n) != NULL) {
			snprintf(err, errlen, "erasure journal %s: line %ld holds a NUL byte", path,
			    lineno);
			rc = -1;
			break;
		}
		line[n - 1] = '\0';
		if (parse_line(line, &l) == -1) {
			snprintf(err, errlen, "erasure journal %s: line %ld is not an erasure or a "
			    "withdrawal", path, lineno);
			rc = -1;
			break;
		}
		rc = fn(&l, arg);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "erasure journal %s: read error", path);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

struct each_arg {
	int	(*fn)(const char *, int64_t, const char *, void *);
	void	 *arg;
};

static int
each_erasure(const struct journal_line *l, void *arg)
{
	struct each_arg	*a = arg;

	return l->kind == JOURNAL_ERASURE ? a->fn(l->pseudonym, l->at_us, l->ground, a->arg) : 0;
}

int
erasure_journal_each(const char *path,
    int (*fn)(const char *pseudonym, int64_t at_us, const char *ground, void *arg),
    void *arg, int *torn, char *err, size_t errlen)
{
	struct each_arg	a = { fn, arg };

	return erasure_journal_walk(path, each_erasure, &a, torn, err, errlen);
}
