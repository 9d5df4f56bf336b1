// SPDX-License-Identifier: MIT
/*
 * roll.c - the log roll, the owner's side: roll requests, and the roll
 * callbacks that let a process back up an instance it owns without a
 * second thread to answer its own request.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

struct jet_roll_cb {
	JET_INSTANCE instance;
	JET_PFNLOGROLL pfn;
	void *context;
};

static pthread_mutex_t jet_cb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct jet_roll_cb *jet_cbs;	/* under jet_cb_lock */
static size_t jet_ncbs;

JET_ERR JetGetLogRollRequest(JET_INSTANCE *pinst, unsigned long *pgenAbove)
{
	struct jet_roll_request rr = { 0 };
	JET_ERR err;

	if (!pinst || !pgenAbove)
		return JET_errInvalidParameter;
	err = libjet_ioctl(JET_IOC_GET_ROLL_REQUEST, &rr);
	if (err)
		return err;
	*pinst = (JET_INSTANCE)rr.instance;
	*pgenAbove = (unsigned long)rr.gen_above;
	return JET_errSuccess;
}

JET_ERR JetSetLogRollCallbackInstance(JET_INSTANCE instance,
				      JET_PFNLOGROLL pfn, void *context)
{
	struct jet_instance_state st;
	struct jet_roll_cb *n;
	JET_ERR err;
	size_t i;

	err = libjet_get_state(instance, &st);
	if (err)
		return err;
	if (!(st.flags & JET_STATE_MINE))
		return JET_errFileAccessDenied;
	/* OneInst ignores the handle: key by the instance's own id */
	instance = (JET_INSTANCE)st.instance;

	pthread_mutex_lock(&jet_cb_lock);
	for (i = 0; i < jet_ncbs && jet_cbs[i].instance != instance; i++)
		;
	if (i == jet_ncbs && pfn) {
		n = realloc(jet_cbs, (jet_ncbs + 1) * sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&jet_cb_lock);
			return JET_errOutOfMemory;
		}
		jet_cbs = n;
		jet_ncbs++;
	}
	if (pfn) {
		jet_cbs[i] = (struct jet_roll_cb){ instance, pfn, context };
	} else if (i < jet_ncbs) {
		jet_cbs[i] = jet_cbs[--jet_ncbs];
	}
	pthread_mutex_unlock(&jet_cb_lock);
	return JET_errSuccess;
}

bool libjet_roll_callbacks(void)
{
	bool any;

	pthread_mutex_lock(&jet_cb_lock);
	any = jet_ncbs != 0;
	pthread_mutex_unlock(&jet_cb_lock);
	return any;
}

JET_ERR libjet_roll_run(JET_INSTANCE instance, unsigned long above,
			bool *ran)
{
	JET_PFNLOGROLL pfn = NULL;
	void *context = NULL;
	size_t i;

	pthread_mutex_lock(&jet_cb_lock);
	for (i = 0; i < jet_ncbs; i++) {
		if (jet_cbs[i].instance == instance) {
			pfn = jet_cbs[i].pfn;
			context = jet_cbs[i].context;
		}
	}
	pthread_mutex_unlock(&jet_cb_lock);
	*ran = pfn != NULL;
	return pfn ? pfn(instance, above, context) : JET_errSuccess;
}

void libjet_roll_forget_instance(JET_INSTANCE instance)
{
	size_t i;

	pthread_mutex_lock(&jet_cb_lock);
	for (i = 0; i < jet_ncbs; i++) {
		if (jet_cbs[i].instance == instance) {
			jet_cbs[i] = jet_cbs[--jet_ncbs];
			break;
		}
	}
	pthread_mutex_unlock(&jet_cb_lock);
}
