/* pkcs11-extra.h: PKCS#11 definitions p11byok needs that p11-kit's pkcs11.h may lack.
 *
 * CK_RSA_AES_KEY_WRAP_PARAMS is PKCS#11 v2.40 §2.1.21 (CKM_RSA_AES_KEY_WRAP); p11-kit 0.24
 * defines the mechanism number but not its parameter structure.  */
#ifndef P11BYOK_PKCS11_EXTRA_H
#define P11BYOK_PKCS11_EXTRA_H

#include <p11-kit/pkcs11.h>

#ifndef CKM_RSA_AES_KEY_WRAP
#define CKM_RSA_AES_KEY_WRAP (0x1054UL)
#endif
#ifndef CKM_AES_KEY_WRAP_PAD
#define CKM_AES_KEY_WRAP_PAD (0x210aUL)
#endif

typedef struct p11byok_rsa_aes_key_wrap_params {
	CK_ULONG ulAESKeyBits;
	CK_RSA_PKCS_OAEP_PARAMS *pOAEPParams;
} P11BYOK_RSA_AES_KEY_WRAP_PARAMS;

#endif
