// SPDX-License-Identifier: MIT
/*
 * session.c - ESE sessions, which jet keeps in libjet only: a session names
 * an instance of the caller's, for JetAttachDatabase/JetDetachDatabase.
 *
 * A session id is (slot generation << JET_SES_SLOT_BITS) | (slot + 1): never
 * 0, and an ended session's id does not come back soon with its slot.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "internal.h"

#define JET_SES_SLOT_BITS	16
#define JET_SES_SLOTS_MAX	((1UL << JET_SES_SLOT_BITS) - 1)

struct jet_session {
	JET_INSTANCE instance;
	unsigned long gen;
	bool used;
};

static pthread_mutex_t jet_ses_lock = PTHREAD_MUTEX_INITIALIZER;
static struct jet_session *jet_ses;	/* under jet_ses_lock */
static unsigned long jet_ses_count;

static JET_SESID jet_sesid(unsigned long slot)
{
	return (jet_ses[slot].gen << JET_SES_SLOT_BITS) | (slot + 1);
}

/* under jet_ses_lock: the slot of a live session, or -1 */
static long jet_ses_find(JET_SESID sesid)
{
	unsigned long slot = (sesid & JET_SES_SLOTS_MAX) - 1;

	if (!(sesid & JET_SES_SLOTS_MAX) || slot >= jet_ses_count ||
	    !jet_ses[slot].used || jet_sesid(slot) != sesid)
		return -1;
	return (long)slot;
}

/* under jet_ses_lock: a free slot, growing the table; -1 when full */
static long jet_ses_alloc(void)
{
	struct jet_session *n;
	unsigned long i, count;

	for (i = 0; i < jet_ses_count; i++)
		if (!jet_ses[i].used)
			return (long)i;
	if (jet_ses_count >= JET_SES_SLOTS_MAX)
		return -1;
	count = jet_ses_count ? jet_ses_count * 2 : 16;
	if (count > JET_SES_SLOTS_MAX)
		count = JET_SES_SLOTS_MAX;
	n = realloc(jet_ses, count * sizeof(*n));
	if (!n)
		return -1;
	for (i = jet_ses_count; i < count; i++)
		n[i] = (struct jet_session){ .gen = 0, .used = false };
	jet_ses = n;
	i = jet_ses_count;
	jet_ses_count = count;
	return (long)i;
}

JET_ERR JetBeginSession(JET_INSTANCE instance, JET_SESID *psesid,
			const char *szUserName, const char *szPassword)
{
	struct jet_instance_state s;
	JET_ERR err;
	long slot;

	(void)szUserName;
	(void)szPassword;
	if (!psesid)
		return JET_errInvalidParameter;
	err = libjet_get_state(instance, &s);
	if (err)
		return err;
	if (s.flags & JET_STATE_TERMINATING)
		return JET_errTermInProgress;
	if (!(s.flags & JET_STATE_MINE))
		return JET_errFileAccessDenied;
	if (!(s.flags & JET_STATE_INITIALIZED))
		return JET_errNotInitialized;

	pthread_mutex_lock(&jet_ses_lock);
	slot = jet_ses_alloc();
	if (slot >= 0) {
		jet_ses[slot].used = true;
		jet_ses[slot].gen = (jet_ses[slot].gen + 1) &
				    (~0UL >> JET_SES_SLOT_BITS);
		/* in OneInst the handle given may be any: keep the real one */
		jet_ses[slot].instance = (JET_INSTANCE)s.instance;
		*psesid = jet_sesid((unsigned long)slot);
	}
	pthread_mutex_unlock(&jet_ses_lock);
	return slot >= 0 ? JET_errSuccess : JET_errOutOfMemory;
}

JET_ERR JetEndSession(JET_SESID sesid, JET_GRBIT grbit)
{
	long slot;

	if (grbit)
		return JET_errInvalidGrbit;
	pthread_mutex_lock(&jet_ses_lock);
	slot = jet_ses_find(sesid);
	if (slot >= 0)
		jet_ses[slot].used = false;
	pthread_mutex_unlock(&jet_ses_lock);
	return slot >= 0 ? JET_errSuccess : JET_errInvalidParameter;
}

JET_ERR libjet_session_instance(JET_SESID sesid, JET_INSTANCE *pinst)
{
	long slot;

	pthread_mutex_lock(&jet_ses_lock);
	slot = jet_ses_find(sesid);
	if (slot >= 0)
		*pinst = jet_ses[slot].instance;
	pthread_mutex_unlock(&jet_ses_lock);
	return slot >= 0 ? JET_errSuccess : JET_errInvalidParameter;
}

void libjet_sessions_forget_instance(JET_INSTANCE instance)
{
	unsigned long i;

	pthread_mutex_lock(&jet_ses_lock);
	for (i = 0; i < jet_ses_count; i++)
		if (jet_ses[i].used && jet_ses[i].instance == instance)
			jet_ses[i].used = false;
	pthread_mutex_unlock(&jet_ses_lock);
}
