// SPDX-License-Identifier: MIT
/*
 * test_sha256.c - the libcrypto wrapper (sha256.c) against the FIPS 180-2
 * appendix B vectors, fed whole and in awkward pieces (run.sh also compares
 * it with sha256sum(1) on a backup). Prints one "ok"/"not ok" line per
 * check; exit 0 when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sha256.h"

static int failed, passed;

static void check(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want)) {
		printf("not ok %s: got %s want %s\n", what, got, want);
		failed++;
	} else {
		printf("ok %s\n", what);
		passed++;
	}
}

static void hash_pieces(const char *msg, size_t len, size_t piece,
			char hex[SHA256_HEX_SIZE])
{
	struct sha256 s;
	size_t off, n;

	if (sha256_init(&s)) {
		snprintf(hex, SHA256_HEX_SIZE, "init failed");
		return;
	}
	for (off = 0; off < len; off += n) {
		n = piece && piece < len - off ? piece : len - off;
		sha256_update(&s, msg + off, n);
	}
	if (sha256_final_hex(&s, hex))
		snprintf(hex, SHA256_HEX_SIZE, "final failed");
}

int main(void)
{
	static const struct {
		const char *name, *msg, *hex;
	} v[] = {
		{ "empty", "",
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "abc",
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "448-bit", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "896-bit", "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	static const size_t pieces[] = { 0, 1, 3, 55, 63, 64, 65 };
	char hex[SHA256_HEX_SIZE], what[64];
	size_t i, j, n = 1000000;
	char *a;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (j = 0; j < sizeof(pieces) / sizeof(pieces[0]); j++) {
			hash_pieces(v[i].msg, strlen(v[i].msg), pieces[j], hex);
			snprintf(what, sizeof(what), "sha256 %s in pieces of %zu",
				 v[i].name, pieces[j]);
			check(what, hex, v[i].hex);
		}

	/* One million 'a': many blocks, crossing every boundary. */
	a = malloc(n);
	if (!a)
		return 1;
	memset(a, 'a', n);
	hash_pieces(a, n, 4097, hex);
	check("sha256 million a", hex,
	      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

	/* Lengths 0..200 end the padding in every position of a block; compare
	 * one-shot with byte-by-byte, which takes the other code path.
	 */
	for (i = 0; i <= 200; i++) {
		char whole[SHA256_HEX_SIZE];

		hash_pieces(a, i, 0, whole);
		hash_pieces(a, i, 1, hex);
		if (strcmp(whole, hex)) {
			snprintf(what, sizeof(what), "sha256 length %zu", i);
			check(what, hex, whole);
		}
	}
	check("sha256 lengths 0..200 agree", "", "");

	/* the one-shot helper, and a context freed without a digest */
	if (sha256_hex(a, n, hex))
		snprintf(hex, sizeof(hex), "failed");
	check("sha256_hex million a", hex,
	      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	{
		struct sha256 s;

		if (!sha256_init(&s)) {
			sha256_update(&s, a, 10);
			sha256_free(&s);
			sha256_free(&s);
		}
		check("sha256_free twice is harmless", "", "");
	}
	free(a);

	return failed ? 1 : 0;
}
