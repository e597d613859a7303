/* fsutil.h: reading inputs and writing outputs without leaving half a file behind. */
#ifndef P11BYOK_FSUTIL_H
#define P11BYOK_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Opens PATH for reading and checks it is a regular file, without blocking on a FIFO or a
 * device (O_NONBLOCK until the check).  WHAT names the input in errors ("PIN file").
 * Returns the descriptor, or -1 after printing one line naming PATH and the fix.  */
int fs_open_input(const char *path, const char *what);

/* Reads the regular file PATH (at most MAX bytes) into a new NUL-terminated buffer that the
 * caller frees.  WHAT names the input in errors ("region manifest").  Returns 0, or
 * P11BYOK_EUSAGE after printing one line naming PATH and the reason.  */
int fs_read_file(const char *path, const char *what, size_t max, char **out, size_t *len);

/* Writes LEN bytes to PATH atomically: a temp file in the same directory with MODE, fsync,
 * then rename.  Without FORCE an existing PATH is refused; a PATH that is a symbolic link,
 * a directory or another non-regular file is refused even with FORCE (never written
 * through, never replaced).  On any failure nothing is left at PATH or in the temp file;
 * temp files of PATH a killed write left are removed first.  Returns 0, P11BYOK_EUSAGE (exists, bad directory) or
 * P11BYOK_EFAIL (I/O), after printing one line.  */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool force);

/* A file written in two halves, for a caller that must record it between them (the
 * .byok's audit line goes before the file exists): fs_stage writes DATA to a temp file
 * beside PATH, fsync'd, with the checks of fs_write_atomic; fs_commit then puts it at PATH
 * (refusing an existing PATH without FORCE), and fs_discard drops it.  Both end the
 * staging: the temp file is gone after either.  PATH must outlive the staging.  Each
 * returns 0 or the exit code after one line, as fs_write_atomic; a failed fs_stage leaves
 * nothing to discard.  */
struct fs_staged {
	const char *path;
	char *tmp;
	bool force;
};
int fs_stage(struct fs_staged *st, const char *path, const void *data, size_t len,
    mode_t mode, bool force);
int fs_commit(struct fs_staged *st);
void fs_discard(struct fs_staged *st);

/* Removes the temp files fs_stage left beside PATH when a process was killed between
 * staging and committing (PATH.tmp.XXXXXX, nothing else).  */
void fs_sweep_staged(const char *path);

/* The temp files fs_stage left beside PATH, each passed (its path) to MATCH with ARG until
 * MATCH returns non-zero; that value is returned, else 0.  */
int fs_each_staged(const char *path, int (*match)(const char *tmp, void *arg), void *arg);

/* Puts the staged file TMP (fs_stage's, beside PATH) in place at PATH, which must not exist
 * (link, then the temp name goes).  0 or the exit code after one line.  */
int fs_commit_staged(const char *tmp, const char *path);

/* Space a check below reserves: more than any record, .byok or audit line p11byok writes. */
#define FS_RESERVE (64 * 1024)

/* Checks that DIR and every directory above it are owned by the user (or root) and
 * writable by nobody else (a parent may be a root-owned sticky directory such as /tmp):
 * files there are trusted, so whoever else could write them could make p11byok trust a
 * forged record or card, or swap an output.  WHAT names DIR.  Returns 0 (also when DIR
 * does not exist: the caller's next step says so), or P11BYOK_EUSAGE after one line.  */
int fs_check_dir_private(const char *dir, const char *what);

/* Checks, before any token work, that a new file can be written in DIR, and holds it open
 * for the files written there later (fs_open_at): it is a directory
 * (WHAT names it in errors, "kmdata directory") and a temp file of RESERVE bytes can be
 * made there, so a missing, read-only, immutable or full directory is found before a key
 * or a transfer key is spent.  The probe is unlinked at once.  Returns 0, P11BYOK_EUSAGE
 * (not a directory, not writable, or not private: fs_check_dir_private) or P11BYOK_EENV
 * (no space), after one line.  */
int fs_check_dir_writable(const char *dir, const char *what, size_t reserve);

/* Checks the output PATH before any work, with the policy of fs_write_atomic: it must not
 * be a directory, a symbolic link or another non-regular file, nor exist without FORCE;
 * then its directory as fs_check_dir_writable.  Returns 0 or the exit code after a line.  */
int fs_check_output(const char *path, bool force, size_t reserve);

/* write(2) of all LEN bytes, again after EINTR and short writes; 0, or -1 with errno. */
int fs_write_all(int fd, const void *data, size_t len);

/* open(2), lstat(2) and unlink(2) of PATH, through the directory fs_check_dir_writable or
 * fs_lock_dir checked when PATH lies directly in it (so a path renamed or replaced
 * mid-command is not followed), else as named.  As the calls: -1 with errno on failure.  */
int fs_open_at(const char *path, int flags, mode_t mode);
struct stat;
int fs_lstat(const char *path, struct stat *st);
int fs_unlink(const char *path);

/* Takes an exclusive flock(2) on the directory DIR itself (no lock file: nothing is added
 * to it), held until the process exits, and keeps its descriptor for every later file
 * operation in DIR (fs_open_at), so two commands never work on one kmdata at once
 * (two runs of one runbook would both generate a key the other has not recorded yet).
 * Again for the same DIR: nothing.  Returns 0, or P11BYOK_EENV after one line naming WHAT
 * when another process holds it.  */
int fs_lock_dir(const char *dir, const char *what);

/* The last component of PATH, pointing into PATH. */
const char *fs_basename(const char *path);

#endif
