// SPDX-License-Identifier: GPL-2.0
/*
 * list_records_test - JET_IOC_LIST_INSTANCES carries a record bigger than
 * the kernel's first buffer (4 KiB, kmod/list.c) whole: an instance whose
 * database names alone take more than a page is listed with every name.
 *
 * The database names are the owner's (the kernel keeps the name it is
 * given with each descriptor), so two long names on one small file do.
 */
#include "jet_test.h"
#include "kselftest_harness.h"

#define NAME_LEN	3000	/* two of them: more than a page */

FIXTURE(lrec) {
	char dir[64];
	char file[128];
	char names[2][NAME_LEN + 1];
	int own;
	uint64_t inst;
};

FIXTURE_SETUP(lrec)
{
	struct jet_attach a = { 0 };
	char name[64];
	int i;

	strcpy(self->dir, "/tmp/jet-lrec-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->file, sizeof(self->file), "%s/db.edb", self->dir);
	self->own = jt_raw_open();
	ASSERT_LE(0, self->own);
	snprintf(name, sizeof(name), "lrec-%d", getpid());
	ASSERT_EQ(0, jt_raw_create(self->own, name, NULL, &self->inst));
	ASSERT_EQ(0, jt_raw_init(self->own, self->inst, 0, NULL));
	a.fd = jt_open_new_file(self->file, 4096, 2);
	ASSERT_LE(0, a.fd);
	a.instance = self->inst;
	for (i = 0; i < 2; i++) {
		snprintf(self->names[i], sizeof(self->names[i]), "%s/%c",
			 self->dir, 'a' + i);
		memset(self->names[i] + strlen(self->names[i]), 'x',
		       NAME_LEN - strlen(self->names[i]));
		self->names[i][NAME_LEN] = 0;
		a.name = (uintptr_t)self->names[i];
		ASSERT_EQ(0, jt_ioctl(self->own, JET_IOC_ATTACH_DB, &a));
	}
	close(a.fd);
}

FIXTURE_TEARDOWN(lrec)
{
	close(self->own);
	jt_rm_tree(self->dir);
}

TEST_F(lrec, record_bigger_than_a_page_is_listed_whole)
{
	const struct jet_instance_record *rec = NULL;
	struct jt_list l;
	unsigned int i, off;
	const char *p;

	ASSERT_EQ(0, jt_list_read(&l, 1024 * 1024));
	for (i = 0, off = 0; i < l.count && off < l.size; i++) {
		const struct jet_instance_record *r =
			(const void *)(l.buf + off);

		if (r->state.instance == self->inst)
			rec = r;
		off += r->record_size;
	}
	ASSERT_NE(NULL, rec);
	EXPECT_LT(4096, rec->record_size);
	EXPECT_EQ(2, rec->state.db_count);
	EXPECT_EQ(2 * (NAME_LEN + 1), rec->dbs_size);
	p = (const char *)(rec + 1) + rec->name_size + rec->display_size;
	EXPECT_STREQ(self->names[0], p);
	EXPECT_STREQ(self->names[1], p + NAME_LEN + 1);
	free(l.buf);
}

TEST_HARNESS_MAIN
