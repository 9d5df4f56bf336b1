// SPDX-License-Identifier: MIT
/*
 * jetctl_stop.c - "jetctl stop" and "jetctl stop-service": an administrator's
 * way to stop a backup, or an instance's service, from outside its server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jetctl.h"

const char jetctl_stop_help[] =
"Usage: jetctl stop INSTANCE [-j|--json]\n"
"Stop the backup running on INSTANCE (a name or a numeric id): its reads\n"
"fail at once with JET_errBackupAbortByServer (-801), and jetctl backup\n"
"exits 3. Stopping nothing is no error. Needs the instance's owner or\n"
"CAP_SYS_ADMIN.\n"
"\n"
"  -j, --json  {\"instance\", \"id\", \"stopped\"}: stopped is false when no\n"
"              backup was running\n";

const char jetctl_stop_service_help[] =
"Usage: jetctl stop-service INSTANCE [GRBIT...]\n"
"Stop INSTANCE's service (JetStopServiceInstance2). GRBIT:\n"
"  all               the default: every backup fails until the instance\n"
"                    ends (JET_errClientRequestToStopJetService, -1329)\n"
"  background-tasks  JET_bitStopServiceBackgroundUserTasks\n"
"  quiesce-caches    JET_bitStopServiceQuiesceCaches\n"
"  resume            alone: undo background-tasks and quiesce-caches\n"
"Needs the instance's owner or CAP_SYS_ADMIN.\n";

static const struct {
	const char *name;
	JET_GRBIT bit;
} service_grbits[] = {
	{ "all", JET_bitStopServiceAll },
	{ "background-tasks", JET_bitStopServiceBackgroundUserTasks },
	{ "quiesce-caches", JET_bitStopServiceQuiesceCaches },
	{ "resume", JET_bitStopServiceResume },
};

/* argv[1] only: both commands take their instance there */
static int take_instance(int argc, char **argv, int max_args,
			 JET_INSTANCE *pinst, char **pname)
{
	int i;

	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return jetctl_bad_option(argv[0], argv[i]);
	if (argc < 2)
		return jetctl_usage_error("%s: which instance?", argv[0]);
	if (argc > max_args)
		return jetctl_usage_error("%s: unexpected argument '%s'",
					  argv[0], argv[max_args]);
	return jetctl_resolve_instance(argv[1], pinst, pname);
}

int jetctl_stop(int argc, char **argv)
{
	JET_INSTANCE_STATE st;
	bool running, json = jetctl_json;
	JET_INSTANCE inst;
	char *name, what[64], *args[3];
	JET_ERR err;
	int rc, i, n = 0;

	/* -j/--json anywhere; the rest as before */
	for (i = 0; i < argc; i++) {
		if (i && (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")))
			json = true;
		else if (n < 3)
			args[n++] = argv[i];
		else
			return jetctl_usage_error("stop: unexpected argument '%s'",
						  argv[i]);
	}
	argc = n;
	argv = args;
	rc = take_instance(argc, argv, 2, &inst, &name);
	if (rc)
		return rc;
	/* only to say what happened: the stop is right either way */
	running = !JetGetInstanceStateInstance(inst, &st) &&
		  (st.flags & JET_INSTANCE_STATE_BACKUP) &&
		  !(st.flags & JET_INSTANCE_STATE_BACKUP_STOPPED);
	err = JetStopBackupInstance(inst);
	if (err) {
		snprintf(what, sizeof(what), "stop %.40s", argv[1]);
		free(name);
		return jetctl_jet_error(what, err);
	}
	if (json) {
		char *plain = jetctl_instance_name(inst);

		jetctl_json_print(json_pack("{s:s?, s:I, s:b}", "instance",
					    plain, "id", (json_int_t)inst,
					    "stopped", running), stdout);
		free(plain);
	}
	else if (running)
		printf("stopped the backup of %s\n", name);
	else
		printf("no backup was running on %s; nothing to stop\n", name);
	free(name);
	return JETCTL_EXIT_OK;
}

static int parse_service_grbits(int argc, char **argv, JET_GRBIT *pgrbit)
{
	bool all = false, resume = false;
	JET_GRBIT grbit = 0;
	size_t j;
	int i;

	for (i = 2; i < argc; i++) {
		for (j = 0; j < ARRAY_SIZE(service_grbits); j++)
			if (!strcmp(argv[i], service_grbits[j].name))
				break;
		if (j == ARRAY_SIZE(service_grbits))
			return jetctl_usage_error("stop-service: unknown grbit '%s' (all, background-tasks, quiesce-caches, resume)",
						  argv[i]);
		all |= service_grbits[j].bit == JET_bitStopServiceAll;
		resume |= service_grbits[j].bit == JET_bitStopServiceResume;
		grbit |= service_grbits[j].bit;
	}
	/* All is 0: it cannot be combined with anything and mean it */
	if (all && grbit)
		return jetctl_usage_error("stop-service: 'all' stands alone");
	if (resume && grbit != JET_bitStopServiceResume)
		return jetctl_usage_error("stop-service: 'resume' stands alone");
	*pgrbit = grbit;
	return JETCTL_EXIT_OK;
}

int jetctl_stop_service(int argc, char **argv)
{
	JET_INSTANCE inst;
	JET_GRBIT grbit = JET_bitStopServiceAll;
	char *name, what[80];
	JET_ERR err;
	int rc;

	/* the grbits first: a usage error should not wait for /dev/jet */
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return jetctl_bad_option("stop-service", argv[i]);
	if (argc < 2)
		return jetctl_usage_error("stop-service: which instance?");
	rc = parse_service_grbits(argc, argv, &grbit);
	if (rc)
		return rc;
	rc = take_instance(argc, argv, argc, &inst, &name);
	if (rc)
		return rc;
	err = JetStopServiceInstance2(inst, grbit);
	if (err) {
		snprintf(what, sizeof(what), "stop-service %.40s", argv[1]);
		free(name);
		/* a stop-service that fails was not a backup stopped: exit 2 */
		if (err == JET_errClientRequestToStopJetService &&
		    grbit == JET_bitStopServiceResume)
			fprintf(stderr, "jetctl: %s: %s (%ld): the service was stopped with 'all', which cannot be resumed; it lasts until the instance ends\n",
				what, JetErrorName(err), (long)err);
		else
			jetctl_jet_error(what, err);
		return JETCTL_EXIT_ERROR;
	}
	if (grbit == JET_bitStopServiceResume)
		printf("resumed the service of %s\n", name);
	else if (grbit == JET_bitStopServiceAll)
		printf("stopped the service of %s: no backup can run until it ends\n",
		       name);
	else
		printf("stopped%s%s of %s\n",
		       grbit & JET_bitStopServiceBackgroundUserTasks ?
		       " background tasks" : "",
		       grbit & JET_bitStopServiceQuiesceCaches ?
		       (grbit & JET_bitStopServiceBackgroundUserTasks ?
			" and quiesced caches" : " caches") : "",
		       name);
	free(name);
	return JETCTL_EXIT_OK;
}
