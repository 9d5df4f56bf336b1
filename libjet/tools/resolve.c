// SPDX-License-Identifier: MIT
/*
 * resolve.c - from what the user typed to an instance handle.
 *
 * A name wins over an id: an instance may well be called "1", and the person
 * who named it so means that one. A number that names no instance is taken
 * as an id only if an instance with that id exists, so a typo is reported as
 * such instead of as a JET error later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jetctl.h"

static bool parse_id(const char *s, JET_INSTANCE *pid)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v == 0)
		return false;
	*pid = (JET_INSTANCE)v;
	return true;
}

int jetctl_resolve_instance(const char *arg, JET_INSTANCE *pinst,
			    char **pname)
{
	JET_INSTANCE_INFO *info = NULL;
	unsigned long count = 0, i, found;
	JET_INSTANCE id = 0;
	bool numeric;
	JET_ERR err;
	int n;

	if (!*arg)
		return jetctl_usage_error("an empty instance name");
	err = JetGetInstanceInfo(&count, &info);
	if (err)
		return jetctl_jet_error("listing instances", err);

	found = count;
	for (i = 0; i < count && found == count; i++)
		if (info[i].szInstanceName &&
		    !strcmp(info[i].szInstanceName, arg))
			found = i;
	numeric = parse_id(arg, &id);
	for (i = 0; i < count && found == count && numeric; i++)
		if (info[i].hInstanceId == id)
			found = i;
	if (found == count) {
		JetFreeBuffer((char *)info);
		jetctl_msg("no instance named '%s'%s; see 'jetctl list'", arg,
			   numeric ? " and none with that id" : "");
		return JETCTL_EXIT_ERROR;
	}

	*pinst = info[found].hInstanceId;
	if (info[found].szInstanceName)
		n = asprintf(pname, "%s (id %lu)", info[found].szInstanceName,
			     (unsigned long)*pinst);
	else
		n = asprintf(pname, "id %lu", (unsigned long)*pinst);
	JetFreeBuffer((char *)info);
	if (n < 0)
		return jetctl_sys_error("out of memory");
	return JETCTL_EXIT_OK;
}
