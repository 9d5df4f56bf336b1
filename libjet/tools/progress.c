// SPDX-License-Identifier: MIT
/*
 * progress.c - progress output on stderr.
 *
 * On a terminal one line is redrawn at most ten times a second: bar, bytes,
 * rate, time left. Elsewhere (a log file, a pipe, a test) a line every ten
 * seconds, so a long copy still shows it is alive without flooding the log.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "jetctl.h"
#include "progress.h"

#define PROGRESS_TTY_PERIOD	0.1
#define PROGRESS_LINE_PERIOD	10.0

void progress_init(struct progress *p, bool quiet)
{
	memset(p, 0, sizeof(*p));
	p->quiet = quiet;
	p->tty = !quiet && isatty(STDERR_FILENO);
}

static unsigned int term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

static double rate_of(const struct progress *p, double now)
{
	double t = now - p->start;

	return t > 0.001 ? (double)p->done / t : 0;
}

static void draw_bar(struct progress *p, double now)
{
	char done[16], total[16], rate[16], eta[16], tail[80];
	unsigned int width = term_width(), bar, fill, i, label_w;
	double r = rate_of(p, now), frac;

	frac = p->total ? (double)p->done / (double)p->total : 1.0;
	if (frac > 1)
		frac = 1;
	jetctl_fmt_bytes(p->done, done, sizeof(done));
	jetctl_fmt_bytes(p->total, total, sizeof(total));
	jetctl_fmt_bytes((uint64_t)r, rate, sizeof(rate));
	if (r > 0 && p->total > p->done)
		jetctl_fmt_duration((double)(p->total - p->done) / r, eta,
				    sizeof(eta));
	else
		snprintf(eta, sizeof(eta), p->total > p->done ? "--" : "0s");
	/* fixed widths: the bar must not jump as the numbers change */
	snprintf(tail, sizeof(tail), " %3d%% %9s of %-9s %9s/s eta %-6s",
		 (int)(frac * 100), done, total, rate, eta);

	/* label (cut to a third of the line), bar, tail */
	label_w = strlen(p->label);
	if (label_w > width / 3)
		label_w = width / 3;
	bar = width - 1 > label_w + strlen(tail) + 3 ?
	      width - 1 - label_w - (unsigned int)strlen(tail) - 3 : 0;
	if (bar > 40)
		bar = 40;
	fill = (unsigned int)(frac * bar);
	fprintf(stderr, "\r\033[K%.*s [", (int)label_w, p->label);
	for (i = 0; i < bar; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "]%s", tail);
	fflush(stderr);
}

static void plain_line(struct progress *p, double now)
{
	char done[16], total[16], rate[16];

	fprintf(stderr, "jetctl: %s %s: %s of %s (%s/s)\n", p->verb, p->label,
		jetctl_fmt_bytes(p->done, done, sizeof(done)),
		jetctl_fmt_bytes(p->total, total, sizeof(total)),
		jetctl_fmt_bytes((uint64_t)rate_of(p, now), rate,
				 sizeof(rate)));
}

void progress_begin(struct progress *p, const char *verb, const char *label,
		    uint64_t total)
{
	char size[16];

	p->verb = verb;
	p->label = label;
	p->total = total;
	p->done = 0;
	p->start = p->last = jetctl_now();
	p->active = true;
	if (p->quiet)
		return;
	if (p->tty)
		draw_bar(p, p->start);
	else
		fprintf(stderr, "jetctl: %s %s (%s)\n", verb, label,
			jetctl_fmt_bytes(total, size, sizeof(size)));
}

void progress_update(struct progress *p, uint64_t done)
{
	double now;

	p->done = done;
	if (p->quiet)
		return;
	now = jetctl_now();
	if (now - p->last < (p->tty ? PROGRESS_TTY_PERIOD :
				      PROGRESS_LINE_PERIOD))
		return;
	p->last = now;
	if (p->tty)
		draw_bar(p, now);
	else
		plain_line(p, now);
}

void progress_end(struct progress *p, const char *what)
{
	char done[16], rate[16], took[16], ratebuf[32] = "";
	double now = jetctl_now();

	if (!p->active)
		return;
	p->active = false;
	if (p->quiet)
		return;
	/* a rate over a few milliseconds means nothing */
	if (now - p->start >= 0.05)
		snprintf(ratebuf, sizeof(ratebuf), " (%s/s)",
			 jetctl_fmt_bytes((uint64_t)rate_of(p, now), rate,
					  sizeof(rate)));
	/* one write, so another process's output cannot land mid-line */
	fprintf(stderr, "%sjetctl: %s %s: %s in %s%s\n",
		p->tty ? "\r\033[K" : "", what, p->label,
		jetctl_fmt_bytes(p->done, done, sizeof(done)),
		jetctl_fmt_duration(now - p->start, took, sizeof(took)),
		ratebuf);
	fflush(stderr);
}
