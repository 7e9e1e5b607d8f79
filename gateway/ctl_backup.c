/*
 * ctl_backup.c: "gatewayctl backup", a copy of a data directory that a
 * gateway can be started on, taken while gatewayd runs.
 *
 *   backup [--data DIR] --out NEWDIR [--with-keys]
 *
 * NEWDIR is made (0700; it must not exist, or be empty) and gets:
 *   gateway.db   the store as of one commit (store_backup.c), checked;
 *   ledger.head  the newest checkpoint the gateway had signed when the
 *                copy began (read before it, so the copy holds it and the
 *                restored gateway starts: ledger_head.h);
 *   ledger.pub   the public key, to verify the copy with;
 *   with --with-keys, master.key and ledger.key too (without them the
 *   copy's sealed data cannot be read, nor its ledger extended: keep them
 *   apart from the copy, as the README says, or pass --with-keys and keep
 *   the whole copy as safe as the data directory itself);
 *   backup.json, written last, once the copy verifies: when the copy began
 *   and whether the keys are in it (backup_meta.h), so that its age can be
 *   checked ("gatewayctl backup check", ctl_backup_check.c) and is told
 *   when a gateway starts on it (restored_copy.h). A copy keeps families
 *   erased or expired since readable for as long as it is kept.
 * Never the erasure journal (erasure_journal.h): restoring needs the
 * newest one, which a copy of it made now would not be; the output says so.
 * The copy's ledger is then verified with the public key and against that
 * checkpoint (as "gatewayctl ledger verify" does). Exit 0 done and
 * verified; 1 the copy does not verify (it is left for inspection); 2
 * usage or I/O error. Takes no lock: it only reads DIR.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "backup_meta.h"
#include "ctl.h"
#include "ledger_head.h"
#include "store.h"

void
ctl_backup_usage(FILE *f)
{
	fprintf(f, "usage: gatewayctl backup [--data DIR] --out NEWDIR [--with-keys]\n"
	    "       gatewayctl backup check [--max-age DAYS] COPY...\n"
	    "default DIR: var; check: each copy's age from its backup.json, exit 1 when one\n"
	    "is older than DAYS (default %d) or its age is unknown\n", BACKUP_MAX_AGE_DAYS);
}

/* NEWDIR/backup.json: when the copy began, what it holds; 0, or -1 said. */
static int
write_meta(const char *out, int64_t made_us, int keys, int have_head)
{
	struct backup_meta	 m = { .made_us = made_us, .keys_included = keys,
				    .ledger_head_included = have_head == 0 };
	char			 path[4096], *text;
	int			 rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", out, BACKUP_META_FILE) >=
	    sizeof(path)) {
		fprintf(stderr, "gatewayctl: %s/%s: path too long\n", out, BACKUP_META_FILE);
		return -1;
	}
	if ((text = backup_meta_format(&m)) == NULL) {
		fprintf(stderr, "gatewayctl: %s: cannot be made\n", path);
		return -1;
	}
	if ((rc = durable_replace_file(path, text, strlen(text))) == -1)
		fprintf(stderr, "gatewayctl: %s: cannot write: %s\n", path, strerror(errno));
	free(text);
	return rc;
}

/* dir/name into buf; -1 (with a message) when it does not fit. */
static int
path_in(char *buf, size_t len, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len) {
		fprintf(stderr, "gatewayctl: %s/%s: path too long\n", dir, name);
		return -1;
	}
	return 0;
}

/* NEWDIR made 0700, or an existing empty directory. */
static int
make_out(const char *out)
{
	struct stat	st;

	if (mkdir(out, 0700) == 0)
		return 0;
	if (errno != EEXIST || stat(out, &st) == -1 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "gatewayctl: %s: cannot make the directory: %s\n", out,
		    strerror(errno == 0 ? EEXIST : errno));
		return -1;
	}
	if (rmdir(out) == 0 && mkdir(out, 0700) == 0)	/* empty: made again, 0700 */
		return 0;
	fprintf(stderr, "gatewayctl: %s exists and is not empty; give a new directory\n", out);
	return -1;
}

/* A small private file (a key, the head) copied durably, 0600; a missing
 * one is an error only when required. 0, 1 missing, -1. */
static int
copy_small(const char *from_dir, const char *to_dir, const char *name, int required)
{
	char	 from[4096], to[4096], *buf;
	size_t	 len = 0;
	int	 rc;

	if (path_in(from, sizeof(from), from_dir, name) == -1 ||
	    path_in(to, sizeof(to), to_dir, name) == -1)
		return -1;
	if ((buf = ledger_head_read(from, &len)) == NULL) {
		if (errno == ENOENT && !required)
			return 1;
		fprintf(stderr, "gatewayctl: %s: cannot read: %s\n", from, strerror(errno));
		return -1;
	}
	rc = ledger_head_write(to, buf, len);
	if (rc == -1)
		fprintf(stderr, "gatewayctl: %s: cannot write: %s\n", to, strerror(errno));
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

int
ctl_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "with-keys", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*data = "var", *out = NULL;
	char		 src[4096], dst[4096], pub[4096], head[4096], err[512];
	char		*vargv[8];
	int64_t		 made_us;
	int		 ch, keys = 0, have_head, vargc = 0, rc;

	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return ctl_backup_check(argc - 1, argv + 1);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'o': out = optarg; break;
		case 'k': keys = 1; break;
		default: ctl_backup_usage(stderr); return 2;
		}
	}
	if (optind != argc || out == NULL) {
		if (optind != argc)
			fprintf(stderr, "gatewayctl: backup: unexpected argument \"%s\"\n",
			    argv[optind]);
		else
			fprintf(stderr, "gatewayctl: backup: --out NEWDIR is required (the "
			    "directory the copy is made in)\n");
		ctl_backup_usage(stderr);
		return 2;
	}
	umask(077);
	if (path_in(src, sizeof(src), data, "gateway.db") == -1 ||
	    path_in(dst, sizeof(dst), out, "gateway.db") == -1 ||
	    path_in(pub, sizeof(pub), out, "ledger.pub") == -1 ||
	    path_in(head, sizeof(head), out, LEDGER_HEAD_FILE) == -1)
		return 2;
	if (access(src, R_OK) == -1) {
		fprintf(stderr, "gatewayctl: %s: %s\n", src, strerror(errno));
		return 2;
	}
	if (make_out(out) == -1)
		return 2;
	/* From here: the copy's directory, just made, and DIR, which SQLite
	 * writes its shared-memory index and log in (read-write, as the
	 * daemon's reader); nowhere else. */
	if (ctl_confine(data, out) == -1)
		return 2;
	/* The head first: it names a checkpoint already durable in the
	 * store, so the copy made after it holds that checkpoint. */
	if ((have_head = copy_small(data, out, LEDGER_HEAD_FILE, 0)) == -1 ||
	    copy_small(data, out, "ledger.pub", 1) != 0)
		return 2;
	/* Before the copy: it holds nothing committed later, so the age
	 * backup.json gives is never less than the copy's. */
	made_us = store_now_us();
	if (store_backup_into(src, dst, err, sizeof(err)) == -1) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		return 2;
	}
	if (keys && (copy_small(data, out, "master.key", 1) != 0 ||
	    copy_small(data, out, "ledger.key", 1) != 0))
		return 2;

	vargv[vargc++] = "ledger";
	vargv[vargc++] = "verify";
	vargv[vargc++] = "--db";
	vargv[vargc++] = dst;
	vargv[vargc++] = "--key";
	vargv[vargc++] = pub;
	if (have_head == 0) {
		vargv[vargc++] = "--checkpoint";
		vargv[vargc++] = head;
	}
	if ((rc = ctl_ledger(vargc, vargv)) != 0) {
		fprintf(stderr, "gatewayctl: the copy in %s does not verify; left there for "
		    "inspection\n", out);
		return rc == 1 ? 1 : 2;
	}
	if (write_meta(out, made_us, keys, have_head) == -1)
		return 2;
	printf("backup in %s: gateway.db, %sledger.pub%s, backup.json; verified\n", out,
	    have_head == 0 ? "ledger.head, " : "",
	    keys ? ", master.key, ledger.key" : "");
	printf("it keeps families erased or expired after it readable while it is kept: "
	    "remove it within %d days (gatewayctl backup check %s says its age)\n",
	    BACKUP_MAX_AGE_DAYS, out);
	if (!keys)
		printf("keys not copied: restoring needs DIR's master.key and ledger.key, "
		    "kept apart (or use --with-keys)\n");
	/* Never copied: a copy of the journal is as old as the copy, and
	 * lacks every erasure and withdrawal made after it; restored with it
	 * (or with none), the copy would serve them again. */
	printf("erasure journal not copied: start the restored copy with --erasure-journal "
	    "naming the newest journal (the live one, kept on another disk), never an older "
	    "copy of it\n");
	return 0;
}
