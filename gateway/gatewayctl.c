/*
 * gatewayctl.c: the command-line tool's entry point. It owns only the
 * command table: "gatewayctl COMMAND ARGS..." runs the command's function
 * (declared in ctl.h, one file per command) and exits with its status.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"

static const struct command {
	const char	*name;
	int		(*run)(int, char **);
	const char	*args;
	const char	*summary;
} commands[] = {
	{ "validate", ctl_validate, "SCHEMA INSTANCE",
	  "validate a JSON file (or - for stdin) against a JSON Schema" },
	{ "requests", ctl_requests,
	  "list|show ID|approve ID --reason R|refuse ID --reason R|close ID --reason R|statement ID",
	  "trustees: police and court requests, with your certificate (--cert --key --url)" },
	{ "statement", ctl_statement, "verify FILE [--key PUB.pem] | text FILE",
	  "verify a witness statement offline (every proof and the signature), or print it" },
	{ "ledger", ctl_ledger, "verify|export|generate ...",
	  "verify the signed ledger offline (--db FILE | --export FILE) --key PUB.pem;\n"
	  "      export it as JSON lines; generate synthetic entries (benchmarks)" },
	{ "deliveries", ctl_deliveries, "[--db FILE] [list [--state S] | retry ID]",
	  "list pending, failed and dead deliveries; re-queue a dead one" },
	{ "notifications", ctl_notifications, "[--db FILE] [list [--state S] | retry ID]",
	  "list family notifications (failed by default); re-queue a failed one" },
	{ "retention", ctl_retention, "run [--data DIR] [--as-of DATE] ...",
	  "one retention sweep while gatewayd is not running on DIR" },
	{ "backup", ctl_backup, "[--data DIR] --out NEWDIR [--with-keys]",
	  "a verified copy of DIR (database, ledger head, public key), gatewayd running or not" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: gatewayctl COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s %s\n      %s\n", commands[i].name,
		    commands[i].args, commands[i].summary);
	fprintf(f, "  help\n      this list\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	/* What it writes is private: the store's files under a data directory,
	 * a witness statement or ledger export with -o (family records). */
	umask(077);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "gatewayctl: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
