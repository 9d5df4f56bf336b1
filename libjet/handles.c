// SPDX-License-Identifier: MIT
/*
 * handles.c - backup file handles that cannot be confused with another file.
 *
 * A handle is the descriptor number JET_IOC_OPEN_FILE returned, so that
 * read(2), poll(2) and splice(2) work on it too. But the program owns that
 * number: it may close it, and the number may then name a socket. So libjet
 * keeps its own duplicate of each handle's descriptor and reads only through
 * it, holding a reference while a read runs; JetCloseFileInstance closes
 * the program's number only if it still names the same backup file (the
 * kernel's id for it, JET_FILE_IOC_ID), and the duplicate once no read uses
 * it. A child after fork() inherits the table: at its first libjet call
 * (device.c) it closes what it inherited, so that the parent's backup does
 * not see the child's copies as files still open.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

struct jet_handle {
	JET_INSTANCE instance;
	int fd;			/* the number the program got */
	int priv;		/* libjet's own duplicate */
	uint64_t id;		/* the kernel's id of the backup file */
	unsigned int refs;	/* the table's, and one per read */
	pthread_mutex_t read_lock;	/* one read of a handle at a time */
};

static pthread_mutex_t jet_h_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t jet_h_once = PTHREAD_ONCE_INIT;
static struct jet_handle **jet_h;	/* by fd, under jet_h_lock */
static size_t jet_h_count;
static size_t jet_h_used;		/* handles in the table */
static pid_t jet_h_pid;			/* the process the table is of */

/* fork() never copies the table half-changed */
static void jet_h_prepare(void)
{
	pthread_mutex_lock(&jet_h_lock);
}

static void jet_h_unlock(void)
{
	pthread_mutex_unlock(&jet_h_lock);
}

static void jet_h_register_atfork(void)
{
	/* if this fails, a fork racing with a handle call may deadlock the
	 * child's first call; nothing else depends on it
	 */
	(void)pthread_atfork(jet_h_prepare, jet_h_unlock, jet_h_unlock);
}

/* the backup file's id behind fd, or 0 if it is not a backup file */
static uint64_t jet_fd_id(int fd)
{
	struct jet_file_id fid = { 0 };
	int ret;

	do {
		ret = ioctl(fd, JET_FILE_IOC_ID, &fid);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? 0 : fid.id;
}

static void jet_handle_free(struct jet_handle *h)
{
	close(h->priv);
	pthread_mutex_destroy(&h->read_lock);
	free(h);
}

static void libjet_handles_drop_inherited(void);

void libjet_after_fork_check(void)
{
	bool forked;

	pthread_mutex_lock(&jet_h_lock);
	forked = jet_h_used && jet_h_pid != getpid();
	pthread_mutex_unlock(&jet_h_lock);
	if (forked)
		libjet_handles_drop_inherited();
}

/* drop one reference; the last closes the duplicate */
static void jet_handle_drop(struct jet_handle *h)
{
	bool last;

	pthread_mutex_lock(&jet_h_lock);
	last = !--h->refs;
	pthread_mutex_unlock(&jet_h_lock);
	if (last)
		jet_handle_free(h);
}

JET_ERR libjet_handle_add(int fd, JET_INSTANCE instance)
{
	struct jet_handle *h, *old = NULL, **n;
	size_t count, i;

	pthread_once(&jet_h_once, jet_h_register_atfork);
	libjet_after_fork_check();
	h = calloc(1, sizeof(*h));
	if (!h)
		return JET_errOutOfMemory;
	h->instance = instance;
	h->fd = fd;
	h->refs = 1;
	h->id = jet_fd_id(fd);
	h->priv = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (!h->id || h->priv < 0) {
		JET_ERR err = h->priv < 0 ? libjet_err_from_errno(errno) :
					    JET_errDiskIO;

		if (h->priv >= 0)
			close(h->priv);
		free(h);
		return err;
	}
	pthread_mutex_init(&h->read_lock, NULL);

	pthread_mutex_lock(&jet_h_lock);
	if ((size_t)fd >= jet_h_count) {
		count = jet_h_count ? jet_h_count : 64;
		while (count <= (size_t)fd)
			count *= 2;
		n = realloc(jet_h, count * sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&jet_h_lock);
			jet_handle_free(h);
			return JET_errOutOfMemory;
		}
		for (i = jet_h_count; i < count; i++)
			n[i] = NULL;
		jet_h = n;
		jet_h_count = count;
	}
	/* the program closed the old handle's number itself: it is gone */
	old = jet_h[fd];
	jet_h[fd] = h;
	if (!old)
		jet_h_used++;
	jet_h_pid = getpid();
	pthread_mutex_unlock(&jet_h_lock);
	if (old)
		jet_handle_drop(old);
	return JET_errSuccess;
}

/* the handle hf of instance, with a reference for the caller, or NULL */
static struct jet_handle *jet_handle_get(JET_INSTANCE instance,
					 JET_HANDLE hf)
{
	struct jet_handle *h = NULL;

	libjet_after_fork_check();
	if (hf > INT_MAX)
		return NULL;
	pthread_mutex_lock(&jet_h_lock);
	if (hf < jet_h_count && jet_h[hf] && jet_h[hf]->instance == instance) {
		h = jet_h[hf];
		h->refs++;
	}
	pthread_mutex_unlock(&jet_h_lock);
	return h;
}

/*
 * Reads up to cb bytes into pv through the duplicate, looping over short
 * reads: fewer than cb only at the end of the file, or when a stop comes
 * after some bytes (those are returned, the next call fails).
 */
JET_ERR libjet_handle_read(JET_INSTANCE instance, JET_HANDLE hf, void *pv,
			   size_t cb, size_t *got)
{
	struct jet_handle *h = jet_handle_get(instance, hf);
	JET_ERR err = JET_errSuccess;
	size_t done = 0;
	ssize_t n;

	*got = 0;
	if (!h)
		return JET_errInvalidParameter;
	pthread_mutex_lock(&h->read_lock);
	while (done < cb) {
		n = read(h->priv, (char *)pv + done, cb - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* a stop keeps the bytes in hand; other errors fail */
			if (!done || (errno != ECANCELED &&
				      errno != ECONNABORTED))
				err = libjet_err_from_errno(errno);
			break;
		}
		if (!n)
			break;
		done += (size_t)n;
	}
	pthread_mutex_unlock(&h->read_lock);
	jet_handle_drop(h);
	*got = err ? 0 : done;
	return err;
}

/* JET_FILE_IOC_INFO's status of hf through its duplicate */
JET_ERR libjet_handle_status(JET_INSTANCE instance, JET_HANDLE hf,
			     int *status)
{
	struct jet_handle *h = jet_handle_get(instance, hf);
	struct jet_file_info fi = { 0 };
	int ret;

	if (!h)
		return JET_errInvalidParameter;
	do {
		ret = ioctl(h->priv, JET_FILE_IOC_INFO, &fi);
	} while (ret < 0 && errno == EINTR);
	jet_handle_drop(h);
	if (ret < 0)
		return libjet_err_from_errno(errno);
	*status = fi.status;
	return JET_errSuccess;
}

JET_ERR libjet_handle_close(JET_INSTANCE instance, JET_HANDLE hf)
{
	struct jet_handle *h = NULL;

	libjet_after_fork_check();
	if (hf > INT_MAX)
		return JET_errInvalidParameter;
	pthread_mutex_lock(&jet_h_lock);
	if (hf < jet_h_count && jet_h[hf] && jet_h[hf]->instance == instance) {
		h = jet_h[hf];
		jet_h[hf] = NULL;
		jet_h_used--;
	}
	pthread_mutex_unlock(&jet_h_lock);
	if (!h)
		return JET_errInvalidParameter;
	/* the program's number, if it still names this backup file */
	if (jet_fd_id(h->fd) == h->id)
		close(h->fd);
	jet_handle_drop(h);
	return JET_errSuccess;
}

/*
 * In a child after fork(), at its first libjet call: close the parent's
 * backup files, the duplicates and the numbers that still name them.
 * Single-threaded callers only see this table as the parent left it.
 */
static void libjet_handles_drop_inherited(void)
{
	struct jet_handle **t;
	size_t count, i;

	pthread_mutex_lock(&jet_h_lock);
	t = jet_h;
	count = jet_h_count;
	jet_h = NULL;
	jet_h_count = 0;
	jet_h_used = 0;
	pthread_mutex_unlock(&jet_h_lock);

	for (i = 0; i < count; i++) {
		struct jet_handle *h = t[i];

		if (!h)
			continue;
		if (jet_fd_id(h->fd) == h->id)
			close(h->fd);
		/*
		 * The parent's readers do not exist here, and a read_lock one
		 * of them held is not ours to destroy: close and free only.
		 */
		close(h->priv);
		free(h);
	}
	free(t);
}
