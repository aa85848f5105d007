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

#endif
