/*
 * readfile.c: one way to read a configuration file whole (readfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "readfile.h"

int
readfile(const char *path, const char *what, size_t max, char **data, size_t *len,
    char *err, size_t errlen)
{
	struct stat	 st;
	ssize_t		 r;
	size_t		 off = 0;
	const char	*why = NULL;
	char		*buf = NULL, big[64];
	int		 fd;

	*data = NULL;
	if (len != NULL)
		*len = 0;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer; anything not a regular file is refused below, unread. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s%s%s: cannot read: %s", what != NULL ? what : "",
		    what != NULL ? " " : "", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_size == 0)
		why = "empty";
	else if ((unsigned long long)st.st_size > max) {
		snprintf(big, sizeof(big), "larger than %zu bytes", max);
		why = big;
	}
	else if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		why = "out of memory";
	while (why == NULL && off < (size_t)st.st_size) {
		if ((r = read(fd, buf + off, (size_t)st.st_size - off)) == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			why = r == 0 ? "shorter than its size" : strerror(errno);
		else
			off += (size_t)r;
	}
	close(fd);
	if (why != NULL) {
		snprintf(err, errlen, "%s%s%s: cannot read: %s", what != NULL ? what : "",
		    what != NULL ? " " : "", path, why);
		free(buf);
		return -1;
	}
	buf[off] = '\0';
	*data = buf;
	if (len != NULL)
		*len = off;
	return 0;
}

const char *
readfile_dev_hint(const char *path)
{
	return strncmp(path, "certs/dev/", 10) == 0 ? " (run make certs)" : "";
}
