/*
 * erasure_journal.c: the journal of erasures on request (erasure_journal.h).
 * File I/O only; what is made again from it is retention.c's.
 */
#include <errno.h>
#include <fcntl.h>
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

int
erasure_journal_append(const char *path, const char *pseudonym, int64_t at_us,
    const char *ground, int64_t seq, char *err, size_t errlen)
{
	char		line[LINE_MAX_BYTES], t[32];
	struct stat	st;
	int		fd, n, fresh, rc = -1;

	if (!is_pseudonym(pseudonym, strlen(pseudonym)) || !is_code(ground)) {
		snprintf(err, errlen, "erasure journal: not a pseudonym or ground code");
		return -1;
	}
	n = snprintf(line, sizeof(line), "%s %s %s %lld\n", pseudonym, store_time_fmt(at_us, t),
	    ground, (long long)seq);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		snprintf(err, errlen, "erasure journal: line too long");
		return -1;
	}
	fresh = stat(path, &st) == -1 && errno == ENOENT;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "erasure journal %s: %s", path, strerror(errno));
		return -1;
	}
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

/* Splits "PSEUDONYM TIME GROUND SEQ" in place. 0 or -1. */
static int
parse_line(char *s, char **pseudonym, int64_t *at_us, char **ground)
{
	char	*f[4], *save = NULL, *p;
	int	 i;

	for (i = 0, p = s; i < 4; i++, p = NULL)
		if ((f[i] = strtok_r(p, " ", &save)) == NULL)
			return -1;
	if (strtok_r(NULL, " ", &save) != NULL)
		return -1;
	if (!is_pseudonym(f[0], strlen(f[0])) || store_time_parse(f[1], at_us) != 0 ||
	    !is_code(f[2]) || strspn(f[3], "0123456789") != strlen(f[3]) || f[3][0] == '\0')
		return -1;
	*pseudonym = f[0];
	*ground = f[2];
	return 0;
}

int
erasure_journal_each(const char *path,
    int (*fn)(const char *pseudonym, int64_t at_us, const char *ground, void *arg),
    void *arg, int *torn, char *err, size_t errlen)
{
	FILE	*f;
	char	 line[LINE_MAX_BYTES + 2], *pseudonym, *ground;
	int64_t	 at_us;
	long	 lineno = 0;
	size_t	 len;
	int	 rc = 0;

	*torn = 0;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "erasure journal %s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n') {
			/* The last line, cut short by a crash mid-append (a
			 * line too long anywhere else is damage). */
			if (fgetc(f) == EOF && !ferror(f)) {
				*torn = 1;
				break;
			}
			snprintf(err, errlen, "erasure journal %s: line %ld is too long", path,
			    lineno);
			rc = -1;
			break;
		}
		line[len - 1] = '\0';
		if (parse_line(line, &pseudonym, &at_us, &ground) == -1) {
			snprintf(err, errlen, "erasure journal %s: line %ld is not an erasure", path,
			    lineno);
			rc = -1;
			break;
		}
		rc = fn(pseudonym, at_us, ground, arg);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "erasure journal %s: read error", path);
		rc = -1;
	}
	fclose(f);
	return rc;
}
