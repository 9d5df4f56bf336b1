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
"Usage: jetctl [-j|--json] COMMAND [ARGUMENTS]\n"
"Look at jet instances, back them up, verify and restore backups, and stop\n"
"backups. 'jetctl COMMAND --help' (or 'jetctl help COMMAND') describes one.\n"
"\n"
"Commands:\n"
"  list [--no-header] [--bytes]        every instance, one per line\n"
"  backup INSTANCE DIR|-o -|-o FILE    a full or incremental backup, into a\n"
"         [--incremental] [--truncate] directory or as a tar stream, with\n"
"         [--owner=USER]               MANIFEST and SHA256SUMS\n"
"  snapshot INSTANCE DIR [--copy]      freeze INSTANCE, reflink its files\n"
"           [--timeout=MS]             into DIR (btrfs, XFS), thaw: a full\n"
"           [--owner=USER]             backup that restore takes\n"
"  verify DIR|-i -|-i FILE             check a backup against its manifest\n"
"  restore BACKUP... DIR               check a full backup and its\n"
"  restore -i -|FILE ... DIR           incrementals, put their files into\n"
"                                      DIR, print the logs to replay\n"
"  stop INSTANCE                       stop the backup running on INSTANCE\n"
"  stop-service INSTANCE [GRBIT...]    stop INSTANCE's service\n"
"  help [COMMAND]                      this text, or COMMAND's\n"
"\n"
"-j, --json: list, backup, snapshot, verify, restore and stop print JSON\n"
"on stdout.\n"
"\n"
"Exit codes:\n"
"  0    success\n"
"  1    usage error (bad command, option or argument)\n"
"  2    error: a JET call or the system failed (the message names the code)\n"
"  3    the server stopped the backup (JET_errBackupAbortByServer -801, or\n"
"       JET_errClientRequestToStopJetService -1329); run it again later\n"
"  4    verify, restore: a file differs from the manifest or is missing,\n"
"       or the manifest is damaged\n"
"  5    verify, restore: the backup did not complete (stopped, interrupted,\n"
"       cut short, or no MANIFEST); it cannot be restored\n"
"  6    restore: the backups do not form a chain (not full first, a gap\n"
"       in the log generations, out of order, another instance)\n"
"  130  interrupted by SIGINT or SIGTERM (the backup was aborted cleanly)\n"
"\n"
"Stopping backups needs the instance's owner or CAP_SYS_ADMIN; reading one\n"
"needs the owner's uid or CAP_DAC_READ_SEARCH. See jetctl(8).\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} jetctl_commands[] = {
	{ "list", jetctl_list, jetctl_list_help },
	{ "backup", jetctl_backup, jetctl_backup_help },
	{ "snapshot", jetctl_snapshot, jetctl_snapshot_help },
	{ "verify", jetctl_verify, jetctl_verify_help },
	{ "restore", jetctl_restore, jetctl_restore_help },
	{ "stop", jetctl_stop, jetctl_stop_help },
	{ "stop-service", jetctl_stop_service, jetctl_stop_service_help },
};

static int find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(jetctl_commands); i++)
		if (!strcmp(name, jetctl_commands[i].name))
			return (int)i;
	return -1;
}

static int print_help(const char *cmd)
{
	int i;

	if (!cmd) {
		fputs(jetctl_help, stdout);
		return JETCTL_EXIT_OK;
	}
	i = find_command(cmd);
	if (i < 0)
		return jetctl_usage_error("help: unknown command '%s'", cmd);
	fputs(jetctl_commands[i].help, stdout);
	return JETCTL_EXIT_OK;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h");
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i, a = 1;

	while (a < argc && (!strcmp(argv[a], "-j") ||
			    !strcmp(argv[a], "--json"))) {
		jetctl_json = true;
		a++;
	}
	if (a >= argc)
		return jetctl_usage_error("no command given");
	cmd = argv[a];
	if (is_help(cmd))
		return print_help(NULL);
	if (!strcmp(cmd, "help"))
		return print_help(a + 1 < argc ? argv[a + 1] : NULL);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("jetctl %s\n", JETCTL_VERSION);
		return JETCTL_EXIT_OK;
	}
	i = find_command(cmd);
	if (i < 0) {
		if (cmd[0] == '-')
			return jetctl_usage_error("unknown option '%s'", cmd);
		return jetctl_usage_error("unknown command '%s'", cmd);
	}
	/* a command's own --help, wherever it is (not after "--") */
	for (int k = a + 1; k < argc && strcmp(argv[k], "--"); k++)
		if (is_help(argv[k]))
			return print_help(cmd);
	return jetctl_commands[i].run(argc - a, argv + a);
}
