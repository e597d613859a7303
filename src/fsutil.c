/* fsutil.c: safe file input and atomic output; see fsutil.h. */
#include "config.h"
#include "fsutil.h"
#include "msg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

const char *
fs_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash != NULL ? slash + 1 : path;
}

/* The directories checked (fs_check_dir_writable) or locked (fs_lock_dir), as named then,
 * each with a descriptor kept open: kmdata, the cards directory, an output directory.  */
static struct {
	char *name;
	int fd;
} held[8];
static size_t nheld;

/* Keeps FD open as the directory DIR names now; a directory held already, or no room: FD is
 * closed (paths are then used as named, as before any check).  */
static void
hold(const char *dir, int fd)
{
	for (size_t i = 0; i < nheld; i++)
		if (strcmp(held[i].name, dir) == 0) {
			close(fd);
			return;
		}
	if (nheld == sizeof held / sizeof held[0] || (held[nheld].name = strdup(dir)) == NULL) {
		close(fd);
		return;
	}
	held[nheld++].fd = fd;
}

/* The directory descriptor and the name in it through which PATH is reached: a held
 * directory when PATH lies directly in it by the name it was held under, so its files are
 * opened, made, renamed and removed through the directory that was checked, whatever its
 * path names later; else the working directory (itself held by the process) and PATH.  */
static int
at_dir(const char *path, const char **name)
{
	*name = path;
	for (size_t i = 0; i < nheld; i++) {
		size_t n = strlen(held[i].name);
		const char *rest = path + n;
		if (strncmp(path, held[i].name, n) != 0 || *rest != '/')
			continue;
		while (*rest == '/')
			rest++;
		if (*rest == '\0' || strchr(rest, '/') != NULL)
			continue;
		*name = rest;
		return held[i].fd;
	}
	return AT_FDCWD;
}

int
fs_open_at(const char *path, int flags, mode_t mode)
{
	const char *name;
	int dfd = at_dir(path, &name);
	return openat(dfd, name, flags, mode);
}

int
fs_lstat(const char *path, struct stat *st)
{
	const char *name;
	int dfd = at_dir(path, &name);
	return fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW);
}

int
fs_unlink(const char *path)
{
	const char *name;
	int dfd = at_dir(path, &name);
	return unlinkat(dfd, name, 0);
}

/* mkostemp(3) through the held directory: TEMPLATE ends in XXXXXX, made 0600, never
 * through a link.  The descriptor, or -1 with errno.  */
static int
make_temp(char *template)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t len = strlen(template);
	unsigned char rnd[6];
	int fd = -1;

	if (len < 6 || strcmp(template + len - 6, "XXXXXX") != 0) {
		errno = EINVAL;
		return -1;
	}
	for (int tries = 0; tries < 100; tries++) {
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
			return -1;
		for (size_t i = 0; i < 6; i++)
			template[len - 6 + i] = chars[rnd[i] % (sizeof chars - 1)];
		fd = fs_open_at(template, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
fs_open_input(const char *path, const char *what)
{
	struct stat st;
	int fd, flags;

	/* O_NONBLOCK: a FIFO without a writer must be refused, not waited on. */
	if ((fd = fs_open_at(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0)) < 0) {
		msg_err("cannot open %s %s: %s; check the path", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		msg_err("cannot read %s %s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		msg_err("%s %s is %s: give the path of a file", what, path,
		    S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		close(fd);
		return -1;
	}
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		msg_err("cannot read %s %s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
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
	if ((fd = fs_open_input(path, what)) < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		msg_err("cannot read %s %s: %s", what, path, strerror(errno));
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

int
fs_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

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

/* The output policy for what is at PATH now: nothing, or a regular file and FORCE.  A
 * symbolic link is neither followed (it could point anywhere) nor replaced (it may be
 * what the user meant to write through): the user gives the real path.  */
static int
check_existing(const char *path, bool force)
{
	struct stat st;

	if (fs_lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		msg_err("cannot write %s: %s; check the path", path, strerror(errno));
		return P11BYOK_EUSAGE;
	}
	if (S_ISDIR(st.st_mode)) {
		msg_err("cannot write %s: it is a directory; give a file name", path);
		return P11BYOK_EUSAGE;
	}
	if (S_ISLNK(st.st_mode)) {
		msg_err("cannot write %s: it is a symbolic link, and p11byok neither writes through "
		    "nor replaces links; give the real path", path);
		return P11BYOK_EUSAGE;
	}
	if (!S_ISREG(st.st_mode)) {
		msg_err("cannot write %s: it is not a regular file; give the path of a new file",
		    path);
		return P11BYOK_EUSAGE;
	}
	if (!force) {
		msg_err("%s already exists: move it away or pass --force to replace it", path);
		return P11BYOK_EUSAGE;
	}
	return 0;
}

/* One directory of the chain: owned by the user or root, and writable by nobody else; a
 * parent may be a root-owned sticky directory (/tmp), where nobody can move another's
 * entries.  Returns NULL when fine, else what is wrong.  */
static const char *
unsafe_dir(const struct stat *st, bool parent)
{
	static char why[128];
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		snprintf(why, sizeof why, "is owned by uid %lu, not by you",
		    (unsigned long)st->st_uid);
		return why;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0 ||
	    (parent && (st->st_mode & S_ISVTX) && st->st_uid == 0))
		return NULL;
	snprintf(why, sizeof why, "is writable by %s (mode %04o)", (st->st_mode & S_IWOTH) ?
	    "others" : "its group", (unsigned)(st->st_mode & 07777));
	return why;
}

int
fs_check_dir_private(const char *dir, const char *what)
{
	char *real = NULL, *slash;
	const char *why;
	bool parent = false;
	struct stat st;
	int r = P11BYOK_EUSAGE;

	if ((real = realpath(dir, NULL)) == NULL)
		return 0;	/* a missing directory is the caller's next error */
	for (;;) {
		const char *at = *real ? real : "/";
		if (stat(at, &st) != 0)
			break;
		if ((why = unsafe_dir(&st, parent)) != NULL) {
			if (!parent)
				msg_err("the %s %s %s: anyone who can write it can plant files p11byok "
				    "relies on; make it yours and chmod 700 it", what, dir, why);
			else
				msg_err("the %s %s lies under %s, which %s: anyone who can write it can "
				    "replace the directory; move it, or fix %s", what, dir, at, why, at);
			goto out;
		}
		if (*real == '\0' || (slash = strrchr(real, '/')) == NULL)
			break;
		*slash = '\0';	/* up one level; "" is the root */
		parent = true;
	}
	r = 0;
out:
	free(real);
	return r;
}

int
fs_check_dir_writable(const char *dir, const char *what, size_t reserve)
{
	char *probe = NULL;
	struct stat st;
	int r = P11BYOK_EUSAGE, fd = -1, dfd, e;

	if (stat(dir, &st) != 0) {
		msg_err("cannot use the %s %s: %s; create it or give another", what, dir,
		    strerror(errno));
		return P11BYOK_EUSAGE;
	}
	if (!S_ISDIR(st.st_mode)) {
		msg_err("the %s %s is not a directory: give a directory", what, dir);
		return P11BYOK_EUSAGE;
	}
	if ((r = fs_check_dir_private(dir, what)) != 0)
		return r;
	r = P11BYOK_EUSAGE;
	/* A file with no name (O_TMPFILE): a kill leaves nothing; the space stays reserved
	 * until close.  Where the file system lacks it, a named one unlinked at once.  */
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0 &&
	    (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		if (asprintf(&probe, "%s/.p11byok-probe.XXXXXX", dir) < 0) {
			msg_err("out of memory");
			return P11BYOK_EFAIL;
		}
		if ((fd = mkostemp(probe, O_CLOEXEC)) >= 0)
			unlink(probe);
	}
	if (fd < 0) {
		e = errno;
		goto fail;
	}
	if (reserve > 0 && (e = posix_fallocate(fd, 0, (off_t)reserve)) != 0)
		goto fail;
	r = 0;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		hold(dir, dfd);	/* checked: its files go through it from here */
	goto out;
fail:
	if (e == ENOSPC || e == EDQUOT || e == EFBIG) {
		/* EFBIG: the file size limit (ulimit -f) is below the reserve. */
		msg_err("the %s %s has no room for a %zu KiB file (%s): free some space or give "
		    "another directory; nothing was changed", what, dir, reserve / 1024,
		    strerror(e));
		r = P11BYOK_EENV;
	} else {
		msg_err("cannot write in the %s %s: %s; make it writable or give another "
		    "directory; nothing was changed", what, dir, strerror(e));
	}
out:
	if (fd >= 0)
		close(fd);
	free(probe);
	return r;
}

int
fs_check_output(const char *path, bool force, size_t reserve)
{
	char *copy;
	int r;

	if ((r = check_existing(path, force)) != 0)
		return r;
	if ((copy = strdup(path)) == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	r = fs_check_dir_writable(dirname(copy), "output directory", reserve);
	free(copy);
	return r;
}

int
fs_stage(struct fs_staged *st, const char *path, const void *data, size_t len, mode_t mode,
    bool force)
{
	int r, fd = -1;
	char *dircopy = NULL;

	st->path = path;
	st->tmp = NULL;
	st->force = force;
	if ((r = check_existing(path, force)) != 0)
		return r;
	r = P11BYOK_EFAIL;
	if (asprintf(&st->tmp, "%s.tmp.XXXXXX", path) < 0) {
		st->tmp = NULL;
		msg_err("out of memory writing %s", path);
		goto out;
	}
	if ((fd = make_temp(st->tmp)) < 0) {
		dircopy = strdup(path);
		msg_err("cannot create a file in %s: %s; check the directory exists and is writable",
		    dircopy ? dirname(dircopy) : path, strerror(errno));
		r = P11BYOK_EUSAGE;
		free(st->tmp);
		st->tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) < 0 || fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		msg_err("cannot write %s: %s; nothing was left there: free some space or "
		    "write elsewhere", path, strerror(errno));
		goto out;
	}
	r = close(fd);
	fd = -1;
	if (r < 0) {
		r = P11BYOK_EFAIL;
		msg_err("cannot write %s: %s; nothing was left there: free some space or "
		    "write elsewhere", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		fs_discard(st);
	free(dircopy);
	return r;
}

/* TMP renamed to NAME (both in DFD) unless NAME exists, atomically: renameat2's
 * RENAME_NOREPLACE, so a crash leaves one name or the other, never both; where the file
 * system lacks it, link (which refuses an existing name atomically) and unlink.  0, or -1
 * with errno (EEXIST when NAME exists).  */
static int
no_replace(int dfd, const char *tmp, const char *name)
{
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(dfd, tmp, dfd, name, 0) < 0)
		return -1;
	unlinkat(dfd, tmp, 0);
	return 0;
}

int
fs_commit(struct fs_staged *st)
{
	int r = P11BYOK_EFAIL, dfd;
	const char *tmp, *name;
	char *dircopy = NULL;

	dfd = at_dir(st->path, &name);
	(void)at_dir(st->tmp, &tmp);	/* beside PATH: the same directory */
	if (st->force) {
		if (renameat(dfd, tmp, dfd, name) < 0) {
			msg_err("cannot rename into %s: %s", st->path, strerror(errno));
			goto out;
		}
	} else if (no_replace(dfd, tmp, name) < 0) {
		if (errno == EEXIST) {
			msg_err("%s already exists: move it away or pass --force to replace it",
			    st->path);
			r = P11BYOK_EUSAGE;
		} else {
			msg_err("cannot create %s: %s", st->path, strerror(errno));
		}
		goto out;
	}
	free(st->tmp);
	st->tmp = NULL;
	if (dfd != AT_FDCWD)
		fsync(dfd);
	else if ((dircopy = strdup(st->path)) != NULL &&
	    (dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	r = 0;
out:
	fs_discard(st);
	free(dircopy);
	return r;
}

void
fs_discard(struct fs_staged *st)
{
	if (st->tmp != NULL) {
		fs_unlink(st->tmp);
		free(st->tmp);
		st->tmp = NULL;
	}
}

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool force)
{
	struct fs_staged st;
	int r;

	fs_sweep_staged(path);	/* what a write of PATH killed before its rename left */
	if ((r = fs_stage(&st, path, data, len, mode, force)) != 0)
		return r;
	return fs_commit(&st);
}

/* Calls FN with each name in PATH's directory that fs_stage gave a temp file of PATH
 * (exactly BASE.tmp.XXXXXX) and the directory's descriptor, until FN returns non-zero. */
static int
each_staged_name(const char *path, int (*fn)(int dfd, const char *name, void *arg),
    void *arg)
{
	char *dircopy = strdup(path);
	const char *base = fs_basename(path), *name;
	size_t blen = strlen(base);
	struct dirent *de;
	DIR *d = NULL;
	int dfd = at_dir(path, &name), fd, r = 0;

	/* The held directory through a descriptor of its own (readdir moves its offset). */
	if (dfd != AT_FDCWD && (fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0 &&
	    (d = fdopendir(fd)) == NULL)
		close(fd);
	if (d == NULL && (dfd != AT_FDCWD || dircopy == NULL ||
	    (d = opendir(dirname(dircopy))) == NULL)) {
		free(dircopy);
		return 0;
	}
	while (r == 0 && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, base, blen) == 0 &&
		    strncmp(de->d_name + blen, ".tmp.", 5) == 0 &&
		    strlen(de->d_name + blen + 5) == 6)
			r = fn(dirfd(d), de->d_name, arg);
	closedir(d);
	free(dircopy);
	return r;
}

static int
unlink_one(int dfd, const char *name, void *arg)
{
	(void)arg;
	unlinkat(dfd, name, 0);
	return 0;
}

void
fs_sweep_staged(const char *path)
{
	(void)each_staged_name(path, unlink_one, NULL);
}

struct staged_walk {
	const char *path;
	int (*match)(const char *tmp, void *arg);
	void *arg;
};

static int
match_one(int dfd, const char *name, void *arg)
{
	struct staged_walk *w = arg;
	char tmp[4200];
	const char *slash = strrchr(w->path, '/');

	(void)dfd;
	/* Named as fs_stage named it: PATH.tmp.XXXXXX beside PATH. */
	snprintf(tmp, sizeof tmp, "%.*s%s", slash ? (int)(slash - w->path + 1) : 0, w->path,
	    name);
	return w->match(tmp, w->arg);
}

int
fs_each_staged(const char *path, int (*match)(const char *tmp, void *arg), void *arg)
{
	struct staged_walk w = { path, match, arg };
	return each_staged_name(path, match_one, &w);
}

int
fs_commit_staged(const char *tmp, const char *path)
{
	struct fs_staged st = { .path = path, .tmp = strdup(tmp), .force = false };

	if (st.tmp == NULL) {
		msg_err("out of memory");
		return P11BYOK_EFAIL;
	}
	return fs_commit(&st);
}

int
fs_lock_dir(const char *dir, const char *what)
{
	static dev_t dev;	/* the directory this process holds (its fd stays open) */
	static ino_t ino;
	static bool locked;
	struct stat st;
	int fd, lockfd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		msg_err("cannot open the %s %s: %s", what, dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return P11BYOK_EENV;
	}
	/* The same directory by another name is still the one held. */
	if (locked && st.st_dev == dev && st.st_ino == ino) {
		close(fd);
		return 0;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			msg_err("the %s %s is in use by another p11byok command: let it finish, "
			    "then run this again", what, dir);
		else
			msg_err("cannot lock the %s %s: %s", what, dir, strerror(errno));
		close(fd);
		return P11BYOK_EENV;
	}
	dev = st.st_dev;
	ino = st.st_ino;
	locked = true;
	if ((lockfd = dup(fd)) >= 0)	/* the lock stays with FD, held to the end */
		hold(dir, lockfd);
	return 0;
}
