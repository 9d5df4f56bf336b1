// SPDX-License-Identifier: MIT
/*
 * info.c - JetGetInstanceInfo() and JetFreeBuffer(), on JET_IOC_LIST_INSTANCES.
 *
 * The answer is ONE malloc block, so JetFreeBuffer() is a plain free():
 *   JET_INSTANCE_INFO[count]
 *   char *[3 * total databases]  (file names, display names, SLV NULLs)
 *   the strings
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* a list that keeps growing under us gets this many tries */
#define JET_LIST_TRIES	64
/* a paged listing asks for this much at a time (more for a big record) */
#define JET_LIST_PAGE	(64 * 1024)

/*
 * Page by page: the kernel never holds more than one page for us, however
 * much other users' instances hold; only this process's memory grows.
 */
static JET_ERR jet_list_paged(void **pbuf, size_t *psize,
			      unsigned int *pcount)
{
	size_t cap = JET_LIST_PAGE, size = 0, room = 0;
	char *page = malloc(cap), *all = NULL, *n;
	unsigned int count = 0;
	__u64 start = 0;
	JET_ERR err;

	if (!page)
		return JET_errOutOfMemory;
	for (;;) {
		struct jet_list l = { 0 };

		l.buf = libjet_uptr(page);
		l.buf_size = (__u32)cap;
		l.flags = JET_LIST_PAGED;
		l.start = start;
		err = libjet_ioctl(JET_IOC_LIST_INSTANCES, &l);
		if (err == JET_errBufferTooSmall && l.size > cap) {
			/* one record bigger than a page */
			cap = l.size;
			n = realloc(page, cap);
			if (!n) {
				err = JET_errOutOfMemory;
				break;
			}
			page = n;
			continue;
		}
		if (err)
			break;
		if (size + l.size > room) {
			room = (size + l.size) * 2;
			n = realloc(all, room);
			if (!n) {
				err = JET_errOutOfMemory;
				break;
			}
			all = n;
		}
		memcpy(all + size, page, l.size);
		size += l.size;
		count += l.count;
		if (!l.next || l.next <= start)
			break;
		start = l.next;
	}
	free(page);
	if (err || !count) {
		free(all);
		all = NULL;
		size = 0;
		count = 0;
	}
	*pbuf = all;
	*psize = size;
	*pcount = count;
	return err;
}

JET_ERR libjet_list_records(void **pbuf, size_t *psize, unsigned int *pcount)
{
	struct jet_list l = { 0 };
	void *buf = NULL, *n;
	JET_ERR err = JET_errBufferTooSmall;	/* if it never stops growing */
	size_t cap = 0;
	int tries;

	if (libjet_has_feature(JET_FEATURE_LIST_PAGED))
		return jet_list_paged(pbuf, psize, pcount);
	for (tries = 0; tries < JET_LIST_TRIES; tries++) {
		l.buf = libjet_uptr(buf);
		l.buf_size = (__u32)cap;
		/* outputs go in as zero (uapi rules) */
		l.count = 0;
		l.size = 0;
		err = libjet_ioctl(JET_IOC_LIST_INSTANCES, &l);
		if (err != JET_errBufferTooSmall)
			break;
		if (l.size <= cap) {	/* cannot happen; do not spin */
			err = JET_errDiskIO;
			break;
		}
		/* room for some growth, within what __u32 can say */
		cap = (size_t)l.size + l.size / 4 + 4096;
		if (cap > UINT32_MAX)
			cap = UINT32_MAX;
		n = realloc(buf, cap);
		if (!n) {
			err = JET_errOutOfMemory;
			break;
		}
		buf = n;
	}
	if (err || !l.count) {
		free(buf);
		buf = NULL;
		l.count = 0;
		l.size = 0;
	}
	*pbuf = buf;
	*psize = err ? 0 : l.size;
	*pcount = l.count;
	return err;
}

/* does s[0..size) hold exactly n NUL-terminated strings? */
static int jet_strings_ok(const char *s, size_t size, size_t n)
{
	size_t nuls = 0, i;

	if (!size)
		return n == 0;
	if (s[size - 1])
		return 0;
	for (i = 0; i < size; i++)
		nuls += !s[i];
	return nuls == n;
}

const struct jet_instance_record *
libjet_next_record(const void *buf, size_t size, size_t *poffset,
		   const char **pname, const char **pdbs)
{
	const struct jet_instance_record *r;
	size_t off = *poffset, strings;
	const char *p;

	if (!buf || off >= size || size - off < sizeof(*r))
		return NULL;
	r = (const void *)((const char *)buf + off);
	strings = (size_t)r->name_size + r->display_size + r->dbs_size;
	if (r->record_size % 8 || r->record_size > size - off ||
	    r->record_size < sizeof(*r) ||
	    strings > r->record_size - sizeof(*r) ||
	    !r->name_size || !r->display_size)
		return NULL;
	p = (const char *)(r + 1);
	if (!jet_strings_ok(p, r->name_size, 1) ||
	    !jet_strings_ok(p + r->name_size, r->display_size, 1) ||
	    !jet_strings_ok(p + r->name_size + r->display_size, r->dbs_size,
			    r->state.db_count))
		return NULL;
	*pname = r->name_size > 1 ? p : NULL;
	*pdbs = p + r->name_size + r->display_size;
	*poffset = off + r->record_size;
	return r;
}

JET_ERR JetGetInstanceInfo(unsigned long *pcInstanceInfo,
			   JET_INSTANCE_INFO **paInstanceInfo)
{
	const struct jet_instance_record *r;
	size_t size, off, need, ndbs = 0, nstr = 0, i, n = 0;
	const char *name, *dbs;
	unsigned int count;
	JET_INSTANCE_INFO *info;
	char **ptrs, *str;
	void *buf;
	JET_ERR err;

	if (!pcInstanceInfo || !paInstanceInfo)
		return JET_errInvalidParameter;
	*pcInstanceInfo = 0;
	*paInstanceInfo = NULL;
	err = libjet_list_records(&buf, &size, &count);
	if (err || !count)
		return err;

	/* sizes first; the block is laid out in one go below */
	for (off = 0; n < count; n++) {
		r = libjet_next_record(buf, size, &off, &name, &dbs);
		if (!r)
			break;
		ndbs += r->state.db_count;
		nstr += (name ? r->name_size : 0) + r->dbs_size;
	}
	if (n != count) {
		free(buf);
		return JET_errDiskIO;	/* the kernel broke its format */
	}
	need = count * sizeof(*info) + 3 * ndbs * sizeof(char *) + nstr;
	info = malloc(need);
	if (!info) {
		free(buf);
		return JET_errOutOfMemory;
	}
	ptrs = (char **)(info + count);
	str = (char *)(ptrs + 3 * ndbs);

	for (off = 0, n = 0; n < count; n++) {
		JET_INSTANCE_INFO *ii = &info[n];

		r = libjet_next_record(buf, size, &off, &name, &dbs);
		ii->hInstanceId = (JET_INSTANCE)r->state.instance;
		ii->szInstanceName = NULL;
		if (name) {
			ii->szInstanceName = memcpy(str, name, r->name_size);
			str += r->name_size;
		}
		ii->cDatabases = r->state.db_count;
		ii->szDatabaseFileName = NULL;
		ii->szDatabaseDisplayName = NULL;
		ii->szDatabaseSLVFileName_Obsolete = NULL;
		if (!ii->cDatabases)
			continue;
		ii->szDatabaseFileName = ptrs;
		ii->szDatabaseDisplayName = ptrs + ii->cDatabases;
		ii->szDatabaseSLVFileName_Obsolete = ptrs + 2 * ii->cDatabases;
		memcpy(str, dbs, r->dbs_size);
		for (i = 0; i < ii->cDatabases; i++) {
			ii->szDatabaseFileName[i] = str;
			ii->szDatabaseDisplayName[i] = str;
			ii->szDatabaseSLVFileName_Obsolete[i] = NULL;
			str += strlen(str) + 1;
		}
		ptrs += 3 * ii->cDatabases;
	}
	free(buf);
	*pcInstanceInfo = count;
	*paInstanceInfo = info;
	return JET_errSuccess;
}

JET_ERR JetGetInstanceByName(const char *szInstanceName,
			     unsigned long uidOwner, JET_INSTANCE *pinstance,
			     unsigned long *puidActual)
{
	const struct jet_instance_record *r;
	const char *name, *dbs;
	unsigned int count, n;
	size_t size, off = 0;
	JET_ERR err;
	void *buf;

	if (!szInstanceName || !*szInstanceName || !pinstance)
		return JET_errInvalidParameter;
	*pinstance = 0;
	err = libjet_list_records(&buf, &size, &count);
	if (err)
		return err;
	/* names are unique in a namespace: the first match is the one */
	err = JET_errInvalidParameter;
	for (n = 0; n < count; n++) {
		r = libjet_next_record(buf, size, &off, &name, &dbs);
		if (!r) {
			err = JET_errDiskIO;	/* the kernel broke its format */
			break;
		}
		if (!name || strcmp(name, szInstanceName))
			continue;
		if (puidActual)
			*puidActual = r->state.owner_uid;
		if (uidOwner != JET_uidAnyOwner &&
		    r->state.owner_uid != uidOwner) {
			err = JET_errFileAccessDenied;
			break;
		}
		*pinstance = (JET_INSTANCE)r->state.instance;
		err = JET_errSuccess;
		break;
	}
	free(buf);
	return err;
}

JET_ERR JetFreeBuffer(char *pbBuf)
{
	free(pbBuf);
	return JET_errSuccess;
}
