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
/* Whether NODE is a plain (unquoted) scalar that YAML reads as null: nothing, ~, null. */
bool ydoc_is_null(struct ydoc *doc, int node);
/* Whether NODE is a plain scalar that YAML 1.1 readers (libyaml's users, PyYAML, Ansible)
 * take as a boolean: yes, no, true, false, on, off in their usual cases.  */
bool ydoc_is_bool(struct ydoc *doc, int node);
/* 1-based line of NODE. */
size_t ydoc_line(struct ydoc *doc, int node);
size_t ydoc_seq_len(struct ydoc *doc, int node);
int ydoc_seq_item(struct ydoc *doc, int node, size_t i);

/* Pairs of a mapping: how many, and the key node of the I-th (0 when NODE is no mapping). */
size_t ydoc_map_len(struct ydoc *doc, int node);
int ydoc_map_key(struct ydoc *doc, int node, size_t i);

/* Prints "PATH:LINE:COL: MESSAGE" for NODE and returns P11BYOK_EUSAGE. */
int ydoc_err(struct ydoc *doc, int node, const char *fmt, ...) MSG_PRINTF(3, 4);
/* "PATH:LINE:COL" of NODE into BUF, for a message another module prints; returns BUF. */
const char *ydoc_where(struct ydoc *doc, int node, char *buf, size_t len);

/* Refuses a scalar (value or field name) holding a control character (tab, escape, line
 * break, DEL, C1) or an invisible bidirectional mark: a hand-written file has no use for
 * one, and echoed in a message it would rewrite the reader's terminal.  WHAT names the file
 * ("runbook").  Returns 0, or P11BYOK_EUSAGE after one line at the value.  */
int ydoc_check_text(struct ydoc *doc, const char *what);

/* Refuses a node carrying a YAML tag other than the plain default (!!int, !vault...): no
 * reader here acts on one, and a value tagged as encrypted or binary must not be taken as
 * its literal text.  Returns 0, or P11BYOK_EUSAGE after one line at the node.  */
int ydoc_check_tags(struct ydoc *doc, const char *what);

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
