#ifndef S3EMU_CAEAD_H
#define S3EMU_CAEAD_H
#include <stddef.h>
#include <stdint.h>

/// AES-256-GCM with a context bound to one key and reused for every message, over BoringSSL's EVP_AEAD as
/// swift-crypto links it (SegmentAEAD.c: VAES/AVX-512 where the processor has it).
///
/// Sealing and opening only read the context; callers may still serialise access (the Swift wrapper holds a lock).
/// Every call works in place (`in == out` is allowed; partial overlap is not) and allocates nothing.
typedef struct s3emu_aead s3emu_aead;

/// A new context bound to the 32-byte `key`; NULL when out of memory. The shim keeps no raw copy of the key, only
/// BoringSSL's key schedule, wiped when the last context sharing it is freed.
s3emu_aead *s3emu_aead_new(const uint8_t key[32]);

/// A second context with the same key (sharing the key schedule, no raw key needed), for use on another thread;
/// NULL when out of memory.
s3emu_aead *s3emu_aead_dup(const s3emu_aead *ctx);

/// Wipes and frees the context (NULL is ignored).
void s3emu_aead_free(s3emu_aead *ctx);

/// Encrypts `len` bytes from `in` to `out` under the 12-byte `iv`, authenticating `aad` too, and writes the 16-byte
/// tag. Returns 0, or -1 when the cipher fails.
int s3emu_aead_seal(s3emu_aead *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, uint8_t *out, size_t len, uint8_t tag[16]);

/// Decrypts `len` bytes from `in` to `out` and checks the 16-byte `tag`. Returns 0, or -1 when the tag does not
/// verify (or the cipher fails); on -1 the `len` bytes at `out` are zeroed, so no unauthenticated plaintext remains.
int s3emu_aead_open(s3emu_aead *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, uint8_t *out, size_t len, const uint8_t tag[16]);

/// A streaming AES-256 cipher for whole-object formats (the S3 Encryption Client's): one message fed in pieces.
///
/// Kinds: GCM (12-byte IV, optional AAD, 16-byte tag at the end), CTR (16-byte initial counter block; used for
/// unauthenticated range reads of GCM bodies) and CBC with PKCS#7 padding (16-byte IV; legacy, decrypt side only in
/// practice). Not safe for concurrent use.
typedef struct s3emu_stream s3emu_stream;

enum { S3EMU_STREAM_GCM = 1, S3EMU_STREAM_CTR = 2, S3EMU_STREAM_CBC = 3 };

/// A new stream: `kind` as above, `encrypt` 1 or 0, a 32-byte key, `iv` of 12 (GCM) or 16 (CTR, CBC) bytes, and for
/// GCM the AAD. NULL on failure.
s3emu_stream *s3emu_stream_new(int kind, int encrypt, const uint8_t key[32], const uint8_t *iv, size_t iv_len,
                               const uint8_t *aad, size_t aad_len);

/// Wipes and frees the stream (NULL is ignored).
void s3emu_stream_free(s3emu_stream *s);

/// Processes `len` bytes from `in` into `out`; returns the number of bytes written (always `len` for GCM and CTR;
/// for CBC decryption up to `len + 16`, since the last block is held back until the end), or -1. `out` must have
/// room for `len + 16` bytes.
long s3emu_stream_update(s3emu_stream *s, const uint8_t *in, uint8_t *out, size_t len);

/// Ends an encryption: GCM writes its 16-byte tag into `tag`; CBC writes the final padded block into `out` (16
/// bytes of room). Returns the number of bytes written to `out` (0 for GCM and CTR), or -1.
long s3emu_stream_finish_encrypt(s3emu_stream *s, uint8_t *out, uint8_t tag[16]);

/// Ends a decryption: GCM checks `tag` (returns -1 when it does not verify); CBC checks and strips the padding and
/// writes the last plaintext bytes into `out` (16 bytes of room). Returns the bytes written, or -1.
long s3emu_stream_finish_decrypt(s3emu_stream *s, const uint8_t *tag, uint8_t *out);

/// RSA-OAEP decryption with separately chosen digests, which swift-crypto cannot express: Java's
/// `RSA/ECB/OAEPWithSHA-256AndMGF1Padding` uses SHA-256 for the label hash but MGF1 with SHA-1. `der` is a PKCS#1 or
/// PKCS#8 DER private key; `oaep_sha256` / `mgf1_sha256` pick SHA-256 (1) or SHA-1 (0). Returns the plaintext length
/// written to `out` (room for `out_cap`), or -1.
long s3emu_rsa_oaep_decrypt(const uint8_t *der, size_t der_len, int oaep_sha256, int mgf1_sha256,
                            const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap);

/// HKDF-SHA256 (RFC 5869): extract with `salt` (may be empty), expand with `info` into `out_len` bytes (at most
/// 8160). Returns 0, or -1 when `out_len` is too large. Intermediate keys are wiped before returning.
int s3emu_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                      const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
/// Overwrites `len` bytes at `p` with zeros in a way the compiler cannot drop (OPENSSL_cleanse).
void s3emu_cleanse(void *p, size_t len);
#endif
