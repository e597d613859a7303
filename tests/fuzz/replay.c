/* replay.c: runs a fuzz target over every file of its seed corpus, one TAP line each, so
 * `make check` replays what the fuzzers found.  FUZZ_TARGET names the corpus directory:
 * $top_srcdir/tests/fuzz/corpus/FUZZ_TARGET (or the directories and files given).  */
#include "config.h"
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int n;

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		printf("not ok %d - cannot read %s\n", ++n, path);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	/* Reaching here is the test: a crash or sanitizer report never prints this line. */
	printf("ok %d - %s\n", ++n, path);
	fflush(stdout);
	return 0;
}

static int
replay(const char *path)
{
	struct stat st;
	struct dirent **names;
	int count, bad = 0;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((count = scandir(path, &names, NULL, alphasort)) < 0) {
		printf("not ok %d - cannot list %s\n", ++n, path);
		return 1;
	}
	for (int i = 0; i < count; i++) {
		char child[4096];
		if (names[i]->d_name[0] != '.') {
			snprintf(child, sizeof child, "%s/%s", path, names[i]->d_name);
			bad |= replay_file(child);
		}
		free(names[i]);
	}
	free(names);
	return bad;
}

int
main(int argc, char **argv)
{
	int bad = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			bad |= replay(argv[i]);
	} else {
		const char *top = getenv("top_srcdir");
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_TARGET);
		bad = replay(dir);
	}
	printf("1..%d\n", n);
	return bad;
}
