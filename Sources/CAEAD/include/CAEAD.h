#ifndef S3EMU_CAEAD_H
#define S3EMU_CAEAD_H
#include <stddef.h>
#include <stdint.h>

/// AES-256-GCM over OpenSSL's EVP interface, with a context bound to one key and reused for every message.
///
/// A context is not safe for concurrent use: callers serialise access (the Swift wrapper holds a lock).
/// Every call works in place (`in == out` is allowed; partial overlap is not) and allocates nothing.
typedef struct s3emu_aead s3emu_aead;

/// A new context bound to the 32-byte `key`; NULL when OpenSSL fails (out of memory). The shim keeps no raw copy
/// of the key, only OpenSSL's key schedule, which `s3emu_aead_free` wipes.
s3emu_aead *s3emu_aead_new(const uint8_t key[32]);

/// Wipes and frees the context (NULL is ignored).
void s3emu_aead_free(s3emu_aead *ctx);

/// Encrypts `len` bytes from `in` to `out` under the 12-byte `iv`, authenticating `aad` too, and writes the 16-byte
/// tag. Returns 0, or -1 when OpenSSL fails.
int s3emu_aead_seal(s3emu_aead *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, uint8_t *out, size_t len, uint8_t tag[16]);

/// Decrypts `len` bytes from `in` to `out` and checks the 16-byte `tag`. Returns 0, or -1 when the tag does not
/// verify (or OpenSSL fails); on -1 the `len` bytes at `out` are zeroed, so no unauthenticated plaintext remains.
int s3emu_aead_open(s3emu_aead *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, uint8_t *out, size_t len, const uint8_t tag[16]);

#endif
