// SPDX-License-Identifier: GPL-2.0
/*
 * Cache-neutral backups (jet(4), "The page cache"): a backup leaves the
 * page cache of the files it reads as it found it. Pages that were
 * resident before the backup stay resident; pages only the backup brought
 * in are gone once it has copied them (or closed the file); the copy is
 * byte for byte the file. With JET_bitBackupCacheWarm the owner opts out:
 * what the backup read stays cached.
 *
 * The file lives on the VM's ext4 disk (jet_disk.h): tmpfs pages are always
 * resident, so only a file system with a page cache in front of a disk
 * shows anything. Residency is read with mincore(2), which changes
 * nothing; nothing here depends on timing (the owner's reads wait for
 * their pages, and the module waits for its own readahead before dropping
 * it at close).
 *
 * Each test runs for every way of reading: 64 KiB and 1 MiB calls of
 * JetReadFileInstance, calls of a size that splits pages (100003 bytes),
 * and sendfile(2) from the backup descriptor.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/sendfile.h>

#include "jet_test.h"
#include "jet_disk.h"
#include "kselftest_harness.h"

#define FILE_SIZE	(8u << 20)
#define PAGE		4096u
#define NPAGES		(FILE_SIZE / PAGE)

/* the bytes jt_make_file() writes for a seed, generated again in order */
struct pattern {
	uint32_t x;
};

static void pattern_init(struct pattern *p, uint32_t seed)
{
	p->x = seed * 2654435761u + 1;
}

/* 1 when buf holds the next n bytes of the pattern */
static int pattern_match(struct pattern *p, const char *buf, size_t n)
{
	int same = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		p->x ^= p->x << 13;
		p->x ^= p->x >> 17;
		p->x ^= p->x << 5;
		same &= buf[i] == (char)p->x;
	}
	return same;
}

enum how { READ_CALLS, SENDFILE };

FIXTURE(cache) {
	int no_disk;
	char path[128];
	char out[64];
	char name[64];
	uint32_t seed;
	JET_INSTANCE inst;
	JET_SESID ses;
	unsigned char before[NPAGES];
	unsigned char after[NPAGES];
	long nbefore;
};

FIXTURE_VARIANT(cache) {
	enum how how;
	unsigned long cb;	/* READ_CALLS: bytes per call */
};

FIXTURE_VARIANT_ADD(cache, read_64k) { .how = READ_CALLS, .cb = 64u << 10 };
FIXTURE_VARIANT_ADD(cache, read_1m) { .how = READ_CALLS, .cb = 1u << 20 };
FIXTURE_VARIANT_ADD(cache, read_split_pages) {
	.how = READ_CALLS, .cb = 100003,
};
FIXTURE_VARIANT_ADD(cache, sendfile) { .how = SENDFILE };

/*
 * The owner's hot set: reads here and there, across chunk boundaries and
 * at the last page. POSIX_FADV_RANDOM makes each read bring in just its
 * pages, and wait for them: readahead still in flight would be in the page
 * cache (the kernel's, and the backup's, view) but not yet "resident" to
 * mincore(2), which counts only pages read in. What is resident after
 * these reads is the "before".
 */
static int read_hot_set(const char *path)
{
	static const uint64_t at[] = {
		0, (1u << 20) - PAGE, (1u << 20) + PAGE, 3u << 20,
		(5u << 20) + 512 * 1024 + 100, (6u << 20) + 3 * PAGE,
		FILE_SIZE - PAGE,
	};
	char buf[48 * 1024];
	unsigned int i;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = !posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		ok &= pread(fd, buf, sizeof(buf), at[i]) > 0;
	close(fd);
	return ok ? 0 : -1;
}

FIXTURE_SETUP(cache)
{
	int ret = jt_disk_mount();

	if (ret == -ENODEV) {
		self->no_disk = 1;
		SKIP(return, "the VM has no virtio disk (%s)", JT_DISK_SERIAL);
	}
	ASSERT_EQ(0, ret) TH_LOG("mount %s: %s", JT_DISK_MNT, strerror(-ret));
	snprintf(self->path, sizeof(self->path), "%s/cache_test-%d.edb",
		 JT_DISK_MNT, (int)getpid());
	snprintf(self->out, sizeof(self->out), "/tmp/cache_test-%d.out",
		 (int)getpid());
	self->seed = jt_seed_of(42);
	ASSERT_EQ(0, jt_make_file(self->path, FILE_SIZE, self->seed));
	ASSERT_EQ(0, jt_uncache(self->path));
	ASSERT_EQ(0, jt_resident_path(self->path, FILE_SIZE, NULL))
		TH_LOG("the new file is still cached after POSIX_FADV_DONTNEED");

	ASSERT_EQ(0, read_hot_set(self->path));
	self->nbefore = jt_resident_path(self->path, FILE_SIZE, self->before);
	ASSERT_LT(0, self->nbefore);
	ASSERT_GT(NPAGES / 2, self->nbefore)
		TH_LOG("the hot set is %ld of %u pages: too big to tell",
		       self->nbefore, NPAGES);

	snprintf(self->name, sizeof(self->name), "jet-cache-%d",
		 (int)getpid());
	ASSERT_JET(0, JetCreateInstance(&self->inst, self->name));
	ASSERT_JET(0, JetInit(&self->inst));
	ASSERT_JET(0, JetBeginSession(self->inst, &self->ses, NULL, NULL));
	ASSERT_JET(0, JetAttachDatabase(self->ses, self->path, 0));
}

FIXTURE_TEARDOWN(cache)
{
	if (self->no_disk)
		return;
	if (self->inst)
		JetTerm(self->inst);
	unlink(self->path);
	unlink(self->out);
}

#define NEED_DISK() do {						\
	if (self->no_disk)						\
		SKIP(return, "the VM has no virtio disk");		\
} while (0)

/*
 * Backs up the first `len` bytes of the database the variant's way, checks
 * them against the pattern (*same), closes the file and ends the backup.
 * Returns 0, or -1 after logging what failed.
 */
static int backup(struct __test_metadata *_metadata,
		  FIXTURE_DATA(cache) *self,
		  const FIXTURE_VARIANT(cache) *variant, uint64_t len,
		  int *same)
{
	unsigned long lo, hi, got, cb = variant->cb;
	struct pattern pat;
	uint64_t done = 0;
	JET_HANDLE hf;
	char *buf;
	int ofd = -1, ret = -1;
	long err;

	*same = 1;
	pattern_init(&pat, self->seed);
	err = JetBeginExternalBackupInstance(self->inst, 0);
	if (!err)
		err = JetOpenFileInstance(self->inst, self->path, &hf, &lo,
					  &hi);
	if (err) {
		TH_LOG("begin and open: %s", JetErrorName(err));
		return -1;
	}
	buf = malloc(variant->how == SENDFILE ? 1u << 20 : cb);
	if (!buf)
		goto out;
	if (variant->how == SENDFILE) {
		ofd = open(self->out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0600);
		while (ofd >= 0 && done < len) {
			ssize_t n = sendfile(ofd, (int)hf, NULL, len - done);

			if (n <= 0) {
				TH_LOG("sendfile at %llu: %zd (%s)",
				       (unsigned long long)done, n,
				       strerror(errno));
				goto out;
			}
			done += n;
		}
		/* the copy, read back from tmpfs */
		for (uint64_t off = 0; ofd >= 0 && off < done;) {
			ssize_t n = pread(ofd, buf, 1u << 20, off);

			if (n <= 0)
				goto out;
			*same &= pattern_match(&pat, buf, n);
			off += n;
		}
	} else {
		while (done < len) {
			unsigned long want = len - done < cb ? len - done : cb;

			err = JetReadFileInstance(self->inst, hf, buf, want,
						  &got);
			if (err || !got) {
				TH_LOG("read at %llu: %s, %lu bytes",
				       (unsigned long long)done,
				       JetErrorName(err), got);
				goto out;
			}
			*same &= pattern_match(&pat, buf, got);
			done += got;
		}
	}
	ret = done == len ? 0 : -1;
out:
	if (ofd >= 0)
		close(ofd);
	free(buf);
	/* at close the module drops what it read ahead and did not copy */
	JetCloseFileInstance(self->inst, hf);
	JetEndExternalBackupInstance2(self->inst, JET_bitBackupEndAbort);
	return ret;
}

/* pages of [first, last) resident in v */
static long count(const unsigned char *v, long first, long last)
{
	long n = 0, i;

	for (i = first; i < last; i++)
		n += v[i] & 1;
	return n;
}

/* pages resident in before but not in after (want 0) */
static long lost(FIXTURE_DATA(cache) *self)
{
	long n = 0, i;

	for (i = 0; i < (long)NPAGES; i++)
		n += (self->before[i] & 1) && !(self->after[i] & 1);
	return n;
}

/* pages of [first, last) resident in after but not in before */
static long brought(FIXTURE_DATA(cache) *self, long first, long last)
{
	long n = 0, i;

	for (i = first; i < last; i++)
		n += !(self->before[i] & 1) && (self->after[i] & 1);
	return n;
}

/* the first run of such pages, for the log */
static void brought_where(FIXTURE_DATA(cache) *self, long *first, long *n)
{
	long i;

	*first = -1;
	*n = 0;
	for (i = 0; i < (long)NPAGES; i++) {
		int b = !(self->before[i] & 1) && (self->after[i] & 1);

		if (b && *first < 0)
			*first = i;
		if (b)
			++*n;
		else if (*first >= 0)
			break;
	}
}

TEST_F(cache, resident_pages_stay_resident)
{
	int same;

	NEED_DISK();
	ASSERT_EQ(0, backup(_metadata, self, variant, FILE_SIZE, &same));
	ASSERT_LE(0, jt_resident_path(self->path, FILE_SIZE, self->after));
	EXPECT_EQ(0, lost(self))
		TH_LOG("%ld of the %ld pages resident before are gone",
		       lost(self), self->nbefore);
}

TEST_F(cache, pages_the_backup_brought_in_are_dropped)
{
	long first, n;
	int same;

	NEED_DISK();
	ASSERT_EQ(0, backup(_metadata, self, variant, FILE_SIZE, &same));
	ASSERT_LE(0, jt_resident_path(self->path, FILE_SIZE, self->after));
	brought_where(self, &first, &n);
	EXPECT_EQ(0, brought(self, 0, NPAGES))
		TH_LOG("%ld pages the backup read are still cached (%ld before, %ld after), the first %ld from page %ld",
		       brought(self, 0, NPAGES), self->nbefore,
		       count(self->after, 0, NPAGES), n, first);
}

TEST_F(cache, backup_copy_is_byte_identical)
{
	int same = 0;

	NEED_DISK();
	ASSERT_EQ(0, backup(_metadata, self, variant, FILE_SIZE, &same));
	EXPECT_EQ(1, same);
}

/* a backup stopped halfway leaves nothing it read, not even read ahead */
TEST_F(cache, closing_midway_drops_what_was_read_ahead)
{
	long first, n;
	int same;

	NEED_DISK();
	ASSERT_EQ(0, backup(_metadata, self, variant, FILE_SIZE / 2 + 12345,
			    &same));
	EXPECT_EQ(1, same);
	ASSERT_LE(0, jt_resident_path(self->path, FILE_SIZE, self->after));
	EXPECT_EQ(0, lost(self));
	brought_where(self, &first, &n);
	EXPECT_EQ(0, brought(self, 0, NPAGES))
		TH_LOG("%ld pages the backup read (or read ahead) are still cached, the first %ld from page %ld",
		       brought(self, 0, NPAGES), n, first);
}

TEST_F(cache, warm_mode_keeps_what_the_backup_read)
{
	int same = 0;

	NEED_DISK();
	ASSERT_JET(0, JetSetBackupCacheInstance(self->inst,
						JET_bitBackupCacheWarm));
	ASSERT_EQ(0, backup(_metadata, self, variant, FILE_SIZE, &same));
	EXPECT_EQ(1, same);
	EXPECT_EQ(NPAGES, jt_resident_path(self->path, FILE_SIZE, NULL));
}

/* ---- the setting itself ---- */

FIXTURE(setting) {
	char name[64];
	JET_INSTANCE inst;
};

FIXTURE_SETUP(setting)
{
	snprintf(self->name, sizeof(self->name), "jet-cache-set-%d",
		 (int)getpid());
	ASSERT_JET(0, JetCreateInstance(&self->inst, self->name));
	ASSERT_JET(0, JetInit(&self->inst));
}

FIXTURE_TEARDOWN(setting)
{
	JetTerm(self->inst);
}

static unsigned int state_flags(JET_INSTANCE inst)
{
	JET_INSTANCE_STATE st;

	if (JetGetInstanceStateInstance(inst, &st))
		return ~0u;
	return st.flags;
}

TEST_F(setting, state_shows_the_warm_cache_setting)
{
	EXPECT_EQ(0, state_flags(self->inst) & JET_INSTANCE_STATE_CACHE_WARM);
	ASSERT_JET(0, JetSetBackupCacheInstance(self->inst,
						JET_bitBackupCacheWarm));
	EXPECT_EQ(JET_INSTANCE_STATE_CACHE_WARM,
		  state_flags(self->inst) & JET_INSTANCE_STATE_CACHE_WARM);
	ASSERT_JET(0, JetSetBackupCacheInstance(self->inst, 0));
	EXPECT_EQ(0, state_flags(self->inst) & JET_INSTANCE_STATE_CACHE_WARM);
}

TEST_F(setting, unknown_grbit_is_invalid_grbit)
{
	EXPECT_JET(JET_errInvalidGrbit,
		   JetSetBackupCacheInstance(self->inst, 0x2));
	EXPECT_EQ(0, state_flags(self->inst) & JET_INSTANCE_STATE_CACHE_WARM);
}

/* the module's own check, under libjet's */
TEST_F(setting, unknown_grbit_in_the_ioctl_is_einval)
{
	struct jet_instance_op op = { .instance = self->inst, .grbit = 0x2 };
	int fd;

	JetGetNotificationFd(&fd);	/* the owner's own context */
	EXPECT_EQ(-EINVAL, jt_ioctl(fd, JET_IOC_SET_BACKUP_CACHE, &op));
	EXPECT_EQ(0, state_flags(self->inst) & JET_INSTANCE_STATE_CACHE_WARM);
}

TEST_F(setting, another_context_is_refused)
{
	struct jet_instance_op op = {
		.instance = self->inst, .grbit = JET_BACKUP_CACHE_WARM,
	};
	int fd = jt_raw_open();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EACCES, jt_ioctl(fd, JET_IOC_SET_BACKUP_CACHE, &op));
	close(fd);
	EXPECT_EQ(0, state_flags(self->inst) & JET_INSTANCE_STATE_CACHE_WARM);
}

TEST_HARNESS_MAIN
