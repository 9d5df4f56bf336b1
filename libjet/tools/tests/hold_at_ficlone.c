// SPDX-License-Identifier: MIT
/*
 * hold_at_ficlone - the snapshot drill's way to kill `jetctl snapshot` while
 * the instance is frozen, every time: it runs the command under ptrace and
 * holds it at the entry of its first ioctl(FICLONE) after a successful
 * JET_IOC_SNAPSHOT_FREEZE (a clone of the instance's files, made before
 * the thaw; a FICLONE before the freeze, a probe of DIR, is let through).
 * There it writes MARKER (the command's pid) and waits; SIGUSR1 (or
 * SIGTERM) kills the command with SIGKILL.
 *
 * usage: hold_at_ficlone MARKER COMMAND [ARG...]
 * exit:  0 the command was held and killed; 3 it ended without a FICLONE
 *        while frozen (its output shows why); 1 ptrace or the command
 *        failed
 */
#include <errno.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uapi/jet_ioctl.h"

static int failed(const char *what)
{
	fprintf(stderr, "hold_at_ficlone: %s: %s\n", what, strerror(errno));
	return 1;
}

/* the freeze's command, whatever struct size it was made with */
static int is_freeze(unsigned int cmd)
{
	return _IOC_TYPE(cmd) == JET_IOC_MAGIC &&
	       _IOC_NR(cmd) == _IOC_NR(JET_IOC_SNAPSHOT_FREEZE);
}

/*
 * At a syscall stop of the tracee: 1 when it enters ioctl(FICLONE) after
 * a freeze returned 0 (*frozen notes that; *freezing, a freeze entered).
 */
static int at_frozen_ficlone(pid_t pid, int *freezing, int *frozen)
{
	struct __ptrace_syscall_info si;
	unsigned int cmd;

	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si), &si) <= 0)
		return 0;
	if (si.op == PTRACE_SYSCALL_INFO_EXIT) {
		if (*freezing && !si.exit.is_error && !si.exit.rval)
			*frozen = 1;
		*freezing = 0;
		return 0;
	}
	if (si.op != PTRACE_SYSCALL_INFO_ENTRY || si.entry.nr != SYS_ioctl)
		return 0;
	cmd = (unsigned int)si.entry.args[1];
	*freezing = is_freeze(cmd);
	return *frozen && cmd == (unsigned int)FICLONE;
}

static int hold(const char *marker, pid_t pid)
{
	sigset_t set;
	FILE *f;
	int sig;

	f = fopen(marker, "we");
	if (!f || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f))
		return failed(marker);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	if (sigwait(&set, &sig))
		return failed("sigwait");
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int main(int argc, char **argv)
{
	int status, sig, freezing = 0, frozen = 0;
	sigset_t set;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: hold_at_ficlone MARKER COMMAND [ARG...]\n");
		return 2;
	}
	/* blocked before the fork: a SIGUSR1 that comes early waits */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = fork();
	if (pid < 0)
		return failed("fork");
	if (!pid) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(failed("PTRACE_TRACEME"));
		raise(SIGSTOP);
		execvp(argv[2], argv + 2);
		_exit(failed(argv[2]));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return failed("waiting for the command");
	/* EXITKILL: the command never outlives this tracer */
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)))
		return failed("PTRACE_SETOPTIONS");
	sig = 0;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig))
			return failed("PTRACE_SYSCALL");
		if (waitpid(pid, &status, 0) != pid)
			return failed("waitpid");
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			fprintf(stderr, "hold_at_ficlone: %s ended (%s %d) without a FICLONE while frozen (%s)\n",
				argv[2], WIFEXITED(status) ? "exit" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) :
				WTERMSIG(status),
				frozen ? "it froze" : "it never froze");
			return 3;
		}
		sig = 0;
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			if (at_frozen_ficlone(pid, &freezing, &frozen))
				return hold(argv[1], pid);
		} else if (WSTOPSIG(status) != SIGSTOP &&
			   WSTOPSIG(status) != SIGTRAP) {
			sig = WSTOPSIG(status);	/* the command's own signal */
		}
	}
}
