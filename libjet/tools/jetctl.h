/* SPDX-License-Identifier: MIT */
/*
 * jetctl.h - what the files of jetctl share: exit codes, the commands, and
 * the helpers for messages and instance names.
 */
#ifndef JETCTL_H
#define JETCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jet.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit codes: documented in --help and jetctl(8); scripts rely on them. */
enum {
	JETCTL_EXIT_OK = 0,
	JETCTL_EXIT_USAGE = 1,		/* bad command line or arguments */
	JETCTL_EXIT_ERROR = 2,		/* a JET call or the system failed */
	JETCTL_EXIT_STOPPED = 3,	/* the server stopped the backup */
	JETCTL_EXIT_MISMATCH = 4,	/* a file or the manifest is damaged */
	JETCTL_EXIT_INCOMPLETE = 5,	/* the backup did not complete */
	JETCTL_EXIT_CHAIN = 6,		/* restore: no chain of backups */
	JETCTL_EXIT_INTERRUPTED = 130,	/* SIGINT or SIGTERM */
};

/* The commands; argv[0] is the command's name. Each returns an exit code. */
int jetctl_list(int argc, char **argv);
int jetctl_backup(int argc, char **argv);
int jetctl_verify(int argc, char **argv);
int jetctl_restore(int argc, char **argv);
int jetctl_stop(int argc, char **argv);
int jetctl_stop_service(int argc, char **argv);
int jetctl_snapshot(int argc, char **argv);
/* and their --help */
extern const char jetctl_list_help[], jetctl_backup_help[],
	jetctl_verify_help[], jetctl_restore_help[], jetctl_stop_help[],
	jetctl_stop_service_help[], jetctl_snapshot_help[];

/* -j/--json before the command (each command also takes it) */
extern bool jetctl_json;

/* errors.c */
/*
 * "jetctl: WHAT: JET_errXxx (-N): what to do" on stderr. Returns the exit
 * code for err: JETCTL_EXIT_STOPPED for a server's stop, else
 * JETCTL_EXIT_ERROR.
 */
int jetctl_jet_error(const char *what, JET_ERR err);
/* "jetctl: WHAT: strerror(errno)"; returns JETCTL_EXIT_ERROR */
int jetctl_sys_error(const char *what, ...)
	__attribute__((format(printf, 1, 2)));
/* "jetctl: message" plus a hint to --help; returns JETCTL_EXIT_USAGE */
int jetctl_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* "jetctl: CMD: unknown option 'ARG'" and a hint to CMD's --help;
 * returns JETCTL_EXIT_USAGE
 */
int jetctl_bad_option(const char *cmd, const char *arg);
/* "jetctl: message" on stderr */
void jetctl_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* true for the codes that mean "the server stopped it" (exit code 3) */
bool jetctl_is_server_stop(JET_ERR err);

/* resolve.c */
/*
 * INSTANCE as the user wrote it: a name, or a numeric id when no instance has
 * that name. On success *pinst is the handle and *pname a malloc'd display
 * form ("demo (id 3)"). Returns an exit code; it has printed why on failure.
 */
int jetctl_resolve_instance(const char *arg, JET_INSTANCE *pinst,
			    char **pname);
/*
 * The same, pinned to an owner: the instance's owner must be uid OWNER (a
 * user name or a uid) or, when OWNER is NULL and jetctl runs privileged,
 * root. Unprivileged without OWNER: no pin. Refusals are explained.
 */
int jetctl_resolve_owned(const char *arg, const char *owner,
			 JET_INSTANCE *pinst, char **pname);
/* --owner USER|UID as a uid; a usage error otherwise */
int jetctl_parse_owner(const char *arg, unsigned long *puid);

/* handle.c: the descriptor behind a backup file handle, and a log's
 * generation from it (0 or -1 with errno)
 */
int jetctl_handle_fd(JET_HANDLE hf);
int jetctl_file_generation(JET_HANDLE hf, uint64_t *pgen);

/* instance.c: the instance's name (malloc'd), NULL when it has none */
char *jetctl_instance_name(JET_INSTANCE inst);

/* json.c: prints o (indented, one document, a newline) and frees it;
 * returns 0 or -1 (nothing printed: out of memory)
 */
struct json_t;
int jetctl_json_print(struct json_t *o, FILE *f);

/* io.c: 0, or -1 with errno */
int jetctl_write_all(int fd, const void *buf, size_t n);

/* format.c */
/* "64.0 MiB"; buf of at least 16 bytes */
const char *jetctl_fmt_bytes(uint64_t bytes, char *buf, unsigned int size);
/* "1h02m", "3m05s", "42s"; buf of at least 16 bytes */
const char *jetctl_fmt_duration(double seconds, char *buf, unsigned int size);
/* monotonic seconds */
double jetctl_now(void);

#endif
