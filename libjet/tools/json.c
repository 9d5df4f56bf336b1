// SPDX-License-Identifier: MIT
/*
 * json.c - jetctl's machine-readable output (-j/--json), by jansson: one
 * JSON document per command, on stdout, that jq and friends can read.
 */
#include <stdio.h>

#include <jansson.h>

#include "jetctl.h"

bool jetctl_json;

int jetctl_json_print(json_t *o, FILE *f)
{
	int rc;

	if (!o) {
		jetctl_msg("out of memory for the JSON output");
		return -1;
	}
	rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc)
		return -1;
	fputc('\n', f);
	return fflush(f) == EOF ? -1 : 0;
}
