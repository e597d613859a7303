/* killpoint.c: an LD_PRELOAD library that kills the process with SIGKILL just before a
 * chosen file-system call, to test what a crash between two writes leaves and what the
 * next run does with it (a window no PKCS#11 call marks, so tests/faulty-pkcs11.so cannot
 * reach it).
 *
 *   KILLPOINT=CALL:SUFFIX:N   die before the Nth CALL on a path ending in SUFFIX
 *     CALL  append  open(2) or openat(2) with O_APPEND (an audit line about to be added)
 *           link    link(2), linkat(2) or renameat2(2), the new name (a staged file about
 *                   to be put in place)
 *   KILLPOINT=step:N          die before the Nth file-system step of any kind: an open for
 *                             writing, a link, a rename or an unlink (N 0: none), on a path
 *                             not under KILLPOINT_EXCLUDE (the module's own token files)
 *   KILLPOINT_LOG=FILE        append "N CALL PATH" for each step counted (step mode)
 *
 * With KILLPOINT_FAIL=1 the call fails with EIO instead (a disk that refuses the write),
 * and the process goes on.  Anything else passes straight through.  */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int seen, steps;

/* Counts and logs a step of step mode; whether it is the Nth. */
static int
step(const char *call, const char *path)
{
	const char *spec = getenv("KILLPOINT"), *ex = getenv("KILLPOINT_EXCLUDE");
	const char *log = getenv("KILLPOINT_LOG");
	int n;

	if (spec == NULL || sscanf(spec, "step:%d", &n) != 1 ||
	    (ex != NULL && *ex != '\0' && strncmp(path, ex, strlen(ex)) == 0))
		return 0;
	steps++;
	if (log != NULL) {
		int (*real_open)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(
		    RTLD_NEXT, "open");
		char line[4200];
		int fd = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			int len = snprintf(line, sizeof line, "%d %s %s\n", steps, call, path);
			if (len > 0 && write(fd, line, (size_t)len) < 0)
				len = 0;
			close(fd);
		}
	}
	return steps == n;
}

/* Whether this CALL on PATH is the one to die before. */
static int
is_killpoint(const char *call, const char *path)
{
	const char *spec = getenv("KILLPOINT");
	char want_call[16], suffix[256];
	size_t plen, slen;
	int n;

	if (spec == NULL || sscanf(spec, "%15[^:]:%255[^:]:%d", want_call, suffix, &n) != 3 ||
	    strcmp(want_call, call) != 0)
		return 0;
	plen = strlen(path);
	slen = strlen(suffix);
	return plen >= slen && strcmp(path + plen - slen, suffix) == 0 && ++seen == n;
}

/* Dies, or with KILLPOINT_FAIL set makes the call fail: returns -1 with errno EIO. */
static int
hit(void)
{
	if (getenv("KILLPOINT_FAIL") == NULL)
		kill(getpid(), SIGKILL);
	errno = EIO;
	return -1;
}

/* The mode argument an open takes when it may create the file. */
#define OPEN_MODE(flags, mode) do {					\
	if ((flags) & O_CREAT) {					\
		va_list ap;						\
		va_start(ap, flags);					\
		(mode) = (mode_t)va_arg(ap, int);			\
		va_end(ap);						\
	}								\
} while (0)

/* An open that may write: a step, and with O_APPEND an "append". */
static int
open_hit(const char *path, int flags)
{
	if ((flags & O_APPEND) && is_killpoint("append", path))
		return 1;
	return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_APPEND | O_TRUNC)) != 0 &&
	    step("open", path);
}

static int
forward_open(const char *name, const char *path, int flags, mode_t mode)
{
	int (*real)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT,
	    name);
	if (open_hit(path, flags))
		return hit();
	return real(path, flags, mode);
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, mode);
	return forward_open("open", path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, mode);
	return forward_open("open64", path, flags, mode);
}

/* p11byok opens and links kmdata's files through the directory it holds (fsutil.h). */
static int
forward_openat(const char *name, int dfd, const char *path, int flags, mode_t mode)
{
	int (*real)(int, const char *, int, ...) = (int (*)(int, const char *, int, ...))dlsym(
	    RTLD_NEXT, name);
	if (open_hit(path, flags))
		return hit();
	return real(dfd, path, flags, mode);
}

int
openat(int dfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, mode);
	return forward_openat("openat", dfd, path, flags, mode);
}

int
openat64(int dfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, mode);
	return forward_openat("openat64", dfd, path, flags, mode);
}

int
linkat(int olddfd, const char *from, int newdfd, const char *to, int flags)
{
	int (*real)(int, const char *, int, const char *, int) = (int (*)(int, const char *,
	    int, const char *, int))dlsym(RTLD_NEXT, "linkat");
	if (is_killpoint("link", to) || step("link", to))
		return hit();
	return real(olddfd, from, newdfd, to, flags);
}

int
link(const char *from, const char *to)
{
	int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(
	    RTLD_NEXT, "link");
	if (is_killpoint("link", to) || step("link", to))
		return hit();
	return real(from, to);
}

int
renameat(int olddfd, const char *from, int newdfd, const char *to)
{
	int (*real)(int, const char *, int, const char *) = (int (*)(int, const char *, int,
	    const char *))dlsym(RTLD_NEXT, "renameat");
	if (step("rename", to))
		return hit();
	return real(olddfd, from, newdfd, to);
}

int
renameat2(int olddfd, const char *from, int newdfd, const char *to, unsigned int flags)
{
	int (*real)(int, const char *, int, const char *, unsigned int) = (int (*)(int,
	    const char *, int, const char *, unsigned int))dlsym(RTLD_NEXT, "renameat2");
	/* A rename that refuses an existing name is how p11byok puts a staged file in place. */
	if (is_killpoint("link", to) || step("rename", to))
		return hit();
	return real(olddfd, from, newdfd, to, flags);
}

int
rename(const char *from, const char *to)
{
	int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(
	    RTLD_NEXT, "rename");
	if (step("rename", to))
		return hit();
	return real(from, to);
}

int
unlinkat(int dfd, const char *path, int flags)
{
	int (*real)(int, const char *, int) = (int (*)(int, const char *, int))dlsym(RTLD_NEXT,
	    "unlinkat");
	if (step("unlink", path))
		return hit();
	return real(dfd, path, flags);
}

int
unlink(const char *path)
{
	int (*real)(const char *) = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
	if (step("unlink", path))
		return hit();
	return real(path);
}
