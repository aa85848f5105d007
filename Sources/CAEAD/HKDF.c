// HKDF-SHA256 (RFC 5869) over OpenSSL's SHA-256 block functions. swift-crypto's HKDF costs ~10 µs per derivation
// (generic Swift over allocating HMAC objects); the at-rest format derives one key per object and layer on every
// GET and PUT, so this path takes ~1 µs. The low-level SHA256_* calls are deprecated in OpenSSL 3 but present and
// the fastest route (no provider fetch per call).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "CAEAD.h"
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

typedef struct {
    SHA256_CTX inner;
    SHA256_CTX outer;
} hmac_sha256;

static void hmac_init(hmac_sha256 *h, const uint8_t *key, size_t key_len) {
    uint8_t block[SHA256_CBLOCK] = {0};
    uint8_t pad[SHA256_CBLOCK];
    if (key_len > SHA256_CBLOCK) {
        SHA256(key, key_len, block);
    } else if (key_len > 0) {
        memcpy(block, key, key_len);
    }
    for (int i = 0; i < SHA256_CBLOCK; i++) pad[i] = block[i] ^ 0x36;
    SHA256_Init(&h->inner);
    SHA256_Update(&h->inner, pad, sizeof pad);
    for (int i = 0; i < SHA256_CBLOCK; i++) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&h->outer);
    SHA256_Update(&h->outer, pad, sizeof pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
}

static void hmac_final(hmac_sha256 *h, uint8_t out[SHA256_DIGEST_LENGTH]) {
    uint8_t inner[SHA256_DIGEST_LENGTH];
    SHA256_Final(inner, &h->inner);
    SHA256_Update(&h->outer, inner, sizeof inner);
    SHA256_Final(out, &h->outer);
    OPENSSL_cleanse(inner, sizeof inner);
}

int s3emu_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                      const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len) {
    if (out_len > 255 * SHA256_DIGEST_LENGTH) return -1;
    hmac_sha256 h, prk_mac;
    uint8_t prk[SHA256_DIGEST_LENGTH];
    uint8_t t[SHA256_DIGEST_LENGTH];
    // Extract: PRK = HMAC(salt, IKM). An absent salt is HashLen zero bytes, which HMAC pads to the same block as
    // an empty key, so no special case is needed.
    hmac_init(&h, salt, salt_len);
    SHA256_Update(&h.inner, ikm, ikm_len);
    hmac_final(&h, prk);
    // Expand: T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), OKM = the first out_len bytes of T(1) ‖ T(2) ‖ …
    hmac_init(&prk_mac, prk, sizeof prk);
    size_t t_len = 0, done = 0;
    for (uint8_t counter = 1; done < out_len; counter++) {
        h = prk_mac;
        SHA256_Update(&h.inner, t, t_len);
        SHA256_Update(&h.inner, info, info_len);
        SHA256_Update(&h.inner, &counter, 1);
        hmac_final(&h, t);
        t_len = sizeof t;
        size_t n = out_len - done < sizeof t ? out_len - done : sizeof t;
        memcpy(out + done, t, n);
        done += n;
    }
    OPENSSL_cleanse(prk, sizeof prk);
    OPENSSL_cleanse(t, sizeof t);
    OPENSSL_cleanse(&h, sizeof h);
    OPENSSL_cleanse(&prk_mac, sizeof prk_mac);
    return 0;
}

void s3emu_cleanse(void *p, size_t len) { OPENSSL_cleanse(p, len); }
