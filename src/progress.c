/* progress.c: per-item lines and the terminal progress bar; see progress.h. */
#include "config.h"
#include "progress.h"
#include "msg.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Up to this many items, the lines alone say enough. */
#define PROGRESS_MIN_ITEMS 4
#define BAR_WIDTH 30

/* The rate counts only items that did work, over the time since the first of them began:
 * keys a rerun finds done take no time and would make it a promise the rest cannot keep. */
struct progress {
	size_t total, done, worked;
	bool bar;
	struct timespec start;		/* when the last skipped item finished */
};

struct progress *
progress_new(size_t total)
{
	struct progress *pr = calloc(1, sizeof *pr);
	if (pr == NULL)
		return NULL;
	pr->total = total;
	pr->bar = total >= PROGRESS_MIN_ITEMS && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &pr->start);
	return pr;
}

static void
draw(const struct progress *pr)
{
	struct timespec now;
	char bar[BAR_WIDTH + 1], text[128];
	size_t fill = pr->total ? pr->done * BAR_WIDTH / pr->total : 0;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - pr->start.tv_sec) +
	    (double)(now.tv_nsec - pr->start.tv_nsec) / 1e9;
	for (size_t i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	if (pr->worked > 0 && secs > 0 && pr->done < pr->total)
		snprintf(text, sizeof text, "[%s] %zu/%zu keys, %.2f keys/s, about %.0f s left",
		    bar, pr->done, pr->total, (double)pr->worked / secs,
		    (double)(pr->total - pr->done) * secs / (double)pr->worked);
	else
		snprintf(text, sizeof text, "[%s] %zu/%zu keys, %.2f keys/s", bar, pr->done,
		    pr->total, pr->worked > 0 && secs > 0 ? (double)pr->worked / secs : 0.0);
	msg_bar(text);
}

void
progress_done(struct progress *pr, bool skipped, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	msg_out("%s\n", line);
	if (pr == NULL)
		return;
	pr->done++;
	if (!skipped)
		pr->worked++;
	else if (pr->worked == 0)
		clock_gettime(CLOCK_MONOTONIC, &pr->start);
	if (pr->bar)
		draw(pr);
}

void
progress_free(struct progress *pr)
{
	if (pr != NULL && pr->bar)
		msg_bar(NULL);
	free(pr);
}
