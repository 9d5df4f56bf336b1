// SPDX-License-Identifier: MIT
/*
 * jetctl.c - the jet administration tool: command dispatch, help, exit codes.
 */
#include <stdio.h>
#include <string.h>

#include "jetctl.h"

#ifndef JETCTL_VERSION
#define JETCTL_VERSION "1.0"
#endif

static const char jetctl_help[] =
"Usage: jetctl COMMAND [ARGUMENTS]\n"
"Look at jet instances, back them up, verify backups, and stop backups.\n"
"\n"
"Commands:\n"
"  list [--no-header] [--bytes]\n"
"      Show every instance: id, name, owner pid and uid, state, backup\n"
"      phase, bytes read by its backup, attached databases.\n"
"  backup INSTANCE DIR [--incremental] [--truncate] [--quiet]\n"
"         [--copy=sendfile|read] [--owner=USER]\n"
"      Stream a backup of INSTANCE (a name or a numeric id) into DIR (new\n"
"      or empty), with a SHA-256 of every file in DIR/MANIFEST.\n"
"      --incremental  only the logs since the last backup\n"
"      --truncate     then let the server delete the logs it no longer needs\n"
"      --quiet        no progress output\n"
"      --copy=read    copy through a buffer instead of sendfile(2)\n"
"      --owner=USER   only if USER (a name or uid) owns INSTANCE; when run\n"
"                     privileged, jetctl takes only root's without it\n"
"  verify DIR [--quiet]\n"
"      Re-hash every file that DIR/MANIFEST lists and report differences.\n"
"  stop INSTANCE\n"
"      Stop the backup running on INSTANCE (its reads fail at once).\n"
"  stop-service INSTANCE [GRBIT...]\n"
"      Stop INSTANCE's service. GRBIT: all (the default: every backup fails\n"
"      until the instance ends), background-tasks, quiesce-caches, or\n"
"      resume (alone: undo background-tasks and quiesce-caches).\n"
"  help\n"
"      This text. 'jetctl COMMAND --help' works too.\n"
"\n"
"Exit codes:\n"
"  0    success\n"
"  1    usage error (bad command, option or argument)\n"
"  2    error: a JET call or the system failed (the message names the code)\n"
"  3    the server stopped the backup (JET_errBackupAbortByServer -801, or\n"
"       JET_errClientRequestToStopJetService -1329); run it again later\n"
"  4    verify: a file differs or is missing, or the manifest is missing,\n"
"       damaged, or marked incomplete\n"
"  130  interrupted by SIGINT or SIGTERM (the backup was aborted cleanly)\n"
"\n"
"Stopping backups needs the instance's owner or CAP_SYS_ADMIN; reading one\n"
"needs the owner's uid or CAP_DAC_READ_SEARCH. See jetctl(8).\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} jetctl_commands[] = {
	{ "list", jetctl_list },
	{ "backup", jetctl_backup },
	{ "verify", jetctl_verify },
	{ "stop", jetctl_stop },
	{ "stop-service", jetctl_stop_service },
};

static int jetctl_print_help(FILE *f, int code)
{
	fputs(jetctl_help, f);
	return code;
}

int main(int argc, char **argv)
{
	const char *cmd;
	size_t i;

	if (argc < 2)
		return jetctl_usage_error("no command given");
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help"))
		return jetctl_print_help(stdout, JETCTL_EXIT_OK);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("jetctl %s\n", JETCTL_VERSION);
		return JETCTL_EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(jetctl_commands); i++) {
		if (strcmp(cmd, jetctl_commands[i].name))
			continue;
		/* a command's own --help: the one text covers them all */
		for (int a = 2; a < argc && strcmp(argv[a], "--"); a++)
			if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h"))
				return jetctl_print_help(stdout,
							 JETCTL_EXIT_OK);
		return jetctl_commands[i].run(argc - 1, argv + 1);
	}
	if (cmd[0] == '-')
		return jetctl_usage_error("unknown option '%s'", cmd);
	return jetctl_usage_error("unknown command '%s'", cmd);
}
