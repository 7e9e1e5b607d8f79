/*
 * readfile.h: reads a configuration file (a profile, a pin file, a CA, a
 * revocation list) whole. Only a regular file is read, and only up to a
 * limit: a FIFO, a device or a directory dropped where a file is expected
 * is refused at once rather than blocking the main thread (which also acts
 * on SIGTERM and SIGHUP) or reading without end. Symbolic links are
 * followed (a deployment may link its profiles in); what they lead to is
 * checked.
 */
#ifndef READFILE_H
#define READFILE_H

#include <stddef.h>

/* Reads the regular file at path, of 1 to max bytes, into *data (malloc'd,
 * NUL-terminated, free() it) and its length into *len (may be NULL). 0, or
 * -1 with "WHAT PATH: cannot read: why" (or "PATH: ...", what NULL) in err and
 * *data NULL. */
int	readfile(const char *path, const char *what, size_t max, char **data, size_t *len,
	    char *err, size_t errlen);
/* " (run make certs)" for a file of the development PKI (a path under
 * certs/dev/, which make certs makes), "" for any other: a deployment's own
 * files are put in place by hand, and make certs would not make them. */
const char	*readfile_dev_hint(const char *path);

#endif
