// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers shared by the ioctl handlers.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "jet.h"

/*
 * Copy a NUL-terminated string of at most @max bytes from userspace.
 *
 * The string is read once, into a buffer of max + 1 bytes, so a thread that
 * rewrites it meanwhile cannot make the length and the bytes disagree. The
 * result is then trimmed to its length: names and paths live as long as
 * their instance.
 */
int jet_strndup_user(u64 uptr, size_t max, char **out)
{
	char *buf;
	long len;

	*out = NULL;
	if (!uptr)
		return 0;

	buf = kmalloc(max + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	len = strncpy_from_user(buf, u64_to_user_ptr(uptr), max + 1);
	if (len < 0) {
		kfree(buf);
		return -EFAULT;
	}
	if ((size_t)len > max) {
		kfree(buf);
		return -ENAMETOOLONG;
	}

	*out = kmemdup(buf, len + 1, GFP_KERNEL_ACCOUNT);
	kfree(buf);
	return *out ? 0 : -ENOMEM;
}

/* A count in an XArray of xa_mk_value()s, under the caller's lock. */
unsigned long jet_count_get(struct xarray *xa, unsigned long index)
{
	void *entry = xa_load(xa, index);

	return entry ? xa_to_value(entry) : 0;
}

/* Only raising a count can fail (-ENOMEM); 0 erases the entry. */
int jet_count_set(struct xarray *xa, unsigned long index, unsigned long count)
{
	if (!count) {
		xa_erase(xa, index);
		return 0;
	}
	return xa_err(xa_store(xa, index, xa_mk_value(count),
			       GFP_KERNEL_ACCOUNT));
}
