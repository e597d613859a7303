/* ctx.h: the global options every command shares (DESIGN.md §1), one opaque struct. */
#ifndef P11BYOK_CTX_H
#define P11BYOK_CTX_H

#include <stdbool.h>
#include "offline.h"

struct config;

struct ctx;

/* A context holding no options yet; NULL when out of memory.  Free with ctx_free. */
struct ctx *ctx_new(void);
void ctx_free(struct ctx *ctx);

/* Setters copy VALUE; they return 0, or -1 when out of memory. */
int ctx_set_module(struct ctx *ctx, const char *value);
int ctx_set_token(struct ctx *ctx, const char *value);
int ctx_set_kmdata(struct ctx *ctx, const char *value);
int ctx_set_regions(struct ctx *ctx, const char *value);
int ctx_set_pin_file(struct ctx *ctx, const char *value);
/* Parses POLICY (require, warn, off); returns 0, or P11BYOK_EUSAGE after one line. */
int ctx_set_offline(struct ctx *ctx, const char *policy);
/* Loads the YAML config PATH (runbook.h); its settings apply where no option gives one.
 * Returns 0 or the exit code of the failure (one line printed).  */
int ctx_set_config(struct ctx *ctx, const char *path);

/* Getters: the command line, else the --config file, else the environment (P11BYOK_MODULE,
 * P11BYOK_TOKEN, P11BYOK_KMDATA); NULL when none gives a value.  The strings belong to CTX,
 * its config or the environment.  */
const char *ctx_module(const struct ctx *ctx);
const char *ctx_token(const struct ctx *ctx);
const char *ctx_kmdata(const struct ctx *ctx);
const char *ctx_regions(const struct ctx *ctx);
const char *ctx_pin_file(const struct ctx *ctx);
enum offline_policy ctx_offline(const struct ctx *ctx);
/* The --config file, or NULL. */
const struct config *ctx_config(const struct ctx *ctx);

#endif
