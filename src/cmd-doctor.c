/* cmd-doctor.c: p11byok doctor — can this module and token run the BYOK flow here? */
#include "config.h"
#include "cli.h"
#include "jsonout.h"
#include "modcaps.h"
#include "msg.h"
#include "netstate.h"
#include "p11.h"
#include "transfer.h"
#include "trustscan.h"
#include "world.h"
#include "wrapcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum path { PATH_NONE, PATH_NATIVE, PATH_COMPOSED };

static const char *
path_text(enum path p)
{
	switch (p) {
	case PATH_NATIVE: return "CKM_RSA_AES_KEY_WRAP in one call";
	case PATH_COMPOSED: return "composed in the token: CKM_AES_KEY_WRAP_PAD under a "
	    "single-use transfer key, that key under the KEK with CKM_RSA_PKCS_OAEP";
	default: return "none: the token offers neither CKM_RSA_AES_KEY_WRAP nor "
	    "CKM_RSA_PKCS_OAEP with CKM_AES_KEY_WRAP_PAD";
	}
}

/* The CKNFAST_* settings an nShield module reads (from the environment first, then
 * $NFAST_HOME/cknfastrc, default /opt/nfast): they change which slots and attribute
 * combinations it offers, so doctor's verdict holds for them only.  Lines of cknfastrc are
 * VARIABLE=VALUE.  */
static json_t *
nshield_section(void)
{
	extern char **environ;
	const char *home = getenv("NFAST_HOME");
	char path[4096], line[512];
	json_t *env = json_object(), *rc = json_object();
	FILE *f;

	msg_out("  nShield:     the CKNFAST_* settings this verdict holds for:\n");
	for (char **e = environ; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		if (strncmp(*e, "CKNFAST_", 8) != 0 || eq == NULL)
			continue;
		msg_out("    %s (environment)\n", *e);
		char name[128];
		snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
		json_object_set_new(env, name, json_string(eq + 1));
	}
	snprintf(path, sizeof path, "%s/cknfastrc", home != NULL ? home : "/opt/nfast");
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL) {
			char *eq = strchr(line, '=');
			line[strcspn(line, "\r\n")] = '\0';
			if (strncmp(line, "CKNFAST_", 8) != 0 || eq == NULL)
				continue;
			*eq = '\0';
			msg_out("    %s=%s (%s)\n", line, eq + 1, path);
			json_object_set_new(rc, line, json_string(eq + 1));
		}
		fclose(f);
	}
	if (json_object_size(env) == 0 && json_object_size(rc) == 0)
		msg_out("    none (in the environment or %s): the module's defaults\n", path);
	return json_pack("{s:o, s:o, s:s}", "environment", env, "cknfastrc", rc,
	    "cknfastrc_path", path);
}

static json_t *
module_section(struct p11 *p)
{
	CK_INFO info;
	char manuf[33], lib[33], libver[16], ckver[16];
	CK_RV rv = p11_fn(p)->C_GetInfo(&info);

	if (rv != CKR_OK) {
		msg_ck(rv, "C_GetInfo on %s failed", p11_module_path(p));
		return json_pack("{s:s}", "path", p11_module_path(p));
	}
	p11_text(info.manufacturerID, sizeof info.manufacturerID, manuf);
	p11_text(info.libraryDescription, sizeof info.libraryDescription, lib);
	snprintf(libver, sizeof libver, "%u.%u", info.libraryVersion.major,
	    info.libraryVersion.minor);
	snprintf(ckver, sizeof ckver, "%u.%u", info.cryptokiVersion.major,
	    info.cryptokiVersion.minor);
	msg_out("Module:        %s\n", p11_module_path(p));
	msg_out("  library:     %s %s (%s), PKCS#11 %s\n", lib, libver, manuf, ckver);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "path", p11_module_path(p),
	    "manufacturer", manuf, "library", lib, "library_version", libver,
	    "cryptoki_version", ckver);
	const char *base = strrchr(p11_module_path(p), '/');
	base = base != NULL ? base + 1 : p11_module_path(p);
	if (strcmp(base, "libcknfast.so") == 0 || strstr(manuf, "nCipher") != NULL ||
	    strstr(manuf, "Entrust") != NULL)
		json_object_set_new(o, "nshield", nshield_section());
	return o;
}

static json_t *
slots_section(struct p11 *p, int *r)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0;
	json_t *arr = json_array();

	if ((*r = p11_slots(p, false, &slots, &n)) != 0)
		return arr;
	msg_out("Slots:         %lu\n", (unsigned long)n);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_SLOT_INFO si;
		CK_TOKEN_INFO ti;
		char desc[65], label[33], serial[17], model[17], manuf[33];
		json_t *token = json_null();

		CK_RV rv;
		if ((rv = p11_fn(p)->C_GetSlotInfo(slots[i], &si)) != CKR_OK) {
			msg_ck(rv, "cannot read slot %lu of module %s (C_GetSlotInfo)",
			    (unsigned long)slots[i], p11_module_path(p));
			*r = P11BYOK_EENV;
			break;
		}
		p11_text(si.slotDescription, sizeof si.slotDescription, desc);
		if ((si.flags & CKF_TOKEN_PRESENT) &&
		    (rv = p11_fn(p)->C_GetTokenInfo(slots[i], &ti)) != CKR_OK) {
			msg_ck(rv, "cannot read the token in slot %lu (C_GetTokenInfo)",
			    (unsigned long)slots[i]);
			*r = P11BYOK_EENV;
			break;
		}
		if (si.flags & CKF_TOKEN_PRESENT) {
			bool init = ti.flags & CKF_TOKEN_INITIALIZED;
			bool user = ti.flags & CKF_USER_PIN_INITIALIZED;
			p11_text(ti.label, sizeof ti.label, label);
			p11_text(ti.serialNumber, sizeof ti.serialNumber, serial);
			p11_text(ti.model, sizeof ti.model, model);
			p11_text(ti.manufacturerID, sizeof ti.manufacturerID, manuf);
			if (init)
				msg_out("  slot %-8lu token '%s', serial %s, %s %s, initialised, user "
				    "PIN %s\n", (unsigned long)slots[i], label, serial, manuf, model,
				    user ? "set" : "not set");
			else
				msg_out("  slot %-8lu token not initialised (%s %s)\n",
				    (unsigned long)slots[i], manuf, model);
			token = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "label", label,
			    "serial", serial, "manufacturer", manuf, "model", model,
			    "initialized", init, "user_pin_initialized", user);
		} else {
			msg_out("  slot %-8lu no token (%s)\n", (unsigned long)slots[i], desc);
		}
		json_array_append_new(arr, json_pack("{s:I, s:s, s:o}", "slot",
		    (json_int_t)slots[i], "description", desc, "token", token));
	}
	free(slots);
	return arr;
}

static json_t *
mechanisms_section(struct p11 *p, enum path *path, bool *keygen_ok, bool *failed)
{
	int have[16] = { 0 };
	json_t *arr = json_array();

	if (p11_token_info(p)->flags & CKF_TOKEN_INITIALIZED)
		msg_out("Token:         '%s' (serial %s, slot %lu)\n", p11_token_label(p),
		    p11_token_serial(p), (unsigned long)p11_slot(p));
	else
		msg_out("Token:         none initialised; mechanisms of the free token in slot %lu\n",
		    (unsigned long)p11_slot(p));
	*keygen_ok = true;
	for (size_t i = 0; i < modcaps_nmechs; i++) {
		const struct modcaps_mech *m = &modcaps_mechs[i];
		CK_MECHANISM_INFO info;
		CK_FLAGS flags;
		if ((have[i] = modcaps_mech(p, m, &flags)) == MODCAPS_FAILED) {
			*failed = true;
			break;
		}
		/* Listed without the flag of its use is no use: say which flag is missing. */
		msg_out("  %-26s %-8s %s%s\n", m->name, have[i] == 1 ? "present" : have[i] == 0 ?
		    "missing" : "unusable", m->use, have[i] >= 0 ? "" : (m->flags & ~flags &
		    CKF_WRAP) ? " (listed without CKF_WRAP)" : (m->flags & ~flags & CKF_UNWRAP) ?
		    " (listed without CKF_UNWRAP)" : " (listed without CKF_GENERATE)");
		if ((i < 3 || i == 4) && have[i] != 1)
			*keygen_ok = false;
		json_array_append_new(arr, have[i] != 0 && p11_has_mechanism(p, m->type, &info) ?
		    json_pack("{s:s, s:b, s:b, s:I, s:I, s:I}", "name", m->name, "present", 1,
		    "usable", have[i] == 1, "flags", (json_int_t)info.flags, "min_key_size",
		    (json_int_t)info.ulMinKeySize, "max_key_size", (json_int_t)info.ulMaxKeySize) :
		    json_pack("{s:s, s:b, s:b}", "name", m->name, "present", 0, "usable", 0));
	}
	*path = have[MODCAPS_NATIVE] == 1 ? PATH_NATIVE : have[3] == 1 && have[4] == 1 ?
	    PATH_COMPOSED : PATH_NONE;
	msg_out("Transfer path: %s\n", path_text(*path));
	return arr;
}

/* What mechanism flags cannot show (modcaps.h), with a verdict each.  *BAD when the flow
 * cannot run.  */
static json_t *
capabilities_section(struct p11 *p, bool *bad, int *r)
{
	static const char *const verdicts[] = { "yes", "NO", "unknown" };
	struct modcap caps[MODCAPS_NPROBES];
	bool init = p11_token_info(p)->flags & CKF_TOKEN_INITIALIZED;
	json_t *arr = json_array();

	if (init && (*r = p11_open_session(p)) != 0)
		return arr;
	modcaps_probe(p, init, caps);
	msg_out("Capabilities:  probed with session objects, destroyed at once\n");
	for (size_t i = 0; i < MODCAPS_NPROBES; i++) {
		if (caps[i].note[0])
			msg_out("  %-32s %-7s %s\n", caps[i].name, verdicts[caps[i].v], caps[i].note);
		else
			msg_out("  %-32s %s\n", caps[i].name, verdicts[caps[i].v]);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", caps[i].name,
		    "verdict", verdicts[caps[i].v], "note", caps[i].note));
		/* Without C_InitToken, world init --adopt is the way: not a failure. */
		if (caps[i].v == MODCAP_NO && i > 0)
			*bad = true;
	}
	return arr;
}

/* Logs in only when a PIN source is given: doctor never prompts, and never retries. */
static json_t *
login_section(struct p11 *p, const char *pin_file, int *r)
{
	if (!(p11_token_info(p)->flags & CKF_TOKEN_INITIALIZED))
		return json_string("not initialised");
	if (!p11_pin_source_given(p, pin_file)) {
		msg_out("User login:    not checked (give --pin-file or pin-source to check it)\n");
		return json_string("not checked");
	}
	if ((*r = p11_login_user(p, pin_file)) != 0)
		return json_string("failed");
	msg_out("User login:    ok\n");
	return json_string("ok");
}

/* How far the quorum's trust can be kept to one key on this token (transfer.h), and what
 * trust rests on it now (trustscan.h).  *BAD when the flow must not run here.  */
static json_t *
trust_section(struct p11 *p, bool logged_in, bool *bad, int *r)
{
	struct trusted_obj *t = NULL;
	CK_OBJECT_HANDLE wk = CK_INVALID_HANDLE;
	bool enforced = false, names = false, fixed = false;
	json_t *o = json_object(), *jn = json_null(), *jp = json_null();
	size_t n = 0, foreign = 0;
	CK_RV rv;

	if ((*r = p11_open_session(p)) != 0)
		return o;
	if ((rv = transfer_probe_template(p, &enforced)) != CKR_OK)
		msg_out("Wrap template: cannot probe (%s)\n", ck_rv_name(rv));
	else
		msg_out("Wrap template: %s\n", enforced ? "enforced (a session key refused to wrap "
		    "a key its CKA_WRAP_TEMPLATE excludes)" : "NOT ENFORCED: the quorum's trust "
		    "cannot be kept to one key; p11byok does not transfer on this module");
	*bad = !enforced;
	if ((rv = transfer_probe_wwt_fixed(p, &fixed)) != CKR_OK)
		msg_out("Wrap-with-trusted: cannot probe (%s)\n", ck_rv_name(rv));
	else
		msg_out("Wrap-with-trusted: %s\n", fixed ? "fixed at birth (a key that has it was "
		    "never wrappable under any key)" : "CAN BE GIVEN LATER: run does not recover a "
		    "key whose record a crash lost");
	if (!logged_in) {
		msg_out("Private names: not probed (needs the user PIN: give --pin-file)\n");
	} else if ((rv = transfer_probe_private_names(p, &names)) != CKR_OK) {
		msg_out("Private names: cannot probe (%s)\n", ck_rv_name(rv));
	} else {
		jn = json_boolean(names);
		msg_out("Private names: %s\n", names ? "compared: a transfer's trust names the "
		    "approved copy (its CKA_ID, label and public part)" : "not compared (the module "
		    "matches a private key's CKA_ID in no wrap template): a transfer's trust is "
		    "kept to the copy by class and flags, and by living only inside one package "
		    "process for the seconds of its wrap");
	}
	if ((*r = trustscan_list(p, &t, &n)) != 0)
		goto out;
	msg_out("Trusted:       %zu object%s at rest on the token%s\n", n, n == 1 ? "" : "s",
	    logged_in ? "" : " (public ones only: give --pin-file to see private ones)");
	for (size_t i = 0; i < n; i++) {
		msg_out("  %-26s %s '%s'; may wrap %s%s%s\n", trustscan_kind_name(t[i].kind),
		    t[i].cls, t[i].label, t[i].may_wrap, t[i].why[0] ? ": " : "", t[i].why);
		foreign += t[i].kind != TRUSTED_WORLD_KEY;	/* legacy trust is trust at rest */
		if (t[i].kind == TRUSTED_WORLD_KEY)
			wk = t[i].h;
	}
	if (wk != CK_INVALID_HANDLE) {
		bool prot = world_key_protected(p, wk);
		jp = json_boolean(prot);
		if (!prot)
			msg_out("World key:     WEAK: any session can destroy it (CKA_DESTROYABLE is "
			    "not false), and with it every backup in kmdata\n");
	}
	*bad = *bad || foreign > 0;
	json_object_set_new(o, "trusted_objects", trustscan_json(t, n));
	json_object_set_new(o, "trusted_objects_complete", json_boolean(logged_in));
out:
	json_object_set_new(o, "wrap_template_enforced", json_boolean(enforced));
	json_object_set_new(o, "wrap_with_trusted_fixed", json_boolean(fixed));
	json_object_set_new(o, "private_names_compared", jn);
	json_object_set_new(o, "world_key_protected", jp);
	free(t);
	return o;
}

/* The known-answer check (wrapcheck.h) of each wrap the tool may ask of the module: both
 * ways, with the OAEP hashes cloud targets use.  *BAD when the wrap package takes for
 * Azure (PATH's way, OAEP SHA-1) is not correct.  */
static json_t *
wrapcheck_section(struct p11 *p, enum path path, bool logged_in, bool *bad, int *r)
{
	static const struct wrap_params sets[] = {
		{ true, CKM_SHA_1, 256 }, { true, CKM_SHA256, 256 },
		{ false, CKM_SHA_1, 256 }, { false, CKM_SHA256, 256 },
	};
	json_t *arr = json_array();
	struct wrapcheck c;

	if ((*r = p11_open_session(p)) != 0)
		return arr;
	msg_out("Wrap checks:   a throwaway key wrapped under a throwaway RSA key, opened here\n");
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		if (wrapcheck_run(p, &sets[i], &c) != 0) {
			*r = P11BYOK_EFAIL;
			break;
		}
		/* Some modules wrap for a logged-in user only: no verdict without the PIN. */
		bool later = c.result == WRAPCHECK_REFUSED && c.rv == CKR_USER_NOT_LOGGED_IN &&
		    !logged_in;
		json_t *o = wrapcheck_json(&c);
		msg_out("  %-41s OAEP %-7s AES-%lu  %s%s%s\n", wrapcheck_mechanism_name(&c.wp),
		    wrap_hash_name(c.wp.oaep_hash), (unsigned long)c.wp.aes_bits,
		    later ? "not checked" : wrapcheck_result_name(c.result),
		    later ? ": the module wraps for a logged-in user only (give --pin-file)" :
		    c.detail[0] ? ": " : "", later ? "" : c.detail);
		if (later)
			json_object_set_new(o, "result", json_string("not checked"));
		json_array_append_new(arr, o);
		if (!later && c.wp.native == (path == PATH_NATIVE) && c.wp.oaep_hash == CKM_SHA_1 &&
		    c.result != WRAPCHECK_CORRECT && path != PATH_NONE)
			*bad = true;
	}
	return arr;
}

static json_t *
offline_section(void)
{
	char names[512];
	int up = net_interfaces_up(names, sizeof names);

	if (up < 0) {
		msg_out("Offline:       unknown (cannot list network interfaces)\n");
		return json_pack("{s:n, s:[]}", "offline", "interfaces_up");
	}
	if (up == 0)
		msg_out("Offline:       yes (no network interface but loopback is up)\n");
	else
		msg_out("Offline:       no: %s %s up; an air-gapped workstation should have none\n",
		    names, up == 1 ? "is" : "are");
	return json_pack("{s:b, s:s}", "offline", up == 0, "interfaces_up", names);
}

static int
run(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_OPTIONS };
	struct p11 *p = NULL;
	json_t *doc = NULL, *mech = json_null();
	enum path path = PATH_NONE;
	bool keygen_ok = false, trust_bad = false, wrap_bad = false, caps_bad = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if ((r = cli_common_option(ctx, cmd, c, optarg)) != CLI_CONTINUE)
			return r;
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if ((r = p11_load(ctx_module(ctx), &p)) != 0)
		goto out;
	doc = json_object();
	json_object_set_new(doc, "module", module_section(p));
	json_object_set_new(doc, "slots", slots_section(p, &r));
	if (r != 0)
		goto out;
	if ((r = p11_select_token(p, ctx_token(ctx), P11_WANT_ANY)) == 0) {
		json_decref(mech);
		bool mech_failed = false;
		mech = mechanisms_section(p, &path, &keygen_ok, &mech_failed);
		if (mech_failed)
			r = P11BYOK_EFAIL;
		json_t *tok = json_pack("{s:s, s:s, s:I}", "label", p11_token_label(p), "serial",
		    p11_token_serial(p), "slot", (json_int_t)p11_slot(p));
		char why[160];
		if (p11_token_info(p)->flags & CKF_TOKEN_INITIALIZED) {
			bool distinct = modcaps_serial_distinct(p, why, sizeof why);
			if (!distinct)
				msg_warn("token '%s' cannot be told apart by its serial number: %s; key "
				    "records and worlds bind to it, so world init refuses it",
				    p11_token_label(p), why);
			json_object_set_new(tok, "serial_distinct", json_boolean(distinct));
		}
		json_object_set_new(doc, "token", tok);
	}
	json_object_set_new(doc, "mechanisms", mech);
	if (r == 0)
		json_object_set_new(doc, "login", login_section(p, ctx_pin_file(ctx), &r));
	/* After the login: a user must be refused a trusted key as much as a public session. */
	if (r == 0)
		json_object_set_new(doc, "capabilities", capabilities_section(p, &caps_bad, &r));
	if (r == 0 && (p11_token_info(p)->flags & CKF_TOKEN_INITIALIZED))
		json_object_set_new(doc, "trust", trust_section(p, p11_pin_source_given(p,
		    ctx_pin_file(ctx)), &trust_bad, &r));
	if (r == 0 && (p11_token_info(p)->flags & CKF_TOKEN_INITIALIZED))
		json_object_set_new(doc, "wrap_checks", wrapcheck_section(p, path,
		    p11_pin_source_given(p, ctx_pin_file(ctx)), &wrap_bad, &r));
	json_object_set_new(doc, "transfer_path", path == PATH_NATIVE ?
	    json_string("CKM_RSA_AES_KEY_WRAP") : path == PATH_COMPOSED ?
	    json_string("composed") : json_null());
	json_object_set_new(doc, "offline", offline_section());
	if (r == 0 && (path == PATH_NONE || !keygen_ok)) {
		msg_err("the token in slot %lu lacks mechanisms the BYOK flow needs (see "
		    "'missing' and 'unusable' above): use another token or module",
		    (unsigned long)p11_slot(p));
		r = P11BYOK_EFAIL;
	} else if (r == 0 && caps_bad) {
		msg_err("module %s cannot run the BYOK flow (see 'NO' under 'Capabilities' above)",
		    p11_module_path(p));
		r = P11BYOK_EFAIL;
	} else if (r == 0 && wrap_bad) {
		msg_err("module %s fails the known-answer check of the wrap 'package' takes (see "
		    "'Wrap checks' above): a .byok it made would be refused by the cloud",
		    p11_module_path(p));
		r = P11BYOK_EFAIL;
	} else if (r == 0 && trust_bad) {
		msg_err("token '%s' cannot keep the quorum's trust to the approved key, or holds "
		    "trust p11byok did not give (see 'Wrap template' and 'Trusted' above): no "
		    "transfer may run on it as it is", p11_token_label(p));
		r = P11BYOK_EFAIL;
	}
	if (msg_json()) {
		json_object_set_new(doc, "result", json_string(r == 0 ? "SUCCESS" : "FAILURE"));
		int jr = json_emit(doc);
		doc = NULL;
		if (r == 0)
			r = jr;
	}
out:
	json_decref(doc);
	p11_free(p);
	return r;
}

static const struct opt_doc opts[] = { { NULL, NULL, NULL } };

const struct command cmd_doctor = {
	"doctor", "",
	"check the module, its tokens and mechanisms, and whether the machine looks offline",
	"Loads the module, lists its slots and tokens (label, serial, initialised or not), "
	"checks on the chosen token each mechanism the flow needs with the flags of its use "
	"(one listed without CKF_WRAP, CKF_UNWRAP or CKF_GENERATE is 'unusable'), says which "
	"transfer path 'package' will take, probes with public session objects what flags cannot "
	"tell (C_InitToken, on a slot that does not exist; that only the security officer can "
	"make a CKA_TRUSTED key; that C_WrapKey enforces CKA_WRAP_WITH_TRUSTED; C_CopyObject "
	"with usages turned off; a private key wrapped at all) with a verdict and the "
	"consequence each, and whether a non-loopback network interface is up. Exits 1 when "
	"the token cannot run the flow or the PIN is refused, 2 when more than one token matches "
	"(choose one with --token), 3 when the module cannot be loaded or no token is found. With a PIN source (--pin-file, pin-source in the token URI or "
	"P11BYOK_PIN) it also logs in once, to check the PIN; it never prompts. On an "
	"initialised token it probes, with session keys it destroys at once, whether the module "
	"enforces CKA_WRAP_TEMPLATE (exit 1 when not), whether CKA_WRAP_WITH_TRUSTED stays off "
	"once a key is born without it and, logged in, whether it compares a private key's "
	"CKA_ID in a wrap template; and lists every trusted object at rest with what it may "
	"wrap: the world key, or anything else, which is marked NOT ACCOUNTED FOR or left by an "
	"older p11byok (exit 1); without a PIN, the public ones only. "
	"It then makes each wrap the tool may ask of the module (CKM_RSA_AES_KEY_WRAP, and "
	"CKM_RSA_PKCS_OAEP with CKM_AES_KEY_WRAP_PAD; OAEP SHA-1 and SHA-256; AES-256) of a "
	"throwaway session key under a throwaway session RSA key whose private half it holds, "
	"opens the result itself and says for each: correct, ignored parameter (the module "
	"made something else than asked, such as SHA-1 OAEP when asked for SHA-256), wrong "
	"output, refused or missing (or not checked: some modules wrap for a logged-in user "
	"only); exit 1 when the wrap 'package' takes is not correct. "
	"With the nShield module it prints the CKNFAST_* settings in the environment and in "
	"$NFAST_HOME/cknfastrc (default /opt/nfast), which change what the module offers. "
	"--json fields: module (nshield: environment, cknfastrc, cknfastrc_path), slots, token "
	"(label, serial, slot, serial_distinct), "
	"mechanisms[] (name, present, usable, flags, min_key_size, max_key_size), "
	"capabilities[] (name, verdict, note), transfer_path, login, trust "
	"(wrap_template_enforced, wrap_with_trusted_fixed, private_names_compared, "
	"world_key_protected, trusted_objects[]: kind, class, label, id_hex, may_wrap, why; "
	"trusted_objects_complete), wrap_checks[] (mechanism, oaep_hash, aes_bits, result, "
	"detail), offline, result.",
	opts, run,
};
