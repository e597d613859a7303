/* ctx.c: global options with their environment fallbacks; see ctx.h. */
#include "config.h"
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

struct ctx {
	char *module, *token, *kmdata, *regions, *pin_file;
};

struct ctx *
ctx_new(void)
{
	return calloc(1, sizeof(struct ctx));
}

void
ctx_free(struct ctx *ctx)
{
	if (ctx == NULL)
		return;
	free(ctx->module);
	free(ctx->token);
	free(ctx->kmdata);
	free(ctx->regions);
	free(ctx->pin_file);
	free(ctx);
}

static int
set(char **field, const char *value)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

int ctx_set_module(struct ctx *ctx, const char *v) { return set(&ctx->module, v); }
int ctx_set_token(struct ctx *ctx, const char *v) { return set(&ctx->token, v); }
int ctx_set_kmdata(struct ctx *ctx, const char *v) { return set(&ctx->kmdata, v); }
int ctx_set_regions(struct ctx *ctx, const char *v) { return set(&ctx->regions, v); }
int ctx_set_pin_file(struct ctx *ctx, const char *v) { return set(&ctx->pin_file, v); }

static const char *
or_env(const char *value, const char *name)
{
	const char *env;
	if (value != NULL)
		return value;
	env = getenv(name);
	return env != NULL && *env != '\0' ? env : NULL;
}

const char *ctx_module(const struct ctx *ctx) { return or_env(ctx->module, "P11BYOK_MODULE"); }
const char *ctx_token(const struct ctx *ctx) { return or_env(ctx->token, "P11BYOK_TOKEN"); }
const char *ctx_kmdata(const struct ctx *ctx) { return or_env(ctx->kmdata, "P11BYOK_KMDATA"); }
const char *ctx_regions(const struct ctx *ctx) { return ctx->regions; }
const char *ctx_pin_file(const struct ctx *ctx) { return ctx->pin_file; }
