// The streaming cipher (whole-object formats), RSA-OAEP and the cleanse helper, over OpenSSL's EVP interface. The
// per-segment AEAD (s3emu_aead_*) lives in SegmentAEAD.c.
#include "CAEAD.h"
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>

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

// ---- streaming cipher (whole-object formats) -------------------------------------------------------------------

struct s3emu_stream {
    EVP_CIPHER_CTX *cipher;
    int kind;
};

s3emu_stream *s3emu_stream_new(int kind, int encrypt, const uint8_t key[32], const uint8_t *iv, size_t iv_len,
                               const uint8_t *aad, size_t aad_len) {
    const EVP_CIPHER *evp;
    switch (kind) {
    case S3EMU_STREAM_GCM: evp = EVP_aes_256_gcm(); if (iv_len != 12) return NULL; break;
    case S3EMU_STREAM_CTR: evp = EVP_aes_256_ctr(); if (iv_len != 16) return NULL; break;
    case S3EMU_STREAM_CBC: evp = EVP_aes_256_cbc(); if (iv_len != 16) return NULL; break;
    default: return NULL;
    }
    s3emu_stream *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    s->kind = kind;
    s->cipher = EVP_CIPHER_CTX_new();
    int enc = encrypt ? 1 : 0;
    if (s->cipher == NULL || EVP_CipherInit_ex(s->cipher, evp, NULL, NULL, NULL, enc) != 1) goto fail;
    if (kind == S3EMU_STREAM_GCM && EVP_CIPHER_CTX_ctrl(s->cipher, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1) goto fail;
    if (EVP_CipherInit_ex(s->cipher, NULL, NULL, key, iv, enc) != 1) goto fail;
    if (kind == S3EMU_STREAM_CBC && EVP_CIPHER_CTX_set_padding(s->cipher, 1) != 1) goto fail;
    if (kind == S3EMU_STREAM_GCM && aad_len > 0 && update(s->cipher, NULL, aad, aad_len) != 0) goto fail;
    return s;
fail:
    s3emu_stream_free(s);
    return NULL;
}

void s3emu_stream_free(s3emu_stream *s) {
    if (s == NULL) return;
    EVP_CIPHER_CTX_free(s->cipher);
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

long s3emu_stream_update(s3emu_stream *s, const uint8_t *in, uint8_t *out, size_t len) {
    if (s->kind != S3EMU_STREAM_CBC) return update(s->cipher, out, in, len) == 0 ? (long)len : -1;
    // CBC holds back up to a block, so the output of one call is not its input length: feed in int-sized pieces.
    long total = 0;
    while (len > 0) {
        int n = len > (size_t)(INT_MAX - 32) ? INT_MAX - 32 : (int)len;
        int written = 0;
        if (EVP_CipherUpdate(s->cipher, out + total, &written, in, n) != 1) return -1;
        total += written;
        in += n;
        len -= (size_t)n;
    }
    return total;
}

long s3emu_stream_finish_encrypt(s3emu_stream *s, uint8_t *out, uint8_t tag[16]) {
    uint8_t none[32];
    int written = 0;
    if (EVP_CipherFinal_ex(s->cipher, s->kind == S3EMU_STREAM_CBC ? out : none, &written) != 1) return -1;
    if (s->kind == S3EMU_STREAM_GCM && EVP_CIPHER_CTX_ctrl(s->cipher, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) return -1;
    return s->kind == S3EMU_STREAM_CBC ? written : 0;
}

long s3emu_stream_finish_decrypt(s3emu_stream *s, const uint8_t *tag, uint8_t *out) {
    uint8_t none[32];
    int written = 0;
    if (s->kind == S3EMU_STREAM_GCM && EVP_CIPHER_CTX_ctrl(s->cipher, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1) return -1;
    if (EVP_CipherFinal_ex(s->cipher, s->kind == S3EMU_STREAM_CBC ? out : none, &written) != 1) return -1;
    return s->kind == S3EMU_STREAM_CBC ? written : 0;
}

// ---- RSA-OAEP with mixed digests (Java's OAEPWithSHA-256AndMGF1Padding) ---------------------------------------

#include <openssl/rsa.h>
#include <openssl/x509.h>

long s3emu_rsa_oaep_decrypt(const uint8_t *der, size_t der_len, int oaep_sha256, int mgf1_sha256,
                            const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap) {
    const unsigned char *p = der;
    EVP_PKEY *key = d2i_AutoPrivateKey(NULL, &p, (long)der_len);
    if (key == NULL) return -1;
    long result = -1;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    size_t written = out_cap;
    if (ctx != NULL
        && EVP_PKEY_decrypt_init(ctx) == 1
        && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1
        && EVP_PKEY_CTX_set_rsa_oaep_md(ctx, oaep_sha256 ? EVP_sha256() : EVP_sha1()) == 1
        && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf1_sha256 ? EVP_sha256() : EVP_sha1()) == 1
        && EVP_PKEY_decrypt(ctx, out, &written, in, in_len) == 1) {
        result = (long)written;
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    return result;
}
