/* ctx.c: global options with their environment fallbacks; see ctx.h. */
#include "config.h"
#include "ctx.h"
#include "msg.h"
#include "runbook.h"

#include <stdlib.h>
#include <string.h>

struct ctx {
	char *module, *token, *kmdata, *regions, *pin_file;
	bool have_offline;
	enum offline_policy offline;
	struct config *cfg;
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
	config_free(ctx->cfg);
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

int
ctx_set_offline(struct ctx *ctx, const char *policy)
{
	if (offline_parse(policy, &ctx->offline) < 0) {
		msg_err("--offline must be require, warn or off, not '%s'", policy);
		return P11BYOK_EUSAGE;
	}
	ctx->have_offline = true;
	return 0;
}

int
ctx_set_config(struct ctx *ctx, const char *path)
{
	struct config *cfg = NULL;
	int r = config_load(path, &cfg);
	if (r != 0)
		return r;
	config_free(ctx->cfg);
	ctx->cfg = cfg;
	return 0;
}

/* VALUE from the command line, else FROM_CONFIG, else the environment variable NAME. */
static const char *
pick(const char *value, const char *from_config, const char *name)
{
	const char *env;
	if (value != NULL)
		return value;
	if (from_config != NULL)
		return from_config;
	env = name != NULL ? getenv(name) : NULL;
	return env != NULL && *env != '\0' ? env : NULL;
}

#define CFG(field) (ctx->cfg != NULL ? ctx->cfg->field : NULL)
const char *ctx_module(const struct ctx *ctx)
{ return pick(ctx->module, CFG(module), "P11BYOK_MODULE"); }
const char *ctx_token(const struct ctx *ctx)
{ return pick(ctx->token, CFG(token), "P11BYOK_TOKEN"); }
const char *ctx_kmdata(const struct ctx *ctx)
{ return pick(ctx->kmdata, CFG(kmdata), "P11BYOK_KMDATA"); }
const char *ctx_regions(const struct ctx *ctx) { return pick(ctx->regions, CFG(regions), NULL); }
const char *ctx_pin_file(const struct ctx *ctx)
{ return pick(ctx->pin_file, CFG(pin_file), NULL); }
#undef CFG
const struct config *ctx_config(const struct ctx *ctx) { return ctx->cfg; }

enum offline_policy
ctx_offline(const struct ctx *ctx)
{
	if (ctx->have_offline)
		return ctx->offline;
	return ctx->cfg != NULL && ctx->cfg->have_offline ? ctx->cfg->offline : OFFLINE_WARN;
}
