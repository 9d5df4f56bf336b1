// SPDX-License-Identifier: MIT
/*
 * resolve.c - from what the user typed to an instance handle.
 *
 * A name wins over an id: an instance may well be called "1", and the person
 * who named it so means that one. A number that names no instance is taken
 * as an id only if an instance with that id exists, so a typo is reported as
 * such instead of as a JET error later.
 *
 * Owner pinning (SPEC section 8): while a server restarts, any user may
 * create an instance of the same name and attach files of its choosing. A
 * privileged backup (root, or CAP_DAC_READ_SEARCH) therefore takes only an
 * instance whose owner is the one it expects: --owner USER|UID, or root
 * when none is given. An unprivileged caller can only back up its own
 * uid's instances anyway (the module checks), so it is pinned only when it
 * asks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

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

/* A user name's uid from /etc/passwd (no NSS: jetctl may be static). */
static bool uid_of_name(const char *name, unsigned long *puid)
{
	char line[1024];
	size_t len = strlen(name);
	bool found = false;
	FILE *f = fopen("/etc/passwd", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, name, len) || line[len] != ':')
			continue;
		p = strchr(line + len + 1, ':');	/* past the password */
		if (p)
			found = sscanf(p + 1, "%lu", puid) == 1;
	}
	fclose(f);
	return found;
}

/* May this process read other users' instances? */
static bool privileged(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[0].effective & (1u << CAP_DAC_READ_SEARCH);
}

int jetctl_parse_owner(const char *arg, unsigned long *puid)
{
	unsigned long long v;
	char *end;

	if (!*arg)
		return jetctl_usage_error("--owner: give a user name or a uid");
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (!errno && !*end && v <= 0xffffffffULL) {
		*puid = (unsigned long)v;
		return JETCTL_EXIT_OK;
	}
	if (uid_of_name(arg, puid))
		return JETCTL_EXIT_OK;
	return jetctl_usage_error("--owner: no user '%s' in /etc/passwd; give a uid",
				  arg);
}

int jetctl_resolve_owned(const char *arg, const char *owner,
			 JET_INSTANCE *pinst, char **pname)
{
	JET_INSTANCE_STATE st;
	unsigned long want;
	JET_ERR err;
	int rc;

	if (owner) {
		rc = jetctl_parse_owner(owner, &want);
		if (rc)
			return rc;
	} else if (privileged()) {
		want = 0;
	} else {
		return jetctl_resolve_instance(arg, pinst, pname);
	}

	rc = jetctl_resolve_instance(arg, pinst, pname);
	if (rc)
		return rc;
	/* an id is never reused soon and its owner never changes: no race */
	err = JetGetInstanceStateInstance(*pinst, &st);
	if (err) {
		free(*pname);
		*pname = NULL;
		return jetctl_jet_error("reading the instance's owner", err);
	}
	if (st.owner_uid == want)
		return JETCTL_EXIT_OK;
	jetctl_msg("instance %s is owned by uid %u, not %s%lu: refusing it (another user may have taken its name); if uid %u runs the server, give --owner %u",
		   *pname, st.owner_uid, owner ? "uid " : "root (uid ", want,
		   st.owner_uid, st.owner_uid);
	free(*pname);
	*pname = NULL;
	return JETCTL_EXIT_ERROR;
}
