/* upload.h: the lines that import a .byok into Azure, as the real command-line tools take
 * them.  azure-cli's `az keyvault key import` (its keyvault module's _params.py): --kty is
 * RSA, EC or oct (CLIKeyTypeForBYOKImport; the CLI appends -HSM itself), --curve is P-256,
 * P-256K, P-384 or P-521 and an EC key needs it, --vault-name or --hsm-name (Managed HSM,
 * the only home of an AES key), --byok-file, --name.  Az.KeyVault's Add-AzKeyVaultKey
 * (InteractiveImport set): -VaultName or -HsmName, -Name, -KeyFilePath, -Destination HSM
 * (Key Vault), -KeyType EC -CurveName for EC, -KeyType oct for AES.  */
#ifndef P11BYOK_UPLOAD_H
#define P11BYOK_UPLOAD_H

#include <stdbool.h>
#include "keyspec.h"

/* Where the key goes; NULL fields print as a placeholder (VAULT, HSM) or are left out. */
struct upload_target {
	const char *vault;		/* Key Vault name */
	const char *hsm;		/* Managed HSM name: wins over VAULT */
	const char *subscription;	/* az --subscription */
};

/* Whether NAME can be a Key Vault or Managed HSM name: 3 to 24 letters, digits and dashes,
 * starting with a letter, ending with a letter or digit, no two dashes together (Azure's
 * naming rules for both resource types).  */
bool upload_valid_name(const char *name);

/* The az line (*AZ) and the PowerShell line (*PS) that import the .byok PATH of a key of
 * SPEC as NAME into T, each a new string the caller frees.  0, or -1 when out of memory.  */
int upload_lines(const struct keyspec *spec, const char *name, const char *path,
    const struct upload_target *t, char **az, char **ps);

#endif
