/* formats.h: the files p11byok reads and writes (DESIGN.md §3), described once for the man
 * page's FILE FORMATS section and `p11byok --help-formats`.  */
#ifndef P11BYOK_FORMATS_H
#define P11BYOK_FORMATS_H

#include <stdio.h>

struct format_doc {
	const char *name;	/* "kmdata/world" */
	const char *text;	/* one paragraph */
};

/* Terminated by a NULL name. */
extern const struct format_doc formats[];

/* Plain text, one paragraph per file, for --help-formats. */
void formats_print(FILE *f);

#endif
