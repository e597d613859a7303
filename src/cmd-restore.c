/* cmd-restore.c: p11byok restore ID — re-creates a deleted world-bound key from its backup
 * in kmdata/key_simple_ID, on the world's token, with every protection it was born with.  */
#include "config.h"
#include "audit-failure.h"
#include "audit.h"
#include "cli.h"
#include "jsonout.h"
#include "keygen.h"
#include "keyspec.h"
#include "msg.h"
#include "p11.h"

#include <string.h>

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	const char *ident;
	struct keygen_result res;
	struct p11 *p = NULL;
	json_t *ev = NULL;
	bool made = false;
	int r;

	if ((r = cli_ident_args(ctx, cmd, argc, argv, &ident)) != CLI_CONTINUE)
		return r;
	audit_failure_note("ident", ident);
	if ((r = audit_check_writable(ctx_kmdata(ctx))) != 0 ||
	    (r = p11_load(ctx_module(ctx), &p)) != 0 ||
	    (r = p11_select_token(p, ctx_token(ctx), P11_WANT_INITIALISED)) != 0 ||
	    (r = p11_login_user(p, ctx_pin_file(ctx))) != 0 ||
	    (r = keygen_restore(p, ctx_kmdata(ctx), ident, &res)) != 0)
		goto out;
	made = true;
	r = P11BYOK_EFAIL;
	if ((ev = audit_event("restore")) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	json_object_set_new(ev, "token_serial", json_string(p11_token_serial(p)));
	json_object_set_new(ev, "world_hash", json_string(res.world_hash));
	json_object_set_new(ev, "ident", json_string(ident));
	if (res.fingerprint[0])
		json_object_set_new(ev, "public_key_sha256", json_string(res.fingerprint));
	json_object_set_new(ev, "result", json_string("SUCCESS"));
	if (audit_append(ctx_kmdata(ctx), ev) != 0)
		goto out;

	msg_out("Key:             %s, restored from %s\n", ident, res.record);
	msg_out("Token:           %s (serial %s)\n", p11_token_label(p), p11_token_serial(p));
	msg_out("World hash:      %s\n", res.world_hash);
	msg_out("Protection:      module; sensitive, extractable only under trusted keys "
	    "(CKA_WRAP_WITH_TRUSTED)\n");
	if (res.fingerprint[0]) {
		msg_out("Public key SHA-256: %s (the record's; a test signature verified)\n",
		    res.fingerprint);
		msg_out("Public key object: %s\n", res.pub_created ? "re-created from the record" :
		    "kept (it was still on the token)");
	}
	r = msg_json() ? json_emit(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:b, s:s}",
	    "ident", ident, "record", res.record, "token", p11_token_label(p), "token_serial",
	    p11_token_serial(p), "world_hash", res.world_hash, "public_key_sha256",
	    res.fingerprint[0] ? res.fingerprint : NULL, "public_key_recreated", res.pub_created,
	    "result", "SUCCESS")) : 0;
	if (r == 0)
		fprintf(msg_stream(), "Result: SUCCESS\n");
out:
	if (r != 0 && made)
		keygen_discard(p, ident, &res, false);
	json_decref(ev);
	p11_free(p);
	return r;
}

const struct command cmd_restore = {
	"restore",
	"ID",
	"re-create a deleted key in its world from kmdata/key_simple_ID",
	"Logs in as the user on the record's token (its serial and the world hash of kmdata/world "
	"must match the record) and, when the key whose CKA_ID is ID is gone, unwraps its backup "
	"under the world backup key (C_UnwrapKey, CKM_AES_KEY_WRAP_PAD) with every protection "
	"generate gave it: token, private, sensitive, extractable only under trusted keys "
	"(CKA_WRAP_WITH_TRUSTED; the world key's unwrap template refuses anything weaker), the "
	"same id, label and usage. The public key object of an RSA or EC key is re-created from "
	"the record when missing, and a signature by the restored key must verify with the "
	"record's public key, else the restored objects are destroyed. Refuses a key that still "
	"exists. Appends a 'restore' event to the audit log. --json fields: ident, record, token, "
	"token_serial, world_hash, public_key_sha256, public_key_recreated, result.",
	NULL, run,
};
