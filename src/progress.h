/* progress.h: where a batch is: a line per item as it finishes, and, when stderr is a
 * terminal and the batch is more than a few items, a bar with the count and the rate kept
 * on the last line of the terminal.  */
#ifndef P11BYOK_PROGRESS_H
#define P11BYOK_PROGRESS_H

#include <stddef.h>

struct progress;

/* A batch of TOTAL items; the bar shows when stderr is a terminal, TOTAL is above a few and
 * output is not quiet.  NULL when out of memory (then nothing is drawn).  */
struct progress *progress_new(size_t total);

/* Prints the line for one finished item (as msg_out) and advances the bar. */
void progress_done(struct progress *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears the bar, so what follows starts on a clean line; frees PR. */
void progress_free(struct progress *pr);

#endif
