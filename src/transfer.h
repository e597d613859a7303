/* transfer.h: the token objects of the transfer (DESIGN.md §2) — the trusted KEK, the
 * single-use transfer key, the reduced-permission copy — and the package wrap itself.
 *
 * install_kek and create_transfer_key need an SO session; make_copy and package a user
 * session.  SoftHSMv2's SO may create public objects only, so the KEK and the transfer key
 * are public objects; their protection is CKA_TRUSTED, wrap-only usage and CKA_MODIFIABLE
 * false, and the target key's CKA_WRAP_WITH_TRUSTED.  */
#ifndef P11BYOK_TRANSFER_H
#define P11BYOK_TRANSFER_H

#include <openssl/evp.h>
#include <stdbool.h>
#include "p11.h"

/* CKA_ID of the KEK object: the first 16 bytes of the SHA-256 of its SubjectPublicKeyInfo,
 * so the same KEK is found again and never installed twice.  */
#define KEK_ID_LEN 16

/* Labels: the transfer key of IDENT is byok-transfer-IDENT, its copy xferacld-IDENT. */
#define TRANSFER_KEY_PREFIX "byok-transfer-"
#define TRANSFER_COPY_PREFIX "xferacld-"

/* Finds the trusted KEK object for KEK (an RSA public key) on the token; CK_INVALID_HANDLE
 * when absent.  Returns CKR_OK or the module's CK_RV.  */
CK_RV transfer_find_kek(struct p11 *p, EVP_PKEY *kek, CK_OBJECT_HANDLE *out);

/* (SO) Installs KEK as a trusted, wrap-only, non-modifiable public key object, or reuses the
 * one already there (*REUSED).  Returns 0 or P11BYOK_EFAIL after one line.  */
int transfer_install_kek(struct p11 *p, EVP_PKEY *kek, CK_OBJECT_HANDLE *out, bool *reused);

/* Destroys KEK, a KEK object transfer_install_kek made for a run that then failed: a failed
 * command leaves no trusted key behind that the audit log does not record.  Warns when the
 * token refuses.  */
void transfer_uninstall_kek(struct p11 *p, CK_OBJECT_HANDLE kek);

/* (SO) Creates the single-use AES-256 transfer key for IDENT: trusted, wrap only, itself
 * wrap-with-trusted and extractable (so only a trusted KEK can take it out), not modifiable.
 * An older transfer key of IDENT is destroyed first.  Returns 0 or P11BYOK_EFAIL.  */
int transfer_create_transfer_key(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out);

/* The transfer key of IDENT, or CK_INVALID_HANDLE.  CKR_OK or the module's CK_RV. */
CK_RV transfer_find_transfer_key(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out);

/* Destroys every transfer key of IDENT (NULL: of every ident).  Returns how many were
 * destroyed, or -1 after one line when one could not be.  */
int transfer_destroy_transfer_keys(struct p11 *p, const char *ident);

/* (user) Makes the reduced-permission copy of the target TARGET of IDENT: every usage flag
 * off, not modifiable, labelled xferacld-IDENT; an existing copy is reused.  Returns 0 or
 * P11BYOK_EFAIL.  */
int transfer_make_copy(struct p11 *p, CK_OBJECT_HANDLE target, const char *ident,
    CK_OBJECT_HANDLE *out, bool *reused);

/* The copy of IDENT, or CK_INVALID_HANDLE.  CKR_OK or the module's CK_RV. */
CK_RV transfer_find_copy(struct p11 *p, const char *ident, CK_OBJECT_HANDLE *out);

#endif
