/* fsutil.h: reading inputs and writing outputs without leaving half a file behind. */
#ifndef P11BYOK_FSUTIL_H
#define P11BYOK_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads the regular file PATH (at most MAX bytes) into a new NUL-terminated buffer that the
 * caller frees.  WHAT names the input in errors ("region manifest").  Returns 0, or
 * P11BYOK_EUSAGE after printing one line naming PATH and the reason.  */
int fs_read_file(const char *path, const char *what, size_t max, char **out, size_t *len);

/* Writes LEN bytes to PATH atomically: a temp file in the same directory with MODE, fsync,
 * then rename.  Without FORCE an existing PATH is refused.  On any failure nothing is left
 * at PATH or in the temp file.  Returns 0, P11BYOK_EUSAGE (exists, bad directory) or
 * P11BYOK_EFAIL (I/O), after printing one line.  */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool force);

/* The last component of PATH, pointing into PATH. */
const char *fs_basename(const char *path);

#endif
