#ifndef S3EMU_CCHECKSUM_H
#define S3EMU_CCHECKSUM_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32 (ISO-HDLC, as zlib): feed the previous value (0 to start), get the new one.
uint32_t s3emu_crc32(uint32_t crc, const void *data, size_t length);
/// CRC-32C (Castagnoli), hardware-accelerated where SSE4.2 is available.
uint32_t s3emu_crc32c(uint32_t crc, const void *data, size_t length);
/// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), as S3's CRC64NVME checksum.
uint64_t s3emu_crc64nvme(uint64_t crc, const void *data, size_t length);

/// An MD5 in progress (for ETags and Content-MD5; see MD5.c). Plain data: copy it to fork the hash.
typedef struct {
    uint32_t state[4];
    uint64_t length;
    uint32_t buffered;
    unsigned char buffer[64];
} s3emu_md5_ctx;

/// Starts an MD5.
void s3emu_md5_init(s3emu_md5_ctx *ctx);
/// Feeds `length` bytes.
void s3emu_md5_update(s3emu_md5_ctx *ctx, const void *data, size_t length);
/// Writes the 16-byte digest. The context is spent afterwards: initialise it again to reuse it.
void s3emu_md5_final(s3emu_md5_ctx *ctx, uint8_t digest[16]);

#endif
