/* yamldoc.h: a parsed YAML file whose every node knows its file:line:column.
 *
 * The only place that sees libyaml; manifest.c and config.c read their files through it.
 * Nodes are small integers (0 = none).  */
#ifndef P11BYOK_YAMLDOC_H
#define P11BYOK_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include "msg.h"

struct ydoc;

enum ykind { Y_NONE, Y_SCALAR, Y_SEQ, Y_MAP };

/* Parses the YAML file PATH (WHAT names it in errors).  Returns 0 with a document the caller
 * frees with ydoc_free, or P11BYOK_EUSAGE after one line "PATH:LINE:COL: ...".  */
int ydoc_load(const char *path, const char *what, struct ydoc **out);
void ydoc_free(struct ydoc *doc);
const char *ydoc_path(const struct ydoc *doc);

int ydoc_root(struct ydoc *doc);
enum ykind ydoc_kind(struct ydoc *doc, int node);
/* The scalar's text, or NULL when NODE is not a scalar. */
const char *ydoc_scalar(struct ydoc *doc, int node);
/* 1-based line of NODE. */
size_t ydoc_line(struct ydoc *doc, int node);
size_t ydoc_seq_len(struct ydoc *doc, int node);
int ydoc_seq_item(struct ydoc *doc, int node, size_t i);

/* Pairs of a mapping: how many, and the key node of the I-th (0 when NODE is no mapping). */
size_t ydoc_map_len(struct ydoc *doc, int node);
int ydoc_map_key(struct ydoc *doc, int node, size_t i);

/* Prints "PATH:LINE:COL: MESSAGE" for NODE and returns P11BYOK_EUSAGE. */
int ydoc_err(struct ydoc *doc, int node, const char *fmt, ...) MSG_PRINTF(3, 4);

/* One field of a mapping: its key, whether it must be there, the kind it must have, and
 * where to store its value node (0 when absent).  */
struct yfield {
	const char *key;
	bool required;
	enum ykind kind;
	int *node;
};

/* Checks that NODE is a mapping whose keys are all among FIELDS, none twice, every required
 * one present and of its kind; stores the value nodes.  WHAT names the mapping in errors
 * ("region manifest", "key 3").  Returns 0 or P11BYOK_EUSAGE after one line.  */
int ydoc_map_fields(struct ydoc *doc, int node, const char *what,
    const struct yfield *fields, size_t nfields);

#endif
