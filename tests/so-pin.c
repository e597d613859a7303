/* so-pin: prints the SO PIN that K cards rebuild, for tests that play a security officer
 * (one who held the quorum once and plants objects no p11byok command makes).  p11byok
 * never shows this PIN; the test reaches it through the card format of src/cards.h.
 *
 *   so-pin CARD PASS-FILE [CARD PASS-FILE ...] > so.pin
 *
 * Exit 0 with the PIN and a newline on stdout, 1 on any failure.  */
#include "config.h"
#include "cards.h"
#include "secret.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	unsigned char *shares[16] = { NULL }, index[16], secret[64];
	struct card *c = NULL;
	unsigned k = 0;
	size_t len = 0, pin_len = 0;
	char *pass = NULL, *pin = NULL;
	int r = 1;

	secret_init();
	for (int i = 1; i + 1 < argc && k < 16; i += 2, k++) {
		size_t plen = 0;
		if (card_load(argv[i], &c) != 0 ||
		    secret_from_file(argv[i + 1], "passphrase", &pass, &plen) != 0 ||
		    card_open(c, pass, plen, &shares[k]) != 0)
			goto out;
		secret_free(pass, plen);
		pass = NULL;
		index[k] = (unsigned char)c->index;
		len = c->ct_len;
		card_free(c);
		c = NULL;
	}
	if (k == 0 || len > sizeof secret || cards_combine(k, index, shares, len, secret) != 0 ||
	    cards_pin(secret, len, &pin, &pin_len) != 0)
		goto out;
	printf("%.*s\n", (int)pin_len, pin);
	r = 0;
out:
	card_free(c);
	secret_free(pin, pin_len);
	OPENSSL_cleanse(secret, sizeof secret);
	for (unsigned i = 0; i < 16; i++)
		if (shares[i] != NULL)
			OPENSSL_secure_clear_free(shares[i], len + 16);
	return r;
}
