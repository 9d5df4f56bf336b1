// SPDX-License-Identifier: MIT
/*
 * instance.c - an instance's own name from its handle, for the manifest
 * (restore compares it) and for JSON (which wants the name alone, not the
 * "demo (id 3)" that messages show).
 */
#include <stdlib.h>
#include <string.h>

#include "jetctl.h"

char *jetctl_instance_name(JET_INSTANCE inst)
{
	JET_INSTANCE_INFO *info = NULL;
	unsigned long count = 0, i;
	char *name = NULL;

	if (JetGetInstanceInfo(&count, &info))
		return NULL;
	for (i = 0; i < count && !name; i++)
		if (info[i].hInstanceId == inst && info[i].szInstanceName &&
		    *info[i].szInstanceName)
			name = strdup(info[i].szInstanceName);
	JetFreeBuffer((char *)info);
	return name;
}
