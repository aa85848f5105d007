// AES-256-GCM through OpenSSL's EVP interface: one cipher context per key, re-initialised with a new IV for each
// message (EVP_CipherInit_ex with a NULL cipher and key keeps the key schedule), so sealing a segment costs no
// allocation and no key expansion.
#include "CAEAD.h"
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>

struct s3emu_aead {
    EVP_CIPHER_CTX *cipher;
};

s3emu_aead *s3emu_aead_new(const uint8_t key[32]) {
    s3emu_aead *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) return NULL;
    ctx->cipher = EVP_CIPHER_CTX_new();
    if (ctx->cipher == NULL
        || EVP_CipherInit_ex(ctx->cipher, EVP_aes_256_gcm(), NULL, NULL, NULL, 1) != 1
        || EVP_CIPHER_CTX_ctrl(ctx->cipher, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1
        || EVP_CipherInit_ex(ctx->cipher, NULL, NULL, key, NULL, 1) != 1) {
        s3emu_aead_free(ctx);
        return NULL;
    }
    return ctx;
}

void s3emu_aead_free(s3emu_aead *ctx) {
    if (ctx == NULL) return;
    // EVP_CIPHER_CTX_free cleanses the provider's key schedule before releasing it.
    EVP_CIPHER_CTX_free(ctx->cipher);
    OPENSSL_cleanse(ctx, sizeof *ctx);
    free(ctx);
}

// Feeds `len` bytes through EVP_CipherUpdate, whose length argument is an int.
static int update(EVP_CIPHER_CTX *cipher, uint8_t *out, const uint8_t *in, size_t len) {
    while (len > 0) {
        int n = len > (size_t)(INT_MAX - 32) ? INT_MAX - 32 : (int)len;
        int written = 0;
        if (EVP_CipherUpdate(cipher, out, &written, in, n) != 1 || written != n) return -1;
        if (out != NULL) out += n;
        in += n;
        len -= (size_t)n;
    }
    return 0;
}

static int start(EVP_CIPHER_CTX *cipher, const uint8_t iv[12], const uint8_t *aad, size_t aad_len, int enc) {
    if (EVP_CipherInit_ex(cipher, NULL, NULL, NULL, iv, enc) != 1) return -1;
    return aad_len > 0 ? update(cipher, NULL, aad, aad_len) : 0;
}

int s3emu_aead_seal(s3emu_aead *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, uint8_t *out, size_t len, uint8_t tag[16]) {
    EVP_CIPHER_CTX *c = ctx->cipher;
    uint8_t none[16]; // GCM's final step writes no bytes; this keeps `out + len` out of it when out is NULL
    int final_len = 0;
    if (start(c, iv, aad, aad_len, 1) != 0
        || update(c, out, in, len) != 0
        || EVP_CipherFinal_ex(c, none, &final_len) != 1
        || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) {
        return -1;
    }
    return 0;
}

int s3emu_aead_open(s3emu_aead *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, uint8_t *out, size_t len, const uint8_t tag[16]) {
    EVP_CIPHER_CTX *c = ctx->cipher;
    uint8_t none[16]; // GCM's final step writes no bytes; this keeps `out + len` out of it when out is NULL
    int final_len = 0;
    if (start(c, iv, aad, aad_len, 0) != 0
        || update(c, out, in, len) != 0
        || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1
        || EVP_CipherFinal_ex(c, none, &final_len) != 1) {
        if (len > 0) OPENSSL_cleanse(out, len);
        return -1;
    }
    return 0;
}
