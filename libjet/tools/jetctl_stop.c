// SPDX-License-Identifier: MIT
/*
 * jetctl_stop.c - "jetctl stop" and "jetctl stop-service": an administrator's
 * way to stop a backup, or an instance's service, from outside its server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jetctl.h"

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
			return jetctl_usage_error("%s: unknown option '%s'",
						  argv[0], argv[i]);
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
	bool running;
	JET_INSTANCE inst;
	char *name, what[64];
	JET_ERR err;
	int rc;

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
	if (running)
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
			return jetctl_usage_error("stop-service: unknown option '%s'",
						  argv[i]);
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
