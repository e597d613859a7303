/* yamldoc.c: libyaml's document API behind node numbers and file:line:column errors. */
#include "config.h"
#include "yamldoc.h"
#include "fsutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* Manifests and runbooks are small; anything larger is a mistake, not a config. */
#define YAML_MAX_BYTES (1024 * 1024)

struct ydoc {
	char *path;
	yaml_document_t doc;
	bool loaded;
};

const char *ydoc_path(const struct ydoc *doc) { return doc->path; }

void
ydoc_free(struct ydoc *doc)
{
	if (doc == NULL)
		return;
	if (doc->loaded)
		yaml_document_delete(&doc->doc);
	free(doc->path);
	free(doc);
}

/* The 1-based line and column (in characters) of byte OFF of TEXT. */
static size_t
line_at(const char *text, size_t len, size_t off)
{
	size_t line = 1;
	for (size_t i = 0; i < off && i < len; i++)
		line += text[i] == '\n';
	return line;
}

static size_t
column_at(const char *text, size_t len, size_t off)
{
	size_t col = 1;
	for (size_t i = 0; i < off && i < len; i++)
		col = text[i] == '\n' ? 1 : col + ((text[i] & 0xc0) != 0x80);
	return col;
}

/* libyaml's reader says where by byte offset only (problem_mark is unset); a bad trailing
 * byte is pointed at from the byte that starts its character (a Latin-1 "é").  */
static void
reader_error(const yaml_parser_t *parser, const char *path, const char *what,
    const char *text, size_t len)
{
	const unsigned char *u = (const unsigned char *)text;
	const char *problem = parser->problem ? parser->problem : "unreadable text";
	size_t off = parser->problem_offset < len ? parser->problem_offset : len;

	if (strstr(problem, "trailing") != NULL) {
		size_t lead = off;
		while (lead > 0 && (u[lead - 1] & 0xc0) == 0x80)
			lead--;
		if (lead > 0 && u[lead - 1] >= 0xc0)
			off = lead - 1;
	}
	if (strstr(problem, "control characters") != NULL)
		msg_err("%s:%zu:%zu: the %s holds the control character U+%04X; remove it", path,
		    line_at(text, len, off), column_at(text, len, off), what,
		    (unsigned)parser->problem_value);
	else
		msg_err("%s:%zu:%zu: the %s is not UTF-8 text (at byte 0x%02x: %s); save it as "
		    "UTF-8", path, line_at(text, len, off), column_at(text, len, off), what,
		    off < len ? u[off] : 0, problem);
}

/* Far deeper than any runbook, manifest, record or world file nests (four levels), and
 * shallow enough that libyaml, whose time grows with the square of the depth, stops at once. */
#define YAML_MAX_DEPTH 32

/* The shape checks made while the text is parsed as events, before any document is built:
 * nesting beyond YAML_MAX_DEPTH, and anchors, aliases and merge keys, which no reader here
 * supports (an alias would also let a small file name a huge tree).  Returns 0 (a syntax
 * error is left to the loader, which says where), or P11BYOK_EUSAGE after one line.  */
static int
check_shape(const char *text, size_t len, const char *path, const char *what)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t depth = 0;
	int r = 0;

	if (!yaml_parser_initialize(&parser)) {
		msg_err("out of memory reading %s", path);
		return P11BYOK_EUSAGE;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (r == 0 && yaml_parser_parse(&parser, &ev)) {
		size_t line = ev.start_mark.line + 1, col = ev.start_mark.column + 1;
		const unsigned char *anchor = NULL;
		bool done = ev.type == YAML_STREAM_END_EVENT;

		r = P11BYOK_EUSAGE;
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			anchor = ev.type == YAML_SEQUENCE_START_EVENT ?
			    ev.data.sequence_start.anchor : ev.data.mapping_start.anchor;
			depth++;
		} else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (ev.type == YAML_SCALAR_EVENT) {
			anchor = ev.data.scalar.anchor;
		}
		if (ev.type == YAML_ALIAS_EVENT)
			msg_err("%s:%zu:%zu: aliases (*%s) are not supported in the %s: write the "
			    "value out where the alias is", path, line, col,
			    (const char *)ev.data.alias.anchor, what);
		else if (anchor != NULL)
			msg_err("%s:%zu:%zu: anchors (&%s) are not supported in the %s: remove it, "
			    "and write out each place that uses it", path, line, col,
			    (const char *)anchor, what);
		else if (ev.type == YAML_SCALAR_EVENT &&
		    ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    ev.data.scalar.length == 2 && memcmp(ev.data.scalar.value, "<<", 2) == 0)
			msg_err("%s:%zu:%zu: merge keys (<<) are not supported in the %s: write the "
			    "fields out", path, line, col, what);
		else if (depth > YAML_MAX_DEPTH)
			msg_err("%s:%zu:%zu: the %s nests deeper than %d levels, where a few are all "
			    "it needs: fix its brackets or indentation", path, line, col, what,
			    YAML_MAX_DEPTH);
		else
			r = 0;
		yaml_event_delete(&ev);
		if (done)
			break;
	}
	yaml_parser_delete(&parser);
	return r;
}

int
ydoc_load(const char *path, const char *what, struct ydoc **out)
{
	int r = P11BYOK_EUSAGE;
	struct ydoc *doc = NULL;
	yaml_parser_t parser;
	bool parser_ok = false;
	yaml_document_t extra;
	char *text = NULL;
	size_t len = 0;

	*out = NULL;
	if ((r = fs_read_file(path, what, YAML_MAX_BYTES, &text, &len)) != 0)
		goto out;
	/* libyaml reads UTF-16 behind a byte-order mark; every file here is UTF-8. */
	if (len >= 2 && (((unsigned char)text[0] == 0xff && (unsigned char)text[1] == 0xfe) ||
	    ((unsigned char)text[0] == 0xfe && (unsigned char)text[1] == 0xff))) {
		msg_err("%s:1:1: the %s is UTF-16 (it starts with a byte-order mark): save it as "
		    "UTF-8", path, what);
		r = P11BYOK_EUSAGE;
		goto out;
	}
	if ((r = check_shape(text, len, path, what)) != 0)
		goto out;
	r = P11BYOK_EUSAGE;
	if ((doc = calloc(1, sizeof *doc)) == NULL || (doc->path = strdup(path)) == NULL) {
		msg_err("out of memory reading %s", path);
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		msg_err("out of memory reading %s", path);
		goto out;
	}
	parser_ok = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc->doc)) {
		if (parser.error == YAML_READER_ERROR)
			reader_error(&parser, path, what, text, len);
		else
			msg_err("%s:%zu:%zu: malformed YAML: %s%s%s; fix the %s", path,
			    parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			    parser.problem ? parser.problem : "parse error",
			    parser.context ? " " : "", parser.context ? parser.context : "", what);
		goto out;
	}
	doc->loaded = true;
	if (yaml_document_get_root_node(&doc->doc) == NULL) {
		msg_err("%s:1:1: the %s is empty", path, what);
		goto out;
	}
	/* A second document in the same file would be silently ignored: refuse it. */
	if (!yaml_parser_load(&parser, &extra)) {
		msg_err("%s:%zu:%zu: malformed YAML after the first document: %s", path,
		    parser.problem_mark.line + 1, parser.problem_mark.column + 1,
		    parser.problem ? parser.problem : "parse error");
		goto out;
	}
	if (yaml_document_get_root_node(&extra) != NULL) {
		msg_err("%s:%zu:1: the %s holds more than one YAML document; keep one", path,
		    extra.start_mark.line + 1, what);
		yaml_document_delete(&extra);
		goto out;
	}
	yaml_document_delete(&extra);
	/* A quoted "\0" puts a NUL inside a value, and every reader sees a C string: the
	 * value would be silently cut there ("ident: \"k\\0x\"" read as "k").  Refuse it.  */
	for (yaml_node_t *n = doc->doc.nodes.start; n < doc->doc.nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE &&
		    memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL) {
			msg_err("%s:%zu:%zu: a value holds a NUL character (\\0); remove it from the %s",
			    path, n->start_mark.line + 1, n->start_mark.column + 1, what);
			goto out;
		}
	*out = doc;
	doc = NULL;
	r = 0;
out:
	if (parser_ok)
		yaml_parser_delete(&parser);
	ydoc_free(doc);
	free(text);
	return r;
}

static yaml_node_t *
node_at(struct ydoc *doc, int node)
{
	return node > 0 ? yaml_document_get_node(&doc->doc, node) : NULL;
}

int
ydoc_root(struct ydoc *doc)
{
	return yaml_document_get_root_node(&doc->doc) != NULL ? 1 : 0;
}

enum ykind
ydoc_kind(struct ydoc *doc, int node)
{
	yaml_node_t *n = node_at(doc, node);
	if (n == NULL)
		return Y_NONE;
	switch (n->type) {
	case YAML_SCALAR_NODE: return Y_SCALAR;
	case YAML_SEQUENCE_NODE: return Y_SEQ;
	case YAML_MAPPING_NODE: return Y_MAP;
	default: return Y_NONE;
	}
}

const char *
ydoc_scalar(struct ydoc *doc, int node)
{
	yaml_node_t *n = node_at(doc, node);
	return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A plain scalar's text, or NULL for any other node (quoted text is always text). */
static const char *
plain(struct ydoc *doc, int node)
{
	yaml_node_t *n = node_at(doc, node);
	if (n == NULL || n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static bool
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

static bool
among(const char *s, const char *const *words)
{
	for (; s != NULL && *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

bool
ydoc_is_null(struct ydoc *doc, int node)
{
	static const char *const words[] = { "", "~", "null", "Null", "NULL", NULL };
	return among(plain(doc, node), words);
}

bool
ydoc_is_bool(struct ydoc *doc, int node)
{
	static const char *const words[] = { "yes", "Yes", "YES", "no", "No", "NO", "true",
		"True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
		NULL };
	return among(plain(doc, node), words);
}

size_t
ydoc_line(struct ydoc *doc, int node)
{
	yaml_node_t *n = node_at(doc, node);
	return n != NULL ? n->start_mark.line + 1 : 1;
}

size_t
ydoc_seq_len(struct ydoc *doc, int node)
{
	yaml_node_t *n = node_at(doc, node);
	if (n == NULL || n->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

int
ydoc_seq_item(struct ydoc *doc, int node, size_t i)
{
	yaml_node_t *n = node_at(doc, node);
	if (i >= ydoc_seq_len(doc, node))
		return 0;
	return n->data.sequence.items.start[i];
}

size_t
ydoc_map_len(struct ydoc *doc, int node)
{
	yaml_node_t *n = node_at(doc, node);
	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return 0;
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

int
ydoc_map_key(struct ydoc *doc, int node, size_t i)
{
	if (i >= ydoc_map_len(doc, node))
		return 0;
	return node_at(doc, node)->data.mapping.pairs.start[i].key;
}

const char *
ydoc_where(struct ydoc *doc, int node, char *buf, size_t len)
{
	yaml_node_t *n = node_at(doc, node);
	snprintf(buf, len, "%s:%zu:%zu", doc->path, n ? n->start_mark.line + 1 : 1,
	    n ? n->start_mark.column + 1 : 1);
	return buf;
}

int
ydoc_err(struct ydoc *doc, int node, const char *fmt, ...)
{
	char where[4200], *text = NULL;
	va_list ap;

	/* Allocated, not a fixed buffer: a long path in the message must not cut off the
	 * what-to-do at its end.  */
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	msg_err("%s: %s", ydoc_where(doc, node, where, sizeof where),
	    text ? text : "(out of memory formatting the message)");
	free(text);
	return P11BYOK_EUSAGE;
}

/* The code point of the UTF-8 sequence at S (libyaml has checked it is well formed), and
 * its length in *LEN.  */
static unsigned long
utf8_at(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		*len = 2;
		return (s[0] & 0x1fUL) << 6 | (s[1] & 0x3fUL);
	}
	if (s[0] < 0xf0) {
		*len = 3;
		return (s[0] & 0x0fUL) << 12 | (s[1] & 0x3fUL) << 6 | (s[2] & 0x3fUL);
	}
	*len = 4;
	return (s[0] & 0x07UL) << 18 | (s[1] & 0x3fUL) << 12 | (s[2] & 0x3fUL) << 6 |
	    (s[3] & 0x3fUL);
}

int
ydoc_check_text(struct ydoc *doc, const char *what)
{
	for (yaml_node_t *n = doc->doc.nodes.start; n < doc->doc.nodes.top; n++) {
		const unsigned char *s = n->data.scalar.value;
		size_t len = 0;
		if (n->type != YAML_SCALAR_NODE)
			continue;
		for (size_t i = 0; i < n->data.scalar.length; i += len) {
			unsigned long c = utf8_at(s + i, &len);
			const char *kind = c == '\t' ? " (a tab)" : c == '\n' || c == '\r' ?
			    " (a line break)" : c == 0x1b ? " (an escape)" : "";
			if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029)
				return ydoc_err(doc, (int)(n - doc->doc.nodes.start) + 1, "a value "
				    "holds the control character U+%04lX%s; remove it from the %s",
				    c, kind, what);
			if (c == 0x061c || (c >= 0x200b && c <= 0x200f) ||
			    (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) ||
			    c == 0xfeff)
				return ydoc_err(doc, (int)(n - doc->doc.nodes.start) + 1, "a value "
				    "holds the invisible character U+%04lX (a direction or width "
				    "mark); remove it from the %s", c, what);
		}
	}
	return 0;
}

int
ydoc_check_tags(struct ydoc *doc, const char *what)
{
	for (yaml_node_t *n = doc->doc.nodes.start; n < doc->doc.nodes.top; n++) {
		const char *tag = (const char *)n->tag, *want = n->type == YAML_SCALAR_NODE ?
		    YAML_DEFAULT_SCALAR_TAG : n->type == YAML_SEQUENCE_NODE ?
		    YAML_DEFAULT_SEQUENCE_TAG : YAML_DEFAULT_MAPPING_TAG;
		bool core, printable = true;
		if (tag == NULL || strcmp(tag, want) == 0)
			continue;
		core = strncmp(tag, "tag:yaml.org,2002:", 18) == 0;	/* shown as !!NAME */
		/* libyaml decodes %XX in a tag: one that is not plain ASCII is not echoed. */
		for (const char *c = tag; *c; c++)
			printable = printable && *c > 0x20 && *c < 0x7f;
		if (!printable)
			return ydoc_err(doc, (int)(n - doc->doc.nodes.start) + 1, "a value carries "
			    "a YAML tag (with characters not shown); remove it: the %s is read "
			    "without tags", what);
		return ydoc_err(doc, (int)(n - doc->doc.nodes.start) + 1, "a value carries the "
		    "YAML tag '%s%s'; remove it: the %s is read without tags", core ? "!!" : "",
		    core ? tag + 18 : tag, what);
	}
	return 0;
}

static const char *
kind_name(enum ykind k)
{
	switch (k) {
	case Y_SCALAR: return "a single value";
	case Y_SEQ: return "a list";
	case Y_MAP: return "a mapping of fields";
	default: return "empty";
	}
}

int
ydoc_map_fields(struct ydoc *doc, int node, const char *what,
    const struct yfield *fields, size_t nfields)
{
	yaml_node_t *n = node_at(doc, node);
	yaml_node_pair_t *p;

	for (size_t f = 0; f < nfields; f++)
		*fields[f].node = 0;
	if (ydoc_is_null(doc, node))
		return ydoc_err(doc, node, "the %s is empty: give its fields or remove it", what);
	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return ydoc_err(doc, node, "the %s must be a mapping of fields, not %s", what,
		    kind_name(ydoc_kind(doc, node)));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *key = ydoc_scalar(doc, p->key);
		size_t f;
		if (key == NULL)
			return ydoc_err(doc, p->key, "a field name in the %s must be plain text", what);
		for (f = 0; f < nfields; f++)
			if (strcmp(fields[f].key, key) == 0)
				break;
		if (f == nfields) {
			char known[512] = "";
			for (size_t k = 0; k < nfields; k++) {
				if (strlen(known) + strlen(fields[k].key) + 3 >= sizeof known)
					break;
				strcat(known, k ? ", " : "");
				strcat(known, fields[k].key);
			}
			for (size_t k = 0; k < nfields; k++)
				if (strcasecmp(fields[k].key, key) == 0)
					return ydoc_err(doc, p->key, "unknown field '%s' in the %s: did you "
					    "mean '%s'?", key, what, fields[k].key);
			return ydoc_err(doc, p->key, "unknown field '%s' in the %s; known fields: %s",
			    key, what, known);
		}
		if (*fields[f].node != 0)
			return ydoc_err(doc, p->key, "field '%s' appears twice in the %s; keep one",
			    key, what);
		/* "field:", "field: ~" and "field: null" are YAML's null, never a value (nor
		 * the text "~"); a default only comes from leaving the field out.  */
		if (ydoc_is_null(doc, p->value))
			return ydoc_err(doc, p->value, "field '%s' is empty%s: give %s%s", key,
			    nonempty(plain(doc, p->value)) ? " (YAML reads it as null)" : "",
			    fields[f].kind == Y_SCALAR ? "a value" : kind_name(fields[f].kind),
			    fields[f].required ? "" : " or leave the field out");
		if (ydoc_kind(doc, p->value) != fields[f].kind)
			return ydoc_err(doc, p->value, "field '%s' in the %s must be %s%s", key, what,
			    kind_name(fields[f].kind), fields[f].kind == Y_SEQ &&
			    ydoc_kind(doc, p->value) == Y_MAP ? ", not a mapping of fields: start "
			    "each entry with '- '" : "");
		*fields[f].node = p->value;
	}
	for (size_t f = 0; f < nfields; f++)
		if (fields[f].required && *fields[f].node == 0)
			return ydoc_err(doc, node, "the %s lacks the required field '%s'", what,
			    fields[f].key);
	return 0;
}
