/*
 * ledger_head.c: the newest signed checkpoint, kept outside the database
 * (ledger_head.h). File I/O only; what it must match is checked in ledger.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "ledger_head.h"

int
ledger_head_write(const char *path, const char *note, size_t len)
{
	return durable_replace_file(path, note, len);
}

char *
ledger_head_read(const char *path, size_t *len)
{
	char	*buf;
	size_t	 n = 0;
	ssize_t	 r;
	int	 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return NULL;
	if ((buf = malloc(LEDGER_HEAD_MAX + 1)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	for (;;) {
		r = read(fd, buf + n, LEDGER_HEAD_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n > LEDGER_HEAD_MAX)
			break;
	}
	saved = errno;
	close(fd);
	if (r < 0 || n > LEDGER_HEAD_MAX) {
		free(buf);
		errno = r < 0 ? saved : EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}
