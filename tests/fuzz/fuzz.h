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

#endif
