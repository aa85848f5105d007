// AES-256-GCM for stored segments and key-module blobs (s3emu_aead_*), through BoringSSL's EVP_AEAD interface as
// swift-crypto builds it into every binary of this package (the AtRestCrypto target depends on swift-crypto, whose
// BoringSSL exports its functions with the prefix `CCryptoBoringSSL_`). Chosen over the system OpenSSL (3.0 here)
// for speed: BoringSSL picks a VAES/AVX-512 (or VAES/AVX2) GCM where the processor has one; on this project's
// machine 11.1 GB/s against OpenSSL 3.0's 4.6 GB/s for 64 KiB segments.
//
// An EVP_AEAD_CTX holds only the expanded key: sealing and opening read it and keep no per-message state, so one
// context may serve several threads and `s3emu_aead_dup` shares it (reference-counted) instead of copying it.
// BoringSSL wipes the key schedule when the context is freed (its allocator cleanses what it frees).
#include "CAEAD.h"
#include <stdatomic.h>
#include <stdlib.h>

// The few BoringSSL declarations needed (include/openssl/aead.h in BoringSSL; the structures stay opaque here).
struct s3emu_bssl_aead;
struct s3emu_bssl_aead_ctx;
const struct s3emu_bssl_aead *CCryptoBoringSSL_EVP_aead_aes_256_gcm(void);
struct s3emu_bssl_aead_ctx *CCryptoBoringSSL_EVP_AEAD_CTX_new(const struct s3emu_bssl_aead *aead, const uint8_t *key,
                                                              size_t key_len, size_t tag_len);
void CCryptoBoringSSL_EVP_AEAD_CTX_free(struct s3emu_bssl_aead_ctx *ctx);
int CCryptoBoringSSL_EVP_AEAD_CTX_seal_scatter(const struct s3emu_bssl_aead_ctx *ctx, uint8_t *out, uint8_t *out_tag,
                                               size_t *out_tag_len, size_t max_out_tag_len, const uint8_t *nonce,
                                               size_t nonce_len, const uint8_t *in, size_t in_len,
                                               const uint8_t *extra_in, size_t extra_in_len, const uint8_t *ad,
                                               size_t ad_len);
int CCryptoBoringSSL_EVP_AEAD_CTX_open_gather(const struct s3emu_bssl_aead_ctx *ctx, uint8_t *out,
                                              const uint8_t *nonce, size_t nonce_len, const uint8_t *in,
                                              size_t in_len, const uint8_t *in_tag, size_t in_tag_len,
                                              const uint8_t *ad, size_t ad_len);

typedef struct {
    struct s3emu_bssl_aead_ctx *aead;
    atomic_int references;
} shared_key;

struct s3emu_aead {
    shared_key *key;
};

s3emu_aead *s3emu_aead_new(const uint8_t key[32]) {
    shared_key *k = calloc(1, sizeof *k);
    s3emu_aead *ctx = calloc(1, sizeof *ctx);
    if (k == NULL || ctx == NULL) goto fail;
    k->aead = CCryptoBoringSSL_EVP_AEAD_CTX_new(CCryptoBoringSSL_EVP_aead_aes_256_gcm(), key, 32, 16);
    if (k->aead == NULL) goto fail;
    atomic_init(&k->references, 1);
    ctx->key = k;
    return ctx;
fail:
    free(k);
    free(ctx);
    return NULL;
}

s3emu_aead *s3emu_aead_dup(const s3emu_aead *ctx) {
    s3emu_aead *copy = calloc(1, sizeof *copy);
    if (copy == NULL) return NULL;
    atomic_fetch_add_explicit(&ctx->key->references, 1, memory_order_relaxed);
    copy->key = ctx->key;
    return copy;
}

void s3emu_aead_free(s3emu_aead *ctx) {
    if (ctx == NULL) return;
    shared_key *k = ctx->key;
    if (k != NULL && atomic_fetch_sub_explicit(&k->references, 1, memory_order_acq_rel) == 1) {
        CCryptoBoringSSL_EVP_AEAD_CTX_free(k->aead);
        free(k);
    }
    free(ctx);
}

int s3emu_aead_seal(s3emu_aead *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, uint8_t *out, size_t len, uint8_t tag[16]) {
    size_t tag_len = 0;
    if (CCryptoBoringSSL_EVP_AEAD_CTX_seal_scatter(ctx->key->aead, out, tag, &tag_len, 16, iv, 12, in, len, NULL, 0,
                                                   aad, aad_len) != 1
        || tag_len != 16) {
        return -1;
    }
    return 0;
}

int s3emu_aead_open(s3emu_aead *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, uint8_t *out, size_t len, const uint8_t tag[16]) {
    if (CCryptoBoringSSL_EVP_AEAD_CTX_open_gather(ctx->key->aead, out, iv, 12, in, len, tag, 16, aad, aad_len) != 1) {
        if (len > 0) s3emu_cleanse(out, len);
        return -1;
    }
    return 0;
}
