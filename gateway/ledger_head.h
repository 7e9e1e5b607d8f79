/*
 * ledger_head.h: the newest checkpoint the gateway signed, kept outside the
 * database (DATA_DIR/ledger.head, the signed note as served). At start the
 * ledger must extend it (ledger.c): a database cut back, rewritten or
 * restored from an older copy cannot be signed over again without the cut
 * showing, even when its own checkpoints were cut back with it. The file
 * only ever moves forward, written after the checkpoint it holds is
 * durable in the store.
 */
#ifndef LEDGER_HEAD_H
#define LEDGER_HEAD_H

#include <stddef.h>

#define LEDGER_HEAD_FILE	"ledger.head"
#define LEDGER_HEAD_MAX		65536	/* a signed checkpoint is ~200 bytes */

/* Replaces path with note[0:len], durably and privately
 * (durable_replace_file): a crash leaves the old file or the new one,
 * never a mix. 0, or -1 with errno. */
int	 ledger_head_write(const char *path, const char *note, size_t len);
/* Reads path (at most LEDGER_HEAD_MAX bytes): malloc'd and NUL-terminated,
 * *len its length. NULL with errno ENOENT when there is none, EFBIG when
 * too long, another errno on a read error. */
char	*ledger_head_read(const char *path, size_t *len);

#endif
