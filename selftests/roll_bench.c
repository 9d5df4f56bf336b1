// SPDX-License-Identifier: GPL-2.0
/*
 * How long the log roll takes (SPEC 6.6), next to a pipe wake-up measured
 * the same way in the same run.
 *
 * One process, two /dev/jet contexts: the owner's (a thread that waits
 * with poll() for POLLPRI and answers each roll request with one ADD_LOG of
 * a log written beforehand) and the agent's (a thread in JET_IOC_LOG_LIST,
 * waiting for the roll). Measured, round by round:
 *  - request: from the agent's call to the owner's poll() return;
 *  - answer to return: from the owner's ADD_LOG return to the agent's
 *    return (the wake-up of the roll's wait);
 *  - roll: the agent's whole call, with the owner answering at once;
 *  - stop to return: a stop (JET_IOC_STOP_BACKUP, from the owner's thread)
 *    ends a roll wait nobody answers: from the stop call's return to the
 *    agent's return.
 * The baseline: a thread blocked in read(2) on a pipe, woken by one write:
 * from the write's return to the read's return, and the whole hop from the
 * write's call (as "request" is a hop from one thread to another).
 * Medians of the rounds; every thread runs on CPU 0 (see
 * stop_latency_bench.c for why under qemu TCG). No targets: the figures
 * are for the record. Exits 0 unless it could not run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>

#include "jet_test.h"
#include "bench/bench.h"

#define ROUNDS		200

static int owner, agent;
static uint64_t inst;
static char dir[64];

struct shot {
	uint64_t t_call, t_owner_woke, t_answered, t_return;
	int ret;
	uint32_t done;
};

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *agent_main(void *arg)
{
	struct shot *s = arg;
	struct jet_log_list ll = { .instance = inst };

	pin_cpu0();
	s->t_call = jt_now_ns();
	s->ret = jt_ioctl(agent, JET_IOC_LOG_LIST, &ll);
	s->t_return = jt_now_ns();
	jt_word_set(&s->done, 1);
	return NULL;
}

/* a log file for generation g, open, written before the clock runs */
static int make_log(unsigned long g, char *path, size_t size)
{
	snprintf(path, size, "%s/g%lu.log", dir, g);
	return jt_open_new_file(path, 512, (uint32_t)g);
}

static int one_round(unsigned long g, int stop, struct shot *s)
{
	struct jet_instance_op op = { .instance = inst };
	struct pollfd p = { .fd = owner, .events = POLLPRI };
	struct jet_roll_request rr;
	struct jet_add_log l = { .instance = inst, .generation = g };
	char path[128];
	pthread_t th;
	int fd, ret;

	memset(s, 0, sizeof(*s));
	fd = make_log(g, path, sizeof(path));
	if (fd < 0 || jt_ioctl(agent, JET_IOC_BEGIN_BACKUP, &op))
		return -1;
	l.name = (uintptr_t)path;
	l.fd = fd;
	if (pthread_create(&th, NULL, agent_main, s))
		return -1;
	ret = poll(&p, 1, 10000) == 1 ? 0 : -1;
	s->t_owner_woke = jt_now_ns();
	if (!ret && jt_ioctl(owner, JET_IOC_GET_ROLL_REQUEST, &rr))
		ret = -1;
	if (!ret && stop) {
		/* the agent is asleep in the wait by now: on CPU 0, it ran */
		ret = jt_ioctl(owner, JET_IOC_STOP_BACKUP, &op);
		s->t_answered = jt_now_ns();
	} else if (!ret) {
		ret = jt_ioctl(owner, JET_IOC_ADD_LOG, &l);
		s->t_answered = jt_now_ns();
	}
	pthread_join(th, NULL);
	close(fd);
	op.grbit = JET_END_ABORT;
	if (jt_ioctl(agent, JET_IOC_END_BACKUP, &op))
		ret = -1;
	if (!stop && s->ret)
		ret = -1;
	if (stop && s->ret != -ECANCELED)
		ret = -1;
	return stop ? ret : (ret ? ret : 1);	/* 1: the generation is used */
}

struct pipe_shot {
	int fd;
	uint64_t t_return;
};

static void *pipe_reader(void *arg)
{
	struct pipe_shot *s = arg;
	char c;

	pin_cpu0();
	if (read(s->fd, &c, 1) == 1)
		s->t_return = jt_now_ns();
	return NULL;
}

/* a pipe hop: write's call and return to read's return */
static int pipe_round(double *from_call, double *from_return)
{
	struct pipe_shot s = { 0 };
	uint64_t t0, t1;
	pthread_t th;
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -1;
	s.fd = p[0];
	if (pthread_create(&th, NULL, pipe_reader, &s))
		return -1;
	usleep(2000);		/* the reader is asleep in read() */
	t0 = jt_now_ns();
	if (write(p[1], "x", 1) != 1)
		return -1;
	t1 = jt_now_ns();
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
	*from_call = (s.t_return - t0) / 1e3;
	*from_return = (s.t_return - t1) / 1e3;
	return 0;
}

int main(void)
{
	static double req[ROUNDS], ans[ROUNDS], roll[ROUNDS], stp[ROUNDS];
	static double pcall[ROUNDS], pret[ROUNDS];
	struct jet_enable_multi em = { 0 };
	unsigned long g = 1;
	struct shot s;
	int i, ret;

	pin_cpu0();
	snprintf(dir, sizeof(dir), "/tmp/jet-rbench.XXXXXX");
	owner = jt_raw_open();
	agent = jt_raw_open();
	if (!mkdtemp(dir) || owner < 0 || agent < 0 ||
	    jt_ioctl(owner, JET_IOC_ENABLE_MULTI, &em) ||
	    jt_raw_create(owner, NULL, NULL, &inst) ||
	    jt_raw_init(owner, inst, 0, NULL)) {
		printf("# cannot set up: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < ROUNDS; i++) {
		ret = one_round(g, 0, &s);
		if (ret < 0) {
			printf("# a roll round failed (%d)\n", s.ret);
			return 1;
		}
		g++;
		req[i] = (s.t_owner_woke - s.t_call) / 1e3;
		ans[i] = (s.t_return - s.t_answered) / 1e3;
		roll[i] = (s.t_return - s.t_call) / 1e3;
		if (one_round(g, 1, &s) < 0) {
			printf("# a stop round failed (%d)\n", s.ret);
			return 1;
		}
		stp[i] = (s.t_return - s.t_answered) / 1e3;
		if (pipe_round(&pcall[i], &pret[i])) {
			printf("# a pipe round failed\n");
			return 1;
		}
	}
	printf("\nthe log roll (microseconds, median of %d rounds, one CPU)\n",
	       ROUNDS);
	printf("%-34s %10s %10s\n", "", "jet", "/pipe");
	printf("%-34s %10.1f %10.2f\n", "request (call to owner's poll)",
	       bench_median(req, ROUNDS), bench_median(req, ROUNDS) /
	       bench_median(pcall, ROUNDS));
	printf("%-34s %10.1f %10.2f\n", "answer (ADD_LOG return to return)",
	       bench_median(ans, ROUNDS), bench_median(ans, ROUNDS) /
	       bench_median(pret, ROUNDS));
	printf("%-34s %10.1f %10.2f\n", "whole roll (call to return)",
	       bench_median(roll, ROUNDS), bench_median(roll, ROUNDS) /
	       bench_median(pcall, ROUNDS));
	printf("%-34s %10.1f %10.2f\n", "stop to return",
	       bench_median(stp, ROUNDS), bench_median(stp, ROUNDS) /
	       bench_median(pret, ROUNDS));
	printf("%-34s %10.1f\n", "pipe: write call to read return",
	       bench_median(pcall, ROUNDS));
	printf("%-34s %10.1f\n", "pipe: write return to read return",
	       bench_median(pret, ROUNDS));
	bench_line("roll", "request", bench_median(req, ROUNDS), "us",
		   "pipe-hop", bench_median(pcall, ROUNDS), NULL);
	bench_line("roll", "answer-to-return", bench_median(ans, ROUNDS), "us",
		   "pipe-wake", bench_median(pret, ROUNDS), NULL);
	bench_line("roll", "whole", bench_median(roll, ROUNDS), "us",
		   "pipe-hop", bench_median(pcall, ROUNDS), NULL);
	bench_line("roll", "stop-to-return", bench_median(stp, ROUNDS), "us",
		   "pipe-wake", bench_median(pret, ROUNDS), NULL);
	close(agent);
	close(owner);
	jt_rm_tree(dir);
	return 0;
}
