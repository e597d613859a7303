/* fuzz.h: what every fuzz target shares.  Each target defines LLVMFuzzerTestOneInput; built
 * with libFuzzer (configure --enable-fuzzing, clang) it fuzzes, built with replay.c it runs
 * its seed corpus under `make check`.  */
#ifndef P11BYOK_FUZZ_H
#define P11BYOK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* DATA as a file the path-taking parsers can open: an in-memory file, "/proc/self/fd/N".
 * Returns its descriptor (close it when done) and writes the path into PATH, or -1.  */
int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len);

/* For parsers that take a directory and a fixed file name (kmdata/world, key records): a
 * private directory made on first use and removed with its files at exit.  NULL when it
 * cannot be made.  */
const char *fuzz_dir(void);

/* Writes DATA as fuzz_dir()/NAME, replacing what was there.  0, or -1.  */
int fuzz_put(const char *name, const uint8_t *data, size_t size);

#endif
