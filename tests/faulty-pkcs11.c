/* faulty-pkcs11.c: a PKCS#11 module for tests that forwards every call to a real module
 * and, driven by the environment, fails one of them or logs them all.
 *
 *   P11FAULT_MODULE  the real module (default: SoftHSMv2)
 *   P11FAULT_AT      fail the Nth call (1-based, counting every call but C_GetFunctionList)
 *   P11FAULT_AT_CALL C_Name:N — fail the Nth call of C_Name instead (as P11FAULT_AT does)
 *   P11FAULT_RV      the ck_rv_t it returns: a name (CKR_DEVICE_ERROR) or a number (0x30);
 *                    default CKR_DEVICE_ERROR
 *   P11FAULT_LOG     append "N C_Name" per call, and "N C_Name FAULT" for the failed one
 *   P11FAULT_KILL_AFTER  C_Name:N — SIGKILL the process at its first call after the Nth
 *                    C_Name returned: a crash or power cut just after that operation, before
 *                    the tool could record it
 *   P11FAULT_STOP_AFTER  C_Name:N — the same with SIGSTOP: the process waits there, mid
 *                    operation, until a test (playing an attacker meanwhile) sends SIGCONT
 *
 *   P11FAULT_FLIP_WRAP  N — flips the last byte of the Nth RSA wrap C_WrapKey returns
 *                    (CKM_RSA_PKCS_OAEP or CKM_RSA_AES_KEY_WRAP, a call that fills its
 *                    buffer): a module whose output is corrupt
 *
 *   Modules that cannot do the flow, played on a real one:
 *   P11FAULT_NO_INIT_TOKEN  any value: C_InitToken is CKR_FUNCTION_NOT_SUPPORTED
 *   P11FAULT_MECH_FLAGS  MECH:FLAGS (numbers) — C_GetMechanismInfo of MECH says FLAGS, as a
 *                    module that lists a mechanism without the use (CKF_WRAP) would
 *   P11FAULT_SERIAL  S: every token's serial number reads S (tpm2-pkcs11 gives all its
 *                    tokens 0000000000000000)
 *   P11FAULT_REFUSE_TRUSTED  any value: C_CreateObject of a CKA_TRUSTED object is
 *                    CKR_ATTRIBUTE_READ_ONLY, even for the security officer
 *   P11FAULT_IGNORE_TRUSTED  any value: C_CreateObject drops CKA_TRUSTED from the template
 *                    and succeeds, as a module that lets anyone create trusted keys
 *
 *   P11FAULT_MODE    how the Nth call fails:
 *                      before  it never reaches the real module, as when a device drops a
 *                              request (the default);
 *                      after   the real module does the work and the reply is lost: the
 *                              caller sees P11FAULT_RV (a call that failed anyway keeps
 *                              its own code);
 *                      kill    the real module does the work, then SIGKILL before the
 *                              caller sees the reply (a crash or power cut at the call).  */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* The GNU names: the declarations below are generated from them. */
#define CRYPTOKI_GNU 1
#include <p11-kit/pkcs11.h>

static struct ck_function_list *real;
static unsigned long calls, fault_at;
static ck_rv_t fault_rv = CKR_DEVICE_ERROR;
static FILE *log_file;
static char kill_name[64], stop_name[64];
static unsigned long kill_after, kill_seen, stop_after, stop_seen;
static char at_name[64];
static unsigned long at_nth, at_seen;
static int kill_next, stop_next;
static enum { MODE_BEFORE, MODE_AFTER, MODE_KILL } mode;
static int faulting;	/* the call in progress is the one to fail, in mode after or kill */
static unsigned long flip_wrap, wraps_filled;
static unsigned long flags_mech, flags_value;
static int no_init_token, ignore_trusted, refuse_trusted, flags_set;

static const struct { const char *name; ck_rv_t rv; } rv_names[] = {
	{ "CKR_GENERAL_ERROR", CKR_GENERAL_ERROR }, { "CKR_FUNCTION_FAILED", CKR_FUNCTION_FAILED },
	{ "CKR_DEVICE_ERROR", CKR_DEVICE_ERROR }, { "CKR_DEVICE_MEMORY", CKR_DEVICE_MEMORY },
	{ "CKR_DEVICE_REMOVED", CKR_DEVICE_REMOVED }, { "CKR_HOST_MEMORY", CKR_HOST_MEMORY },
	{ "CKR_SESSION_HANDLE_INVALID", CKR_SESSION_HANDLE_INVALID },
	{ "CKR_SESSION_CLOSED", CKR_SESSION_CLOSED }, { "CKR_TOKEN_NOT_PRESENT", CKR_TOKEN_NOT_PRESENT },
	{ "CKR_USER_NOT_LOGGED_IN", CKR_USER_NOT_LOGGED_IN },
	{ "CKR_FUNCTION_NOT_SUPPORTED", CKR_FUNCTION_NOT_SUPPORTED },
	{ "CKR_MECHANISM_INVALID", CKR_MECHANISM_INVALID },
};

static int
load(void)
{
	const char *path = getenv("P11FAULT_MODULE"), *at = getenv("P11FAULT_AT");
	const char *rv = getenv("P11FAULT_RV"), *log = getenv("P11FAULT_LOG");
	const char *kill, *colon;
	CK_C_GetFunctionList get;
	void *dl;

	if (real != NULL)
		return 0;
	if ((dl = dlopen(path ? path : "/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW)) == NULL ||
	    (get = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList")) == NULL ||
	    get(&real) != CKR_OK)
		return -1;
	fault_at = at ? strtoul(at, NULL, 0) : 0;
	if ((at = getenv("P11FAULT_MODE")) != NULL)
		mode = strcmp(at, "after") == 0 ? MODE_AFTER : strcmp(at, "kill") == 0 ?
		    MODE_KILL : MODE_BEFORE;
	if (rv != NULL) {
		fault_rv = strtoul(rv, NULL, 0);
		for (size_t i = 0; i < sizeof rv_names / sizeof rv_names[0]; i++)
			if (strcmp(rv, rv_names[i].name) == 0)
				fault_rv = rv_names[i].rv;
	}
	if (log != NULL)
		log_file = fopen(log, "a");
	if ((at = getenv("P11FAULT_FLIP_WRAP")) != NULL)
		flip_wrap = strtoul(at, NULL, 0);
	no_init_token = getenv("P11FAULT_NO_INIT_TOKEN") != NULL;
	ignore_trusted = getenv("P11FAULT_IGNORE_TRUSTED") != NULL;
	refuse_trusted = getenv("P11FAULT_REFUSE_TRUSTED") != NULL;
	if ((at = getenv("P11FAULT_MECH_FLAGS")) != NULL && (colon = strchr(at, ':')) != NULL) {
		flags_mech = strtoul(at, NULL, 0);
		flags_value = strtoul(colon + 1, NULL, 0);
		flags_set = 1;
	}
	if ((kill = getenv("P11FAULT_KILL_AFTER")) != NULL && (colon = strchr(kill, ':')) != NULL &&
	    (size_t)(colon - kill) < sizeof kill_name) {
		memcpy(kill_name, kill, (size_t)(colon - kill));
		kill_after = strtoul(colon + 1, NULL, 0);
	}
	if ((kill = getenv("P11FAULT_AT_CALL")) != NULL && (colon = strchr(kill, ':')) != NULL &&
	    (size_t)(colon - kill) < sizeof at_name) {
		memcpy(at_name, kill, (size_t)(colon - kill));
		at_nth = strtoul(colon + 1, NULL, 0);
	}
	if ((kill = getenv("P11FAULT_STOP_AFTER")) != NULL && (colon = strchr(kill, ':')) != NULL &&
	    (size_t)(colon - kill) < sizeof stop_name) {
		memcpy(stop_name, kill, (size_t)(colon - kill));
		stop_after = strtoul(colon + 1, NULL, 0);
	}
	return 0;
}

/* Counts the call; CKR_OK to forward it, the fault to return instead. */
static ck_rv_t
enter(const char *name)
{
	int fail = ++calls == fault_at ||
	    (at_nth != 0 && strcmp(name, at_name) == 0 && ++at_seen == at_nth);
	if (kill_next)
		raise(SIGKILL);
	if (stop_next) {
		stop_next = 0;
		raise(SIGSTOP);
	}
	kill_next = kill_after != 0 && strcmp(name, kill_name) == 0 && ++kill_seen == kill_after;
	stop_next = stop_after != 0 && strcmp(name, stop_name) == 0 && ++stop_seen == stop_after;
	if (log_file != NULL) {
		fprintf(log_file, "%lu %s%s\n", calls, name, fail ? " FAULT" : "");
		fflush(log_file);
	}
	faulting = fail && mode != MODE_BEFORE;
	return fail && mode == MODE_BEFORE ? fault_rv : CKR_OK;
}

/* The real module's answer RV to the call in progress, as the caller is to see it. */
static ck_rv_t
leave(ck_rv_t rv)
{
	if (!faulting)
		return rv;
	faulting = 0;
	if (mode == MODE_KILL)
		raise(SIGKILL);
	return rv == CKR_OK ? fault_rv : rv;
}

static ck_rv_t
f_C_Initialize(void *init_args)
{
	ck_rv_t rv;

	if (load() < 0)
		return CKR_GENERAL_ERROR;

	if ((rv = enter("C_Initialize")) != CKR_OK)
		return rv;
	return leave(real->C_Initialize(init_args));
}

static ck_rv_t
f_C_Finalize(void *reserved)
{
	ck_rv_t rv;

	if ((rv = enter("C_Finalize")) != CKR_OK)
		return rv;
	return leave(real->C_Finalize(reserved));
}

static ck_rv_t
f_C_GetInfo(struct ck_info *info)
{
	ck_rv_t rv;

	if ((rv = enter("C_GetInfo")) != CKR_OK)
		return rv;
	return leave(real->C_GetInfo(info));
}

static ck_rv_t
f_C_GetSlotList(unsigned char token_present, ck_slot_id_t *slot_list, unsigned long *count)
{
	ck_rv_t rv;

	if ((rv = enter("C_GetSlotList")) != CKR_OK)
		return rv;
	return leave(real->C_GetSlotList(token_present, slot_list, count));
}

static ck_rv_t
f_C_GetSlotInfo(ck_slot_id_t slot_id, struct ck_slot_info *info)
{
	ck_rv_t rv;

	if ((rv = enter("C_GetSlotInfo")) != CKR_OK)
		return rv;
	return leave(real->C_GetSlotInfo(slot_id, info));
}

static ck_rv_t
f_C_GetTokenInfo(ck_slot_id_t slot_id, struct ck_token_info *info)
{
	ck_rv_t rv;

	const char *serial = getenv("P11FAULT_SERIAL");

	if ((rv = enter("C_GetTokenInfo")) != CKR_OK)
		return rv;
	rv = real->C_GetTokenInfo(slot_id, info);
	if (rv == CKR_OK && serial != NULL) {
		memset(info->serial_number, ' ', sizeof info->serial_number);
		memcpy(info->serial_number, serial, strlen(serial) < sizeof info->serial_number ?
		    strlen(serial) : sizeof info->serial_number);
	}
	return leave(rv);
}

static ck_rv_t
f_C_GetMechanismList(ck_slot_id_t slot_id, ck_mechanism_type_t *mechanism_list, unsigned long *count)
{
	ck_rv_t rv;

	if ((rv = enter("C_GetMechanismList")) != CKR_OK)
		return rv;
	return leave(real->C_GetMechanismList(slot_id, mechanism_list, count));
}

static ck_rv_t
f_C_GetMechanismInfo(ck_slot_id_t slot_id, ck_mechanism_type_t type, struct ck_mechanism_info *info)
{
	ck_rv_t rv;

	if ((rv = enter("C_GetMechanismInfo")) != CKR_OK)
		return rv;
	rv = real->C_GetMechanismInfo(slot_id, type, info);
	if (rv == CKR_OK && flags_set && type == flags_mech)
		info->flags = flags_value;
	return leave(rv);
}

static ck_rv_t
f_C_InitToken(ck_slot_id_t slot_id, unsigned char *pin, unsigned long pin_len, unsigned char *label)
{
	ck_rv_t rv;

	if ((rv = enter("C_InitToken")) != CKR_OK)
		return rv;
	if (no_init_token)
		return leave(CKR_FUNCTION_NOT_SUPPORTED);
	return leave(real->C_InitToken(slot_id, pin, pin_len, label));
}

static ck_rv_t
f_C_InitPIN(ck_session_handle_t session, unsigned char *pin, unsigned long pin_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_InitPIN")) != CKR_OK)
		return rv;
	return leave(real->C_InitPIN(session, pin, pin_len));
}

static ck_rv_t
f_C_SetPIN(ck_session_handle_t session, unsigned char *old_pin, unsigned long old_len, unsigned char *new_pin, unsigned long new_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_SetPIN")) != CKR_OK)
		return rv;
	return leave(real->C_SetPIN(session, old_pin, old_len, new_pin, new_len));
}

static ck_rv_t
f_C_OpenSession(ck_slot_id_t slot_id, ck_flags_t flags, void *application, ck_notify_t notify, ck_session_handle_t *session)
{
	ck_rv_t rv;

	if ((rv = enter("C_OpenSession")) != CKR_OK)
		return rv;
	return leave(real->C_OpenSession(slot_id, flags, application, notify, session));
}

static ck_rv_t
f_C_CloseSession(ck_session_handle_t session)
{
	ck_rv_t rv;

	if ((rv = enter("C_CloseSession")) != CKR_OK)
		return rv;
	return leave(real->C_CloseSession(session));
}

static ck_rv_t
f_C_CloseAllSessions(ck_slot_id_t slot_id)
{
	ck_rv_t rv;

	if ((rv = enter("C_CloseAllSessions")) != CKR_OK)
		return rv;
	return leave(real->C_CloseAllSessions(slot_id));
}

static ck_rv_t
f_C_GetSessionInfo(ck_session_handle_t session, struct ck_session_info *info)
{
	ck_rv_t rv;

	if ((rv = enter("C_GetSessionInfo")) != CKR_OK)
		return rv;
	return leave(real->C_GetSessionInfo(session, info));
}

static ck_rv_t
f_C_GetOperationState(ck_session_handle_t session, unsigned char *operation_state, unsigned long *operation_state_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_GetOperationState")) != CKR_OK)
		return rv;
	return leave(real->C_GetOperationState(session, operation_state, operation_state_len));
}

static ck_rv_t
f_C_SetOperationState(ck_session_handle_t session, unsigned char *operation_state, unsigned long operation_state_len, ck_object_handle_t encryption_key, ck_object_handle_t authentiation_key)
{
	ck_rv_t rv;

	if ((rv = enter("C_SetOperationState")) != CKR_OK)
		return rv;
	return leave(real->C_SetOperationState(session, operation_state, operation_state_len, encryption_key, authentiation_key));
}

static ck_rv_t
f_C_Login(ck_session_handle_t session, ck_user_type_t user_type, unsigned char *pin, unsigned long pin_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_Login")) != CKR_OK)
		return rv;
	return leave(real->C_Login(session, user_type, pin, pin_len));
}

static ck_rv_t
f_C_Logout(ck_session_handle_t session)
{
	ck_rv_t rv;

	if ((rv = enter("C_Logout")) != CKR_OK)
		return rv;
	return leave(real->C_Logout(session));
}

static ck_rv_t
f_C_CreateObject(ck_session_handle_t session, struct ck_attribute *templ, unsigned long count, ck_object_handle_t *object)
{
	ck_rv_t rv;

	if ((rv = enter("C_CreateObject")) != CKR_OK)
		return rv;
	for (unsigned long i = 0; refuse_trusted && i < count; i++)
		if (templ[i].type == CKA_TRUSTED)
			return leave(CKR_ATTRIBUTE_READ_ONLY);
	if (ignore_trusted) {
		struct ck_attribute kept[64];
		unsigned long n = 0;
		for (unsigned long i = 0; i < count && n < 64; i++)
			if (templ[i].type != CKA_TRUSTED)
				kept[n++] = templ[i];
		return leave(real->C_CreateObject(session, kept, n, object));
	}
	return leave(real->C_CreateObject(session, templ, count, object));
}

static ck_rv_t
f_C_CopyObject(ck_session_handle_t session, ck_object_handle_t object, struct ck_attribute *templ, unsigned long count, ck_object_handle_t *new_object)
{
	ck_rv_t rv;

	if ((rv = enter("C_CopyObject")) != CKR_OK)
		return rv;
	return leave(real->C_CopyObject(session, object, templ, count, new_object));
}

static ck_rv_t
f_C_DestroyObject(ck_session_handle_t session, ck_object_handle_t object)
{
	ck_rv_t rv;

	if ((rv = enter("C_DestroyObject")) != CKR_OK)
		return rv;
	return leave(real->C_DestroyObject(session, object));
}

static ck_rv_t
f_C_GetObjectSize(ck_session_handle_t session, ck_object_handle_t object, unsigned long *size)
{
	ck_rv_t rv;

	if ((rv = enter("C_GetObjectSize")) != CKR_OK)
		return rv;
	return leave(real->C_GetObjectSize(session, object, size));
}

static ck_rv_t
f_C_GetAttributeValue(ck_session_handle_t session, ck_object_handle_t object, struct ck_attribute *templ, unsigned long count)
{
	ck_rv_t rv;

	if ((rv = enter("C_GetAttributeValue")) != CKR_OK)
		return rv;
	return leave(real->C_GetAttributeValue(session, object, templ, count));
}

static ck_rv_t
f_C_SetAttributeValue(ck_session_handle_t session, ck_object_handle_t object, struct ck_attribute *templ, unsigned long count)
{
	ck_rv_t rv;

	if ((rv = enter("C_SetAttributeValue")) != CKR_OK)
		return rv;
	return leave(real->C_SetAttributeValue(session, object, templ, count));
}

static ck_rv_t
f_C_FindObjectsInit(ck_session_handle_t session, struct ck_attribute *templ, unsigned long count)
{
	ck_rv_t rv;

	if ((rv = enter("C_FindObjectsInit")) != CKR_OK)
		return rv;
	return leave(real->C_FindObjectsInit(session, templ, count));
}

static ck_rv_t
f_C_FindObjects(ck_session_handle_t session, ck_object_handle_t *object, unsigned long max_object_count, unsigned long *object_count)
{
	ck_rv_t rv;

	if ((rv = enter("C_FindObjects")) != CKR_OK)
		return rv;
	return leave(real->C_FindObjects(session, object, max_object_count, object_count));
}

static ck_rv_t
f_C_FindObjectsFinal(ck_session_handle_t session)
{
	ck_rv_t rv;

	if ((rv = enter("C_FindObjectsFinal")) != CKR_OK)
		return rv;
	return leave(real->C_FindObjectsFinal(session));
}

static ck_rv_t
f_C_EncryptInit(ck_session_handle_t session, struct ck_mechanism *mechanism, ck_object_handle_t key)
{
	ck_rv_t rv;

	if ((rv = enter("C_EncryptInit")) != CKR_OK)
		return rv;
	return leave(real->C_EncryptInit(session, mechanism, key));
}

static ck_rv_t
f_C_Encrypt(ck_session_handle_t session, unsigned char *data, unsigned long data_len, unsigned char *encrypted_data, unsigned long *encrypted_data_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_Encrypt")) != CKR_OK)
		return rv;
	return leave(real->C_Encrypt(session, data, data_len, encrypted_data, encrypted_data_len));
}

static ck_rv_t
f_C_EncryptUpdate(ck_session_handle_t session, unsigned char *part, unsigned long part_len, unsigned char *encrypted_part, unsigned long *encrypted_part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_EncryptUpdate")) != CKR_OK)
		return rv;
	return leave(real->C_EncryptUpdate(session, part, part_len, encrypted_part, encrypted_part_len));
}

static ck_rv_t
f_C_EncryptFinal(ck_session_handle_t session, unsigned char *last_encrypted_part, unsigned long *last_encrypted_part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_EncryptFinal")) != CKR_OK)
		return rv;
	return leave(real->C_EncryptFinal(session, last_encrypted_part, last_encrypted_part_len));
}

static ck_rv_t
f_C_DecryptInit(ck_session_handle_t session, struct ck_mechanism *mechanism, ck_object_handle_t key)
{
	ck_rv_t rv;

	if ((rv = enter("C_DecryptInit")) != CKR_OK)
		return rv;
	return leave(real->C_DecryptInit(session, mechanism, key));
}

static ck_rv_t
f_C_Decrypt(ck_session_handle_t session, unsigned char *encrypted_data, unsigned long encrypted_data_len, unsigned char *data, unsigned long *data_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_Decrypt")) != CKR_OK)
		return rv;
	return leave(real->C_Decrypt(session, encrypted_data, encrypted_data_len, data, data_len));
}

static ck_rv_t
f_C_DecryptUpdate(ck_session_handle_t session, unsigned char *encrypted_part, unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_DecryptUpdate")) != CKR_OK)
		return rv;
	return leave(real->C_DecryptUpdate(session, encrypted_part, encrypted_part_len, part, part_len));
}

static ck_rv_t
f_C_DecryptFinal(ck_session_handle_t session, unsigned char *last_part, unsigned long *last_part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_DecryptFinal")) != CKR_OK)
		return rv;
	return leave(real->C_DecryptFinal(session, last_part, last_part_len));
}

static ck_rv_t
f_C_DigestInit(ck_session_handle_t session, struct ck_mechanism *mechanism)
{
	ck_rv_t rv;

	if ((rv = enter("C_DigestInit")) != CKR_OK)
		return rv;
	return leave(real->C_DigestInit(session, mechanism));
}

static ck_rv_t
f_C_Digest(ck_session_handle_t session, unsigned char *data, unsigned long data_len, unsigned char *digest, unsigned long *digest_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_Digest")) != CKR_OK)
		return rv;
	return leave(real->C_Digest(session, data, data_len, digest, digest_len));
}

static ck_rv_t
f_C_DigestUpdate(ck_session_handle_t session, unsigned char *part, unsigned long part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_DigestUpdate")) != CKR_OK)
		return rv;
	return leave(real->C_DigestUpdate(session, part, part_len));
}

static ck_rv_t
f_C_DigestKey(ck_session_handle_t session, ck_object_handle_t key)
{
	ck_rv_t rv;

	if ((rv = enter("C_DigestKey")) != CKR_OK)
		return rv;
	return leave(real->C_DigestKey(session, key));
}

static ck_rv_t
f_C_DigestFinal(ck_session_handle_t session, unsigned char *digest, unsigned long *digest_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_DigestFinal")) != CKR_OK)
		return rv;
	return leave(real->C_DigestFinal(session, digest, digest_len));
}

static ck_rv_t
f_C_SignInit(ck_session_handle_t session, struct ck_mechanism *mechanism, ck_object_handle_t key)
{
	ck_rv_t rv;

	if ((rv = enter("C_SignInit")) != CKR_OK)
		return rv;
	return leave(real->C_SignInit(session, mechanism, key));
}

static ck_rv_t
f_C_Sign(ck_session_handle_t session, unsigned char *data, unsigned long data_len, unsigned char *signature, unsigned long *signature_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_Sign")) != CKR_OK)
		return rv;
	return leave(real->C_Sign(session, data, data_len, signature, signature_len));
}

static ck_rv_t
f_C_SignUpdate(ck_session_handle_t session, unsigned char *part, unsigned long part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_SignUpdate")) != CKR_OK)
		return rv;
	return leave(real->C_SignUpdate(session, part, part_len));
}

static ck_rv_t
f_C_SignFinal(ck_session_handle_t session, unsigned char *signature, unsigned long *signature_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_SignFinal")) != CKR_OK)
		return rv;
	return leave(real->C_SignFinal(session, signature, signature_len));
}

static ck_rv_t
f_C_SignRecoverInit(ck_session_handle_t session, struct ck_mechanism *mechanism, ck_object_handle_t key)
{
	ck_rv_t rv;

	if ((rv = enter("C_SignRecoverInit")) != CKR_OK)
		return rv;
	return leave(real->C_SignRecoverInit(session, mechanism, key));
}

static ck_rv_t
f_C_SignRecover(ck_session_handle_t session, unsigned char *data, unsigned long data_len, unsigned char *signature, unsigned long *signature_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_SignRecover")) != CKR_OK)
		return rv;
	return leave(real->C_SignRecover(session, data, data_len, signature, signature_len));
}

static ck_rv_t
f_C_VerifyInit(ck_session_handle_t session, struct ck_mechanism *mechanism, ck_object_handle_t key)
{
	ck_rv_t rv;

	if ((rv = enter("C_VerifyInit")) != CKR_OK)
		return rv;
	return leave(real->C_VerifyInit(session, mechanism, key));
}

static ck_rv_t
f_C_Verify(ck_session_handle_t session, unsigned char *data, unsigned long data_len, unsigned char *signature, unsigned long signature_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_Verify")) != CKR_OK)
		return rv;
	return leave(real->C_Verify(session, data, data_len, signature, signature_len));
}

static ck_rv_t
f_C_VerifyUpdate(ck_session_handle_t session, unsigned char *part, unsigned long part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_VerifyUpdate")) != CKR_OK)
		return rv;
	return leave(real->C_VerifyUpdate(session, part, part_len));
}

static ck_rv_t
f_C_VerifyFinal(ck_session_handle_t session, unsigned char *signature, unsigned long signature_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_VerifyFinal")) != CKR_OK)
		return rv;
	return leave(real->C_VerifyFinal(session, signature, signature_len));
}

static ck_rv_t
f_C_VerifyRecoverInit(ck_session_handle_t session, struct ck_mechanism *mechanism, ck_object_handle_t key)
{
	ck_rv_t rv;

	if ((rv = enter("C_VerifyRecoverInit")) != CKR_OK)
		return rv;
	return leave(real->C_VerifyRecoverInit(session, mechanism, key));
}

static ck_rv_t
f_C_VerifyRecover(ck_session_handle_t session, unsigned char *signature, unsigned long signature_len, unsigned char *data, unsigned long *data_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_VerifyRecover")) != CKR_OK)
		return rv;
	return leave(real->C_VerifyRecover(session, signature, signature_len, data, data_len));
}

static ck_rv_t
f_C_DigestEncryptUpdate(ck_session_handle_t session, unsigned char *part, unsigned long part_len, unsigned char *encrypted_part, unsigned long *encrypted_part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_DigestEncryptUpdate")) != CKR_OK)
		return rv;
	return leave(real->C_DigestEncryptUpdate(session, part, part_len, encrypted_part, encrypted_part_len));
}

static ck_rv_t
f_C_DecryptDigestUpdate(ck_session_handle_t session, unsigned char *encrypted_part, unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_DecryptDigestUpdate")) != CKR_OK)
		return rv;
	return leave(real->C_DecryptDigestUpdate(session, encrypted_part, encrypted_part_len, part, part_len));
}

static ck_rv_t
f_C_SignEncryptUpdate(ck_session_handle_t session, unsigned char *part, unsigned long part_len, unsigned char *encrypted_part, unsigned long *encrypted_part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_SignEncryptUpdate")) != CKR_OK)
		return rv;
	return leave(real->C_SignEncryptUpdate(session, part, part_len, encrypted_part, encrypted_part_len));
}

static ck_rv_t
f_C_DecryptVerifyUpdate(ck_session_handle_t session, unsigned char *encrypted_part, unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_DecryptVerifyUpdate")) != CKR_OK)
		return rv;
	return leave(real->C_DecryptVerifyUpdate(session, encrypted_part, encrypted_part_len, part, part_len));
}

static ck_rv_t
f_C_GenerateKey(ck_session_handle_t session, struct ck_mechanism *mechanism, struct ck_attribute *templ, unsigned long count, ck_object_handle_t *key)
{
	ck_rv_t rv;

	if ((rv = enter("C_GenerateKey")) != CKR_OK)
		return rv;
	return leave(real->C_GenerateKey(session, mechanism, templ, count, key));
}

static ck_rv_t
f_C_GenerateKeyPair(ck_session_handle_t session, struct ck_mechanism *mechanism, struct ck_attribute *public_key_template, unsigned long public_key_attribute_count, struct ck_attribute *private_key_template, unsigned long private_key_attribute_count, ck_object_handle_t *public_key, ck_object_handle_t *private_key)
{
	ck_rv_t rv;

	if ((rv = enter("C_GenerateKeyPair")) != CKR_OK)
		return rv;
	return leave(real->C_GenerateKeyPair(session, mechanism, public_key_template, public_key_attribute_count, private_key_template, private_key_attribute_count, public_key, private_key));
}

static ck_rv_t
f_C_WrapKey(ck_session_handle_t session, struct ck_mechanism *mechanism, ck_object_handle_t wrapping_key, ck_object_handle_t key, unsigned char *wrapped_key, unsigned long *wrapped_key_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_WrapKey")) != CKR_OK)
		return rv;
	rv = real->C_WrapKey(session, mechanism, wrapping_key, key, wrapped_key, wrapped_key_len);
	if (rv == CKR_OK && wrapped_key != NULL && *wrapped_key_len > 0 &&
	    (mechanism->mechanism == CKM_RSA_PKCS_OAEP || mechanism->mechanism == 0x1054) &&
	    ++wraps_filled == flip_wrap)
		wrapped_key[*wrapped_key_len - 1] ^= 0x01;
	return leave(rv);
}

static ck_rv_t
f_C_UnwrapKey(ck_session_handle_t session, struct ck_mechanism *mechanism, ck_object_handle_t unwrapping_key, unsigned char *wrapped_key, unsigned long wrapped_key_len, struct ck_attribute *templ, unsigned long attribute_count, ck_object_handle_t *key)
{
	ck_rv_t rv;

	if ((rv = enter("C_UnwrapKey")) != CKR_OK)
		return rv;
	return leave(real->C_UnwrapKey(session, mechanism, unwrapping_key, wrapped_key, wrapped_key_len, templ, attribute_count, key));
}

static ck_rv_t
f_C_DeriveKey(ck_session_handle_t session, struct ck_mechanism *mechanism, ck_object_handle_t base_key, struct ck_attribute *templ, unsigned long attribute_count, ck_object_handle_t *key)
{
	ck_rv_t rv;

	if ((rv = enter("C_DeriveKey")) != CKR_OK)
		return rv;
	return leave(real->C_DeriveKey(session, mechanism, base_key, templ, attribute_count, key));
}

static ck_rv_t
f_C_SeedRandom(ck_session_handle_t session, unsigned char *seed, unsigned long seed_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_SeedRandom")) != CKR_OK)
		return rv;
	return leave(real->C_SeedRandom(session, seed, seed_len));
}

static ck_rv_t
f_C_GenerateRandom(ck_session_handle_t session, unsigned char *random_data, unsigned long random_len)
{
	ck_rv_t rv;

	if ((rv = enter("C_GenerateRandom")) != CKR_OK)
		return rv;
	return leave(real->C_GenerateRandom(session, random_data, random_len));
}

static ck_rv_t
f_C_GetFunctionStatus(ck_session_handle_t session)
{
	ck_rv_t rv;

	if ((rv = enter("C_GetFunctionStatus")) != CKR_OK)
		return rv;
	return leave(real->C_GetFunctionStatus(session));
}

static ck_rv_t
f_C_CancelFunction(ck_session_handle_t session)
{
	ck_rv_t rv;

	if ((rv = enter("C_CancelFunction")) != CKR_OK)
		return rv;
	return leave(real->C_CancelFunction(session));
}

static ck_rv_t
f_C_WaitForSlotEvent(ck_flags_t flags, ck_slot_id_t *slot, void *reserved)
{
	ck_rv_t rv;

	if ((rv = enter("C_WaitForSlotEvent")) != CKR_OK)
		return rv;
	return leave(real->C_WaitForSlotEvent(flags, slot, reserved));
}

static ck_rv_t f_C_GetFunctionList(struct ck_function_list **list);

static struct ck_function_list functions = {
	{ 2, 40 },
	f_C_Initialize,
	f_C_Finalize,
	f_C_GetInfo,
	f_C_GetFunctionList,
	f_C_GetSlotList,
	f_C_GetSlotInfo,
	f_C_GetTokenInfo,
	f_C_GetMechanismList,
	f_C_GetMechanismInfo,
	f_C_InitToken,
	f_C_InitPIN,
	f_C_SetPIN,
	f_C_OpenSession,
	f_C_CloseSession,
	f_C_CloseAllSessions,
	f_C_GetSessionInfo,
	f_C_GetOperationState,
	f_C_SetOperationState,
	f_C_Login,
	f_C_Logout,
	f_C_CreateObject,
	f_C_CopyObject,
	f_C_DestroyObject,
	f_C_GetObjectSize,
	f_C_GetAttributeValue,
	f_C_SetAttributeValue,
	f_C_FindObjectsInit,
	f_C_FindObjects,
	f_C_FindObjectsFinal,
	f_C_EncryptInit,
	f_C_Encrypt,
	f_C_EncryptUpdate,
	f_C_EncryptFinal,
	f_C_DecryptInit,
	f_C_Decrypt,
	f_C_DecryptUpdate,
	f_C_DecryptFinal,
	f_C_DigestInit,
	f_C_Digest,
	f_C_DigestUpdate,
	f_C_DigestKey,
	f_C_DigestFinal,
	f_C_SignInit,
	f_C_Sign,
	f_C_SignUpdate,
	f_C_SignFinal,
	f_C_SignRecoverInit,
	f_C_SignRecover,
	f_C_VerifyInit,
	f_C_Verify,
	f_C_VerifyUpdate,
	f_C_VerifyFinal,
	f_C_VerifyRecoverInit,
	f_C_VerifyRecover,
	f_C_DigestEncryptUpdate,
	f_C_DecryptDigestUpdate,
	f_C_SignEncryptUpdate,
	f_C_DecryptVerifyUpdate,
	f_C_GenerateKey,
	f_C_GenerateKeyPair,
	f_C_WrapKey,
	f_C_UnwrapKey,
	f_C_DeriveKey,
	f_C_SeedRandom,
	f_C_GenerateRandom,
	f_C_GetFunctionStatus,
	f_C_CancelFunction,
	f_C_WaitForSlotEvent,
};


static ck_rv_t
f_C_GetFunctionList(struct ck_function_list **list)
{
	*list = &functions;
	return CKR_OK;
}

ck_rv_t C_GetFunctionList(struct ck_function_list **list) __attribute__((visibility("default")));

ck_rv_t
C_GetFunctionList(struct ck_function_list **list)
{
	if (load() < 0)
		return CKR_GENERAL_ERROR;
	return f_C_GetFunctionList(list);
}
