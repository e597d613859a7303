/* progress.h: where a batch is: a line per item as it finishes, and, when stderr is a
 * terminal and the batch is more than a few items, a bar with the count, the rate and the
 * time left kept on the last line of the terminal.  */
#ifndef P11BYOK_PROGRESS_H
#define P11BYOK_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

struct progress;

/* A batch of TOTAL items; the bar shows when stderr is a terminal, TOTAL is above a few and
 * output is not quiet.  NULL when out of memory (then nothing is drawn).  */
struct progress *progress_new(size_t total);

/* Prints the line for one finished item (as msg_out) and advances the bar; SKIPPED (found
 * done) items advance the count but not the rate, nor the time left.  */
void progress_done(struct progress *pr, bool skipped, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears the bar, so what follows starts on a clean line; frees PR. */
void progress_free(struct progress *pr);

#endif
