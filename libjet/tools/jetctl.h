/* SPDX-License-Identifier: MIT */
/*
 * jetctl.h - what the files of jetctl share: exit codes, the commands, and
 * the helpers for messages and instance names.
 */
#ifndef JETCTL_H
#define JETCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "jet.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit codes: documented in --help and jetctl(8); scripts rely on them. */
enum {
	JETCTL_EXIT_OK = 0,
	JETCTL_EXIT_USAGE = 1,		/* bad command line or arguments */
	JETCTL_EXIT_ERROR = 2,		/* a JET call or the system failed */
	JETCTL_EXIT_STOPPED = 3,	/* the server stopped the backup */
	JETCTL_EXIT_MISMATCH = 4,	/* verify: the backup does not match */
	JETCTL_EXIT_INTERRUPTED = 130,	/* SIGINT or SIGTERM */
};

/* The commands; argv[0] is the command's name. Each returns an exit code. */
int jetctl_list(int argc, char **argv);
int jetctl_backup(int argc, char **argv);
int jetctl_verify(int argc, char **argv);
int jetctl_stop(int argc, char **argv);
int jetctl_stop_service(int argc, char **argv);

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

/* format.c */
/* "64.0 MiB"; buf of at least 16 bytes */
const char *jetctl_fmt_bytes(uint64_t bytes, char *buf, unsigned int size);
/* "1h02m", "3m05s", "42s"; buf of at least 16 bytes */
const char *jetctl_fmt_duration(double seconds, char *buf, unsigned int size);
/* monotonic seconds */
double jetctl_now(void);

#endif
