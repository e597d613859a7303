/* fsutil.c: safe file input and atomic output; see fsutil.h. */
#include "config.h"
#include "fsutil.h"
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *
fs_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash != NULL ? slash + 1 : path;
}

int
fs_read_file(const char *path, const char *what, size_t max, char **out, size_t *len)
{
	int r = P11BYOK_EUSAGE, fd = -1;
	char *buf = NULL;
	struct stat st;
	size_t got = 0;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		msg_err("cannot open %s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		msg_err("%s %s is not a regular file: give the path of a file", what, path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		msg_err("%s %s is too large (%lld bytes, at most %zu)", what, path,
		    (long long)st.st_size, max);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		msg_err("out of memory reading %s", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			msg_err("cannot read %s %s: %s", what, path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	buf = NULL;
	if (len != NULL)
		*len = got;
	r = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

static int
write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool force)
{
	int r = P11BYOK_EFAIL, fd = -1, dfd = -1;
	char *tmp = NULL, *dircopy = NULL;
	const char *dir;
	struct stat st;

	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			msg_err("cannot write %s: it is a directory; give a file name", path);
			return P11BYOK_EUSAGE;
		}
		if (!force) {
			msg_err("%s already exists: move it away or pass --force to replace it", path);
			return P11BYOK_EUSAGE;
		}
	}
	if ((dircopy = strdup(path)) == NULL ||
	    asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		msg_err("out of memory writing %s", path);
		goto out;
	}
	dir = dirname(dircopy);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		msg_err("cannot create a file in %s: %s; check the directory exists and is writable",
		    dir, strerror(errno));
		r = P11BYOK_EUSAGE;
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		msg_err("cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		msg_err("cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (force) {
		if (rename(tmp, path) < 0) {
			msg_err("cannot rename into %s: %s", path, strerror(errno));
			goto out;
		}
	} else if (link(tmp, path) < 0) {
		/* link() refuses an existing name atomically, closing the race with lstat(). */
		if (errno == EEXIST) {
			msg_err("%s already exists: move it away or pass --force to replace it", path);
			r = P11BYOK_EUSAGE;
		} else {
			msg_err("cannot create %s: %s", path, strerror(errno));
		}
		goto out;
	} else {
		unlink(tmp);
	}
	free(tmp);
	tmp = NULL;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		fsync(dfd);
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dircopy);
	return r;
}
