/* SPDX-License-Identifier: MIT */
/*
 * check.h - the smallest test harness: CHECK() counts, check_done() prints
 * "N passed, M failed" and gives the exit status.
 */
#ifndef JET_TEST_CHECK_H
#define JET_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)							\
	do {								\
		if (cond) {						\
			check_passed++;					\
		} else {						\
			check_failed++;					\
			fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__,	\
				__LINE__, #cond);			\
		}							\
	} while (0)

/* a JET_ERR (or any long) equals what is expected */
#define CHECK_ERR(expr, want)						\
	do {								\
		long got_ = (long)(expr), want_ = (long)(want);		\
		if (got_ == want_) {					\
			check_passed++;					\
		} else {						\
			check_failed++;					\
			fprintf(stderr, "%s:%d: FAIL: %s = %ld (%s), "	\
				"want %ld (%s)\n", __FILE__, __LINE__,	\
				#expr, got_, JetErrorName(got_), want_,	\
				JetErrorName(want_));			\
		}							\
	} while (0)

#define CHECK_STR(got, want)						\
	do {								\
		const char *g_ = (got), *w_ = (want);			\
		if (g_ && w_ && !strcmp(g_, w_)) {			\
			check_passed++;					\
		} else {						\
			check_failed++;					\
			fprintf(stderr, "%s:%d: FAIL: %s = \"%s\", "	\
				"want \"%s\"\n", __FILE__, __LINE__,	\
				#got, g_ ? g_ : "(null)",		\
				w_ ? w_ : "(null)");			\
		}							\
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif /* JET_TEST_CHECK_H */
