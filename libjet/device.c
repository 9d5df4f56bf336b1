// SPDX-License-Identifier: MIT
/*
 * device.c - this process's /dev/jet descriptor, and the one ioctl helper.
 *
 * The kernel keeps a client context per open file, so each process must have
 * its own open: a child after fork() must neither use nor keep the parent's
 * (keeping it would keep the parent's context, and its instances, alive after
 * the parent exits). A pthread_atfork() child handler closes the inherited
 * descriptor at once; children made without the handlers (a raw clone) are
 * caught by the pid check, which closes the old descriptor only if it is
 * still the very file libjet opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t jet_dev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t jet_dev_once = PTHREAD_ONCE_INIT;
static int jet_dev_fd = -1;		/* under jet_dev_lock */
static pid_t jet_dev_pid;		/* the process that opened it */
static dev_t jet_dev_st_dev;		/* which file it is */
static ino_t jet_dev_st_ino;
static unsigned int jet_dev_features;	/* JET_FEATURE_* of the module */
/* set, under jet_dev_lock, when the last open met a module too old */
static char jet_abi_text[256];
static int jet_abi_mismatch;

static void jet_dev_prepare(void)
{
	pthread_mutex_lock(&jet_dev_lock);
}

static void jet_dev_parent(void)
{
	pthread_mutex_unlock(&jet_dev_lock);
}

/* runs in the child, single-threaded, with the lock held since prepare */
static void jet_dev_child(void)
{
	if (jet_dev_fd >= 0)
		close(jet_dev_fd);
	jet_dev_fd = -1;
	pthread_mutex_unlock(&jet_dev_lock);
}

static void jet_dev_register_atfork(void)
{
	/* if this fails, the pid check below still protects the child */
	(void)pthread_atfork(jet_dev_prepare, jet_dev_parent, jet_dev_child);
}

/* An open failing this way means the module is not loaded. */
static JET_ERR jet_open_err(int err)
{
	if (err == ENOENT || err == ENODEV || err == ENXIO)
		return JET_errFeatureNotAvailable;
	return libjet_err_from_errno(err);
}

/* under jet_dev_lock */
static JET_ERR jet_dev_open_locked(void)
{
	struct jet_query q = { 0 };
	struct stat st;
	int fd, ret;

	fd = open(JET_DEVICE_PATH, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return jet_open_err(errno);
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
		close(fd);
		return JET_errFeatureNotAvailable;
	}
	do {
		ret = ioctl(fd, JET_IOC_QUERY, &q);
	} while (ret < 0 && errno == EINTR);
	/* a newer module serves older programs (uapi: the ABI rules) */
	__atomic_store_n(&jet_abi_mismatch, 0, __ATOMIC_RELEASE);
	if (ret == 0 && q.abi_version < JET_ABI_VERSION) {
		snprintf(jet_abi_text, sizeof(jet_abi_text),
			 "the jet module and libjet do not match: the loaded module speaks ioctl ABI version %u, this libjet needs version %u or newer; load the jet module that came with this libjet (modinfo jet; make install)",
			 q.abi_version, JET_ABI_VERSION);
		__atomic_store_n(&jet_abi_mismatch, 1, __ATOMIC_RELEASE);
	}
	if (ret < 0 || q.abi_version < JET_ABI_VERSION) {
		/* ENOTTY: the node is not jet's */
		JET_ERR err = ret < 0 && errno != ENOTTY ?
			libjet_err_from_errno(errno) :
			JET_errFeatureNotAvailable;

		close(fd);
		return err;
	}
	jet_dev_fd = fd;
	jet_dev_features = q.features;
	jet_dev_pid = getpid();
	jet_dev_st_dev = st.st_dev;
	jet_dev_st_ino = st.st_ino;
	return JET_errSuccess;
}

/* under jet_dev_lock: a child that inherited the parent's descriptor */
static void jet_dev_drop_inherited_locked(void)
{
	struct stat st;

	if (fstat(jet_dev_fd, &st) == 0 && st.st_dev == jet_dev_st_dev &&
	    st.st_ino == jet_dev_st_ino)
		close(jet_dev_fd);
	jet_dev_fd = -1;
}

JET_ERR libjet_device_fd(int *pfd)
{
	JET_ERR err = JET_errSuccess;

	pthread_once(&jet_dev_once, jet_dev_register_atfork);
	/* a child's first call: the parent's backup files go (handles.c) */
	libjet_after_fork_check();
	pthread_mutex_lock(&jet_dev_lock);
	if (jet_dev_fd >= 0 && jet_dev_pid != getpid())
		jet_dev_drop_inherited_locked();
	if (jet_dev_fd < 0)
		err = jet_dev_open_locked();
	/*
	 * Only a child after fork ever closes the descriptor, and a child has
	 * one thread then, so using it after the unlock is safe.
	 */
	*pfd = jet_dev_fd;
	pthread_mutex_unlock(&jet_dev_lock);
	return err;
}

JET_ERR libjet_ioctl(unsigned long cmd, void *arg)
{
	JET_ERR err;
	int fd, ret;

	err = libjet_device_fd(&fd);
	if (err)
		return err;
	do {
		ret = ioctl(fd, cmd, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? libjet_err_from_errno(errno) : JET_errSuccess;
}

const char *libjet_abi_mismatch_text(void)
{
	if (!__atomic_load_n(&jet_abi_mismatch, __ATOMIC_ACQUIRE))
		return NULL;
	return jet_abi_text;
}

bool libjet_has_feature(unsigned int feature)
{
	int fd;

	if (libjet_device_fd(&fd))
		return false;
	return __atomic_load_n(&jet_dev_features, __ATOMIC_RELAXED) & feature;
}

JET_ERR JetGetNotificationFd(int *pfd)
{
	if (!pfd)
		return JET_errInvalidParameter;
	return libjet_device_fd(pfd);
}
