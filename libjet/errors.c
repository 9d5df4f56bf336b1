// SPDX-License-Identifier: MIT
/*
 * errors.c - the one errno -> JET mapping, and the names of the JET codes.
 *
 * Both come from the uapi header's JET_ERRNO_TABLE and JET_ERRNO_ALIASES, so
 * the kernel and libjet cannot disagree; nothing else in libjet maps errnos.
 */
#include <errno.h>
#include <stddef.h>

#include "internal.h"

/* jet.h's values must be the table's */
#define JET_CHECK_VALUE(name, value, eno)				\
	_Static_assert((name) == (value), #name " differs from uapi");
JET_ERRNO_TABLE(JET_CHECK_VALUE)
JET_ERRNO_ALIASES(JET_CHECK_VALUE)
#undef JET_CHECK_VALUE

JET_ERR libjet_err_from_errno(int err)
{
	switch (err) {
	case 0:
		return JET_errSuccess;
#define JET_ERRNO_CASE(name, value, eno)	\
	case eno:				\
		return value;
	JET_ERRNO_TABLE(JET_ERRNO_CASE)
	JET_ERRNO_ALIASES(JET_ERRNO_CASE)
#undef JET_ERRNO_CASE
	default:
		return JET_errDiskIO;
	}
}

struct jet_err_name {
	JET_ERR value;
	const char *name;
};

/* the table's codes, and those libjet produces without the kernel */
static const struct jet_err_name jet_err_names[] = {
#define JET_ERRNO_NAME(name, value, eno) { value, #name },
	JET_ERRNO_TABLE(JET_ERRNO_NAME)
#undef JET_ERRNO_NAME
	{ JET_errSuccess, "JET_errSuccess" },
	{ JET_wrnBufferTruncated, "JET_wrnBufferTruncated" },
	{ JET_errInvalidGrbit, "JET_errInvalidGrbit" },
	/* ESE's, which jet no longer produces */
	{ JET_errBackupNotAllowedYet, "JET_errBackupNotAllowedYet" },
	{ JET_errMissingLogFile, "JET_errMissingLogFile" },
	{ JET_errInstanceUnavailable, "JET_errInstanceUnavailable" },
	{ JET_errInvalidInstance, "JET_errInvalidInstance" },
	{ JET_errInvalidOperation, "JET_errInvalidOperation" },
};

const char *JetErrorName(JET_ERR err)
{
	size_t i;

	for (i = 0; i < sizeof(jet_err_names) / sizeof(jet_err_names[0]); i++)
		if (jet_err_names[i].value == err)
			return jet_err_names[i].name;
	return "JET_errUnknown";
}
