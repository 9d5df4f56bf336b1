/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - what the *_bench programs share: small statistics and the
 * machine-readable result lines.
 *
 * Each figure a benchmark measures is printed, besides its human table, as
 * one line
 *
 *   BENCH figure=F config=C value=V unit=U baseline=B baseline_value=BV target=T
 *
 * V is jet's figure and BV the baseline's, measured in the same run in the
 * same way (interleaved, so a busy host slows both alike). T is "-" for
 * none, or a bound on V / BV: ">=0.95", "<=3". Words hold no spaces; a
 * value that could not be measured is "-". selftests/bench/report.sh turns
 * these lines into the table, the CSV and the plot.
 */
#ifndef JET_BENCH_H
#define JET_BENCH_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void bench_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.6g", v);
}

/* One figure; NAN for a value that was not measured. */
static inline void bench_line(const char *figure, const char *config,
			      double value, const char *unit,
			      const char *baseline, double baseline_value,
			      const char *target)
{
	char v[32], b[32];

	bench_num(v, sizeof(v), value);
	bench_num(b, sizeof(b), baseline_value);
	printf("BENCH figure=%s config=%s value=%s unit=%s baseline=%s baseline_value=%s target=%s\n",
	       figure, config, v, unit, baseline, b, target ? target : "-");
	fflush(stdout);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of n values (sorts them); NAN when there are none. */
static inline double bench_median(double *v, int n)
{
	if (n <= 0)
		return NAN;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The q-quantile of n values (sorts them), interpolated; NAN when there are
 * none. Under qemu TCG on a busy host, noise only ever adds time, so the
 * lower quartile (q = 0.25) of many rounds is the steadiest figure.
 */
static inline double bench_quantile(double *v, int n, double q)
{
	double x, f;
	int i;

	if (n <= 0)
		return NAN;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	x = q * (n - 1);
	i = (int)x;
	f = x - i;
	return i + 1 < n ? v[i] + f * (v[i + 1] - v[i]) : v[i];
}

/* The lower quartile: what the benchmarks report for times. */
static inline double bench_q1(double *v, int n)
{
	return bench_quantile(v, n, 0.25);
}

/* The smallest of n values; NAN when there are none. */
static inline double bench_min(const double *v, int n)
{
	double m = NAN;
	int i;

	for (i = 0; i < n; i++)
		if (isnan(m) || v[i] < m)
			m = v[i];
	return m;
}

/* a / b, NAN when either is missing or b is not positive */
static inline double bench_ratio(double a, double b)
{
	return isnan(a) || isnan(b) || b <= 0 ? NAN : a / b;
}

#endif /* JET_BENCH_H */
