// SPDX-License-Identifier: MIT
/*
 * jetctl_verify.c - "jetctl verify": does a backup still hold what it
 * wrote? Every file that MANIFEST lists is hashed again and compared by
 * size and SHA-256, and SHA256SUMS with the digest MANIFEST keeps for it.
 * A directory or a tar stream; needs no /dev/jet, so a backup can be
 * checked anywhere.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "jetctl.h"
#include "source.h"

const char jetctl_verify_help[] =
"Usage: jetctl verify DIR [OPTIONS]\n"
"       jetctl verify -i -|FILE [OPTIONS]\n"
"Check a backup against its MANIFEST: every file's size and SHA-256, and\n"
"SHA256SUMS. DIR is a backup directory; -i reads a tar stream from a file\n"
"or, with -, from standard input.\n"
"\n"
"Options:\n"
"  -i, --input=-|FILE  a tar stream of jetctl backup -o\n"
"  -q, --quiet         no progress output\n"
"  -j, --json          the result as JSON\n"
"  -h, --help          this text\n"
"\n"
"Exit: 0 all match, 4 a file differs or is missing or the manifest is\n"
"damaged, 5 the backup did not complete (it cannot be restored), 2 error.\n";

static json_t *json_files(const struct source *s)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a && i < s->nfiles; i++) {
		const struct file_result *f = &s->files[i];

		if (f->e)
			o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}",
				      "name", f->name, "kind", f->e->kind,
				      "generation", (json_int_t)f->e->generation,
				      "size", (json_int_t)f->e->size,
				      "sha256", f->e->sha256,
				      "result", file_state_word(f->state));
		else
			o = json_pack("{s:s, s:s}", "name", f->name,
				      "result", file_state_word(f->state));
		if (o && (f->state == FILE_SIZE || f->state == FILE_DIGEST ||
			  f->state == FILE_EXTRA) && f->sha256[0]) {
			json_object_set_new(o, "found_size",
					    json_integer((json_int_t)f->size));
			json_object_set_new(o, "found_sha256",
					    json_string(f->sha256));
		} else if (o && f->state == FILE_SIZE) {
			json_object_set_new(o, "found_size",
					    json_integer((json_int_t)f->size));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static void print_json(const struct source *s, const char *result,
		       uint64_t bytes)
{
	uint64_t low, high;
	json_t *o;

	o = json_pack("{s:s, s:s}", "backup", s->path, "result", result);
	if (!o || !s->have_manifest) {
		jetctl_json_print(o, stdout);
		return;
	}
	json_object_set_new(o, "status", json_string(s->man.status ?
						     s->man.status : ""));
	json_object_set_new(o, "type", json_string(s->man.type ?
						   s->man.type : ""));
	json_object_set_new(o, "instance", json_string(s->man.instance ?
						       s->man.instance : ""));
	if (manifest_generations(&s->man, &low, &high))
		json_object_set_new(o, "generations",
				    json_pack("{s:I, s:I}", "low",
					      (json_int_t)low, "high",
					      (json_int_t)high));
	if (s->nfiles) {
		json_object_set_new(o, "bytes", json_integer((json_int_t)bytes));
		json_object_set_new(o, "files", json_files(s));
	}
	if (s->man.sha256sums)
		json_object_set_new(o, "sha256sums",
				    json_string(file_state_word(s->sums)));
	jetctl_json_print(o, stdout);
}

static const char *load_result(int rc)
{
	return rc == JETCTL_EXIT_INCOMPLETE ? "incomplete" :
	       rc == JETCTL_EXIT_MISMATCH ? "damaged" : "error";
}

int jetctl_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "input", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool quiet = false, json = jetctl_json;
	const char *input = NULL, *path;
	struct progress prog;
	struct source s;
	uint64_t bytes = 0;
	char total[16];
	size_t i, bad, nlisted;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "qi:j", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'i':
			input = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return jetctl_bad_option("verify", argv[optind - 1]);
		}
	}
	if (argc - optind != (input ? 0 : 1))
		return jetctl_usage_error(argc - optind < 1 ?
					  "verify: which backup? (DIR, or -i FILE|-)" :
					  "verify: too many arguments");
	path = input ? input : argv[optind];
	/* a bar on a terminal; in a log, the verdict lines are enough */
	progress_init(&prog, quiet || json || !isatty(STDERR_FILENO));
	if (source_init(&s, path, input != NULL, &prog))
		return jetctl_sys_error("verify");

	rc = source_load(&s, "verify", -1);
	if (rc) {
		if (json)
			print_json(&s, load_result(rc), 0);
		source_free(&s);
		return rc;
	}
	/* a stopped backup: one line, the one thing that matters */
	if (!manifest_complete(&s.man)) {
		if (json)
			print_json(&s, "incomplete", 0);
		else
			printf("INCOMPLETE %s: the backup did not complete (%s); it cannot be restored\n",
			       path, s.man.status ? s.man.status :
			       "no status recorded");
		source_free(&s);
		return JETCTL_EXIT_INCOMPLETE;
	}
	rc = source_check_files(&s, "verify", -1, NULL);
	if (rc) {
		source_free(&s);
		return rc;
	}
	bad = source_report(&s, !json);
	nlisted = s.man.count;
	for (i = 0; i < s.nfiles; i++)
		if (s.files[i].state == FILE_OK)
			bytes += s.files[i].size;
	if (json)
		print_json(&s, bad ? "mismatch" : "ok", bytes);
	else if (!bad)
		printf("%s: %zu file%s, %s (%" PRIu64 " bytes): all match\n",
		       path, nlisted, nlisted == 1 ? "" : "s",
		       jetctl_fmt_bytes(bytes, total, sizeof(total)), bytes);
	else
		printf("%s: %zu of %zu file%s do%s not match\n", path, bad,
		       nlisted + (s.man.sha256sums ? 1 : 0),
		       nlisted + (s.man.sha256sums ? 1 : 0) == 1 ? "" : "s",
		       bad == 1 ? "es" : "");
	source_free(&s);
	return bad ? JETCTL_EXIT_MISMATCH : JETCTL_EXIT_OK;
}
