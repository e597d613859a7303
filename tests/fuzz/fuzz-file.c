/* fuzz-file.c: fuzz input as an in-memory file, or as a named file in a private directory;
 * see fuzz.h. */
#include "config.h"
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[4096];

int
fuzz_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	/* 0600, as a PIN file should be: secret_from_file warns of any other mode. */
	if (fchmod(fd, 0600) != 0 || write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* Empties and removes the directory: only the files fuzz_put wrote are in it. */
static void
remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096 + 256];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
				snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
				unlink(path);
			}
		closedir(d);
	}
	rmdir(dir);
}

const char *
fuzz_dir(void)
{
	const char *tmp;

	if (dir[0] != '\0')
		return dir;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof dir, "%s/p11byok-fuzz.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		dir[0] = '\0';
		return NULL;
	}
	atexit(remove_dir);
	return dir;
}

int
fuzz_put(const char *name, const uint8_t *data, size_t size)
{
	char path[4096 + 256];
	int fd, r = -1;

	if (fuzz_dir() == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (write(fd, data, size) == (ssize_t)size)
		r = 0;
	close(fd);
	return r;
}
