/*
 * datalock.c: the data directory's owner lock (datalock.h), an flock(2) on
 * DIR/gatewayd.lock. flock locks go with the open file description, so the
 * lock ends when the process does, however it ends: no stale lock files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datalock.h"

int
datalock_acquire(const char *dir, const char *name, char *err, size_t errlen)
{
	char		path[PATH_MAX], holder[128];
	struct stat	st;
	ssize_t		n;
	int		fd, len;

	if (snprintf(path, sizeof(path), "%s/gatewayd.lock", dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	/* Never through a link, nor anything but a plain file: whoever could
	 * plant one in the directory would have the pid written over (and the
	 * file truncated) wherever it points. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link: remove it" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file: remove it", path);
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int e = errno;

		n = pread(fd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		close(fd);
		if (e == EWOULDBLOCK)
			snprintf(err, errlen, "%s is in use by %s", dir,
			    holder[0] ? holder : "another process");
		else
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	len = snprintf(holder, sizeof(holder), "pid %ld (%s)\n", (long)getpid(), name);
	if (ftruncate(fd, 0) == -1 || pwrite(fd, holder, (size_t)len, 0) != len) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
datalock_held(const char *dir, char *holder, size_t holderlen, char *err, size_t errlen)
{
	char		path[PATH_MAX];
	struct stat	st;
	ssize_t		n;
	int		fd, e;

	if (snprintf(path, sizeof(path), "%s/gatewayd.lock", dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return 0;	/* no process ever took it */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	/* A shared lock conflicts only with the holder's exclusive one, and
	 * is let go at once: only a gatewayd starting in that very instant
	 * could notice, finding the directory busy as it would with any
	 * gatewayctl that takes the lock. */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return 0;
	}
	if ((e = errno) != EWOULDBLOCK) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		close(fd);
		return -1;
	}
	n = holderlen > 0 ? pread(fd, holder, holderlen - 1, 0) : 0;
	if (holderlen > 0) {
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
	}
	close(fd);
	return 1;
}

void
datalock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
