/*
 * durable.c: writing all of a buffer, making a new name in a directory
 * durable, and replacing a whole file privately (durable.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"

int
durable_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;

	while (len > 0) {
		ssize_t	n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory holding path ("." when it names none), into dir; its last
 * name after the slash into *base when base is not NULL. 0, or -1 with
 * errno ENAMETOOLONG. */
static int
dir_of(const char *path, char dir[PATH_MAX], const char **base)
{
	char	*slash;

	if (snprintf(dir, PATH_MAX, "%s", path) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, PATH_MAX, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (base != NULL) {
		*base = strrchr(path, '/');
		*base = *base != NULL ? *base + 1 : path;
	}
	return 0;
}

int
durable_sync_dir(const char *path)
{
	char	 dir[PATH_MAX];
	int	 fd, rc;

	if (dir_of(path, dir, NULL) != 0)
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
durable_replace_open(struct durable_replace *r, const char *path)
{
	int	fd, saved;

	memset(r, 0, sizeof(*r));
	r->path = path;
	if (snprintf(r->tmp, sizeof(r->tmp), "%s.XXXXXX", path) >= (int)sizeof(r->tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(r->tmp)) == -1)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 || (r->f = fdopen(fd, "wb")) == NULL) {
		saved = errno;
		close(fd);
		unlink(r->tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

int
durable_replace_end(struct durable_replace *r, int ok)
{
	int	saved = 0;

	if (r->f == NULL) {
		errno = EBADF;
		return -1;
	}
	if (ok && (fflush(r->f) != 0 || fsync(fileno(r->f)) != 0)) {
		saved = errno;
		ok = 0;
	}
	if (fclose(r->f) != 0 && ok) {
		saved = errno;
		ok = 0;
	}
	r->f = NULL;
	if (ok && rename(r->tmp, r->path) != 0) {
		saved = errno;
		ok = 0;
	}
	if (!ok) {
		(void)unlink(r->tmp);
		errno = saved != 0 ? saved : ECANCELED;
		return -1;
	}
	return durable_sync_dir(r->path);
}

int
durable_replace_file(const char *path, const void *p, size_t len)
{
	struct durable_replace	r;
	int			saved;

	if (durable_replace_open(&r, path) != 0)
		return -1;
	if (len == 0 || fwrite(p, 1, len, r.f) == len)
		return durable_replace_end(&r, 1);
	saved = errno;		/* why the write failed, not that it was discarded */
	(void)durable_replace_end(&r, 0);
	errno = saved != 0 ? saved : EIO;
	return -1;
}

int
durable_replace_sweep(const char *path)
{
	char		 dir[PATH_MAX], victim[PATH_MAX];
	const char	*base;
	size_t		 blen;
	struct dirent	*e;
	DIR		*d;
	int		 n = 0;

	if (dir_of(path, dir, &base) != 0)
		return -1;
	blen = strlen(base);
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, base, blen) != 0 || e->d_name[blen] != '.' ||
		    strlen(e->d_name + blen + 1) != 6)
			continue;
		if ((size_t)snprintf(victim, sizeof(victim), "%s/%s", dir, e->d_name) <
		    sizeof(victim) && unlink(victim) == 0)
			n++;
	}
	closedir(d);
	return n;
}
