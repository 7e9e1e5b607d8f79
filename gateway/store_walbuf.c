/*
 * store_walbuf.c: an SQLite VFS that gathers each commit's writes to the
 * write-ahead log into one write.
 *
 * SQLite appends a commit to the WAL one frame at a time, each frame in two
 * writes (a 24-byte header, then the page): a group commit of 60 pages was
 * 120 pwrite() calls, the largest single cost of the writer thread (14 % of
 * the gateway's CPU in the s1 benchmark, system calls being dear here).
 * This VFS wraps the default one ("unix"); for a WAL file it keeps
 * consecutive writes in a buffer and hands them down as one write as soon
 * as a commit's last frame is in it (the frame whose header gives the
 * database size after the commit), or anything else happens to the file:
 * a sync, a read, a lock, a size query, or close. SQLite publishes a
 * commit to readers through the wal-index only after its frames are
 * written, and that index lives in the database file's shared memory,
 * which this shim never sees: so it must not hold a commit's frames past
 * the commit frame's own write, whatever the connection's synchronous
 * setting (under FULL the sync that follows would flush them anyway; under
 * NORMAL nothing else would, and readers would be shown frames not in the
 * file). So nothing reaches the disk later than without it, no reader can
 * see a frame still in the buffer, and a crash loses only frames SQLite
 * had not yet synced, which it never counted as committed. Every other
 * file (the database, journals) is opened by the wrapped VFS as it is,
 * untouched.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"

/*
 * Larger writes go straight down. Below 128 KiB: the unix VFS writes at
 * most 17 bits' worth in one call (seekAndWrite masks the count with
 * 0x1ffff) and reports a longer write as SQLITE_FULL, "database or disk is
 * full". SQLite never asks it for more; this buffer must not either.
 */
#define WALBUF_CAP	(120 * 1024)

struct walbuf_file {
	sqlite3_file	 base;
	sqlite3_file	*real;		/* the wrapped VFS's file, right after this */
	unsigned char	*buf;		/* WALBUF_CAP bytes, made on the first write */
	sqlite3_int64	 off;		/* file offset of buf[0] */
	int		 len;		/* bytes held */
	int		 commit_next;	/* the next write is a commit frame's page */
};

#define WAL_HDR_SIZE	32	/* the log's own header, at offset 0 */
#define FRAME_HDR_SIZE	24	/* each frame's header, then its page */

/* A frame header whose bytes 4-7 (big-endian: the database size in pages
 * after the commit) are not zero: the header of a commit's last frame. */
static int
commit_header(const void *in, int amt, sqlite3_int64 off)
{
	const unsigned char	*h = in;

	return amt == FRAME_HDR_SIZE && off >= WAL_HDR_SIZE &&
	    (h[4] | h[5] | h[6] | h[7]) != 0;
}

static sqlite3_vfs	*walbuf_under;

static int
wb_flush(struct walbuf_file *f)
{
	int	rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, f->len, f->off);
	f->len = 0;
	return rc;
}

#define WB(p)		((struct walbuf_file *)(p))
#define REAL(p)		(WB(p)->real)
#define FLUSH_OR_FAIL(p) do {					\
	int frc_ = wb_flush(WB(p));				\
	if (frc_ != SQLITE_OK)					\
		return frc_;					\
} while (0)

static int
wb_close(sqlite3_file *p)
{
	int	rc = wb_flush(WB(p)), crc;

	crc = REAL(p)->pMethods->xClose(REAL(p));
	free(WB(p)->buf);
	WB(p)->buf = NULL;
	return rc != SQLITE_OK ? rc : crc;
}

static int
wb_read(sqlite3_file *p, void *out, int amt, sqlite3_int64 off)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xRead(REAL(p), out, amt, off);
}

static int
buffer(struct walbuf_file *f, const void *in, int amt, sqlite3_int64 off)
{
	if (f->len > 0 && off == f->off + f->len && f->len + amt <= WALBUF_CAP) {
		memcpy(f->buf + f->len, in, (size_t)amt);
		f->len += amt;
		return SQLITE_OK;
	}
	FLUSH_OR_FAIL(f);
	if (amt >= WALBUF_CAP)
		return f->real->pMethods->xWrite(f->real, in, amt, off);
	if (f->buf == NULL && (f->buf = malloc(WALBUF_CAP)) == NULL)
		return f->real->pMethods->xWrite(f->real, in, amt, off);
	memcpy(f->buf, in, (size_t)amt);
	f->off = off;
	f->len = amt;
	return SQLITE_OK;
}

static int
wb_write(sqlite3_file *p, const void *in, int amt, sqlite3_int64 off)
{
	struct walbuf_file	*f = WB(p);
	int			 rc, commit = f->commit_next;

	f->commit_next = commit_header(in, amt, off);
	if ((rc = buffer(f, in, amt, off)) != SQLITE_OK || !commit)
		return rc;
	return wb_flush(f);	/* the commit's last frame: in the file before it is published */
}

static int
wb_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xTruncate(REAL(p), size);
}

static int
wb_sync(sqlite3_file *p, int flags)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xSync(REAL(p), flags);
}

static int
wb_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xFileSize(REAL(p), size);
}

static int
wb_lock(sqlite3_file *p, int level)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xLock(REAL(p), level);
}

static int
wb_unlock(sqlite3_file *p, int level)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xUnlock(REAL(p), level);
}

static int
wb_check_reserved(sqlite3_file *p, int *out)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xCheckReservedLock(REAL(p), out);
}

static int
wb_file_control(sqlite3_file *p, int op, void *arg)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xFileControl(REAL(p), op, arg);
}

static int
wb_sector_size(sqlite3_file *p)
{
	return REAL(p)->pMethods->xSectorSize(REAL(p));
}

static int
wb_device_characteristics(sqlite3_file *p)
{
	return REAL(p)->pMethods->xDeviceCharacteristics(REAL(p));
}

static int
wb_shm_map(sqlite3_file *p, int page, int size, int extend, void volatile **out)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xShmMap(REAL(p), page, size, extend, out);
}

static int
wb_shm_lock(sqlite3_file *p, int offset, int n, int flags)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xShmLock(REAL(p), offset, n, flags);
}

/* SQLite calls the shared-memory methods on the database file, never on the
 * log: these only complete the methods table. */
static void
wb_shm_barrier(sqlite3_file *p)
{
	(void)wb_flush(WB(p));
	REAL(p)->pMethods->xShmBarrier(REAL(p));
}

static int
wb_shm_unmap(sqlite3_file *p, int del)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xShmUnmap(REAL(p), del);
}

static int
wb_fetch(sqlite3_file *p, sqlite3_int64 off, int amt, void **out)
{
	FLUSH_OR_FAIL(p);
	return REAL(p)->pMethods->xFetch(REAL(p), off, amt, out);
}

static int
wb_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
	return REAL(p)->pMethods->xUnfetch(REAL(p), off, ptr);
}

static const sqlite3_io_methods walbuf_methods = {
	3,
	wb_close, wb_read, wb_write, wb_truncate, wb_sync, wb_file_size,
	wb_lock, wb_unlock, wb_check_reserved, wb_file_control, wb_sector_size,
	wb_device_characteristics, wb_shm_map, wb_shm_lock, wb_shm_barrier,
	wb_shm_unmap, wb_fetch, wb_unfetch,
};

static int
walbuf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p, int flags, int *out_flags)
{
	struct walbuf_file	*f = WB(p);
	int			 rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))	/* everything else: the wrapped VFS's own */
		return walbuf_under->xOpen(walbuf_under, name, p, flags, out_flags);
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = walbuf_under->xOpen(walbuf_under, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || f->real->pMethods == NULL) {
		p->pMethods = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	/* The methods copied need the wrapped file's version 3 (shm): unix has it. */
	if (f->real->pMethods->iVersion < 3) {
		f->real->pMethods->xClose(f->real);
		p->pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	p->pMethods = &walbuf_methods;
	return SQLITE_OK;
}

/* The rest of the VFS is the wrapped one's. */
static int
walbuf_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	(void)v;
	return walbuf_under->xDelete(walbuf_under, name, sync_dir);
}

static int
walbuf_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return walbuf_under->xAccess(walbuf_under, name, flags, out);
}

static int
walbuf_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return walbuf_under->xFullPathname(walbuf_under, name, n, out);
}

static void *
walbuf_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return walbuf_under->xDlOpen(walbuf_under, name);
}

static void
walbuf_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	walbuf_under->xDlError(walbuf_under, n, out);
}

static void (*walbuf_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return walbuf_under->xDlSym(walbuf_under, h, sym);
}

static void
walbuf_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	walbuf_under->xDlClose(walbuf_under, h);
}

static int
walbuf_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return walbuf_under->xRandomness(walbuf_under, n, out);
}

static int
walbuf_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return walbuf_under->xSleep(walbuf_under, us);
}

static int
walbuf_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return walbuf_under->xCurrentTime(walbuf_under, out);
}

static int
walbuf_get_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return walbuf_under->xGetLastError(walbuf_under, n, out);
}

static int
walbuf_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return walbuf_under->xCurrentTimeInt64(walbuf_under, out);
}

static sqlite3_vfs	walbuf_vfs = {
	.iVersion = 2,
	.zName = STORE_VFS,
	.xOpen = walbuf_open,
	.xDelete = walbuf_delete,
	.xAccess = walbuf_access,
	.xFullPathname = walbuf_full_pathname,
	.xDlOpen = walbuf_dlopen,
	.xDlError = walbuf_dlerror,
	.xDlSym = walbuf_dlsym,
	.xDlClose = walbuf_dlclose,
	.xRandomness = walbuf_randomness,
	.xSleep = walbuf_sleep,
	.xCurrentTime = walbuf_current_time,
	.xGetLastError = walbuf_get_last_error,
	.xCurrentTimeInt64 = walbuf_current_time_int64,
};

static pthread_once_t	walbuf_once = PTHREAD_ONCE_INIT;
static int		walbuf_ok;

static void
walbuf_init(void)
{
	if ((walbuf_under = sqlite3_vfs_find(NULL)) == NULL || walbuf_under->iVersion < 2)
		return;
	walbuf_vfs.szOsFile = (int)sizeof(struct walbuf_file) + walbuf_under->szOsFile;
	walbuf_vfs.mxPathname = walbuf_under->mxPathname;
	walbuf_ok = sqlite3_vfs_register(&walbuf_vfs, 0) == SQLITE_OK;
}

const char *
store_vfs(void)
{
	(void)pthread_once(&walbuf_once, walbuf_init);
	return walbuf_ok ? STORE_VFS : NULL;
}
