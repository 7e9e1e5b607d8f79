/*
 * gatewayctl.c: the command-line tool's entry point. It owns only the
 * command table: "gatewayctl COMMAND ARGS..." runs the command's function
 * (declared in ctl.h, one file per command) and exits with its status.
 * It also answers every request for help, so that no command can forget
 * to: "gatewayctl help [COMMAND]", and --help or -h anywhere among a
 * command's arguments (before a "--"), subcommands included, print the
 * usage on stdout and exit 0; a command's usage errors stay on stderr
 * with exit 2. Before a command runs it enters the seccomp filter
 * gatewayd runs under (sandbox.h), for every command; each command then
 * confines what it writes (ctl_confine.c). "gatewayctl -v COMMAND" says how.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "nocore.h"
#include "sandbox.h"
#include "wipe.h"

static const struct command {
	const char	*name;
	int		(*run)(int, char **);
	void		(*usage)(FILE *);
	const char	*args;
	const char	*summary;
} commands[] = {
	{ "validate", ctl_validate, ctl_validate_usage, "SCHEMA INSTANCE",
	  "validate a JSON file (or - for stdin) against a JSON Schema" },
	{ "requests", ctl_requests, ctl_requests_usage,
	  "list [--status S]|show ID [--reason R]|approve ID --reason R|refuse ID --reason R|\n"
	  "      close ID --reason R|statement ID --reason R",
	  "trustees: police and court requests, with your certificate (--cert --key --url)" },
	{ "statement", ctl_statement, ctl_statement_usage, "verify FILE [--key PUB.pem] | text FILE",
	  "verify a witness statement offline (every proof and the signature), or print it" },
	{ "ledger", ctl_ledger, ctl_ledger_usage, "verify|export|generate ...",
	  "verify the signed ledger offline (--db FILE | --export FILE) --key PUB.pem;\n"
	  "      export it as JSON lines; generate synthetic entries (benchmarks)" },
	{ "deliveries", ctl_deliveries, ctl_deliveries_usage, "[--db FILE] [list [--state S] | retry ID]",
	  "list deliveries (pending and dead by default, --state for others); re-queue a dead one" },
	{ "notifications", ctl_notifications, ctl_notifications_usage, "[--db FILE] [list [--state S] | retry ID]",
	  "list family notifications (failed by default); re-queue a failed one" },
	{ "notices", ctl_notices, ctl_notices_usage, "[--db FILE] [list [--state S] | retry ID]",
	  "list pushes of notices to recipients (pending and given up by default); re-queue a\n"
	  "      given-up one" },
	{ "legal-holds", ctl_legal_holds, ctl_legal_holds_usage, "[--data DIR] list [--all]",
	  "the legal holds by family pseudonym (open ones unless --all): no reasons, no names" },
	{ "retention", ctl_retention, ctl_retention_usage, "run [--data DIR] [--as-of DATE] ...",
	  "one retention sweep while gatewayd is not running on DIR" },
	{ "backup", ctl_backup, ctl_backup_usage,
	  "[--data DIR] --out NEWDIR [--with-keys] | check [--max-age DAYS] COPY...",
	  "a verified copy of DIR (database, ledger head, public key, when it was made),\n"
	  "      gatewayd running or not; check: each copy's age, exit 1 past the limit" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: gatewayctl [-v] COMMAND [ARGS...]\n"
	    "-v: say on stderr how the command is confined\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s %s\n      %s\n", commands[i].name,
		    commands[i].args, commands[i].summary);
	fprintf(f, "  help [COMMAND]\n      this list, or the command's usage "
	    "(also COMMAND ... --help or -h)\n");
}

static const struct command *
find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* --help or -h among the arguments, before a "--" that ends the options.
 * No option of any command takes a value spelt so: a value that is (a
 * reason of "-h") is taken as the question, and nothing is done. */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const struct command *c;
	char err[512];

	/* What it writes is private: the store's files under a data directory,
	 * a witness statement or ledger export with -o (family records). */
	umask(077);
	/* What jansson frees is wiped: statements and exports carry family
	 * records (wipe.h). Before any json call. */
	wipe_json_install();
	if (nocore() == -1)
		fprintf(stderr, "gatewayctl: core dumps could not be turned off: %s\n",
		    strerror(errno));
	/* Its sessions carry family records (statements, exports): their TLS
	 * secrets are never written to a key log, as gatewayd's are not. */
	if (getenv("SSLKEYLOGFILE") != NULL) {
		fprintf(stderr, "gatewayctl: SSLKEYLOGFILE is set: ignored; TLS session "
		    "secrets are never written to a file\n");
		(void)unsetenv("SSLKEYLOGFILE");
	}
	if (argc >= 2 && strcmp(argv[1], "-v") == 0) {
		ctl_verbose = 1;
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		if (argc == 2) {
			usage(stdout);
			return 0;
		}
		if (argc == 3 && (c = find(argv[2])) != NULL) {
			c->usage(stdout);
			return 0;
		}
		fprintf(stderr, "gatewayctl: no help for \"%s\"\n", argv[2]);
		usage(stderr);
		return 2;
	}
	if ((c = find(argv[1])) == NULL) {
		fprintf(stderr, "gatewayctl: unknown command \"%s\"\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (wants_help(argc - 1, argv + 1)) {
		c->usage(stdout);
		return 0;
	}
	/* No program started, whatever the input the command reads makes it
	 * do; refused rather than run unconfined, as gatewayd is. */
	if (sandbox_enter(err, sizeof(err)) == -1) {
		fprintf(stderr, "gatewayctl: refusing to run unconfined: %s\n", err);
		return 2;
	}
	return c->run(argc - 1, argv + 1);
}
