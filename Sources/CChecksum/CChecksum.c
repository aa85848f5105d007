// Checksums S3 validates (flexible checksums): CRC32 through zlib, CRC32C and CRC64/NVME by slicing-by-8
// tables, CRC32C through the SSE4.2 instruction when the processor has it.
#include "CChecksum.h"
#include <pthread.h>
#include <string.h>
#include <zlib.h>

uint32_t s3emu_crc32(uint32_t crc, const void *data, size_t length) {
    const unsigned char *p = data;
    while (length > 0) {
        uInt n = length > 0x40000000u ? 0x40000000u : (uInt)length;
        crc = (uint32_t)crc32(crc, p, n);
        p += n;
        length -= n;
    }
    return crc;
}

static uint32_t crc32c_table[8][256];
static uint64_t crc64_table[8][256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        uint64_t d = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            d = (d & 1) ? (d >> 1) ^ 0x9A6C9329AC4BC9B5ull : d >> 1;
        }
        crc32c_table[0][i] = c;
        crc64_table[0][i] = d;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) {
            crc32c_table[t][i] = (crc32c_table[t - 1][i] >> 8) ^ crc32c_table[0][crc32c_table[t - 1][i] & 0xff];
            crc64_table[t][i] = (crc64_table[t - 1][i] >> 8) ^ crc64_table[0][crc64_table[t - 1][i] & 0xff];
        }
    }
}

static uint32_t crc32c_soft(uint32_t crc, const unsigned char *p, size_t n) {
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc;
        crc = crc32c_table[7][w & 0xff] ^ crc32c_table[6][(w >> 8) & 0xff] ^ crc32c_table[5][(w >> 16) & 0xff] ^
              crc32c_table[4][(w >> 24) & 0xff] ^ crc32c_table[3][(w >> 32) & 0xff] ^
              crc32c_table[2][(w >> 40) & 0xff] ^ crc32c_table[1][(w >> 48) & 0xff] ^ crc32c_table[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

uint32_t s3emu_crc32c(uint32_t crc, const void *data, size_t length) {
    pthread_once(&tables_once, build_tables);
    crc = ~crc;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return ~crc32c_hw(crc, data, length);
#endif
    return ~crc32c_soft(crc, data, length);
}

static uint64_t crc64_soft(uint64_t crc, const unsigned char *p, size_t length) {
    while (length >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc;
        crc = crc64_table[7][w & 0xff] ^ crc64_table[6][(w >> 8) & 0xff] ^ crc64_table[5][(w >> 16) & 0xff] ^
              crc64_table[4][(w >> 24) & 0xff] ^ crc64_table[3][(w >> 32) & 0xff] ^
              crc64_table[2][(w >> 40) & 0xff] ^ crc64_table[1][(w >> 48) & 0xff] ^ crc64_table[0][w >> 56];
        p += 8;
        length -= 8;
    }
    while (length--) crc = (crc >> 8) ^ crc64_table[0][(crc ^ *p++) & 0xff];
    return crc;
}

#if defined(__x86_64__)
#include <immintrin.h>

// Folding with carry-less multiplication (reflected domain). A 128-bit state X followed by 128 more message bits
// folds to clmul(X.lo, K_LO) ^ clmul(X.hi, K_HI) ^ next, where K_LO = reflect64(x^191 mod P) and
// K_HI = reflect64(x^127 mod P). The folded state has the same CRC register as the message so far, so the last
// 16 bytes of state and the tail finish through the table.
#define CRC64NVME_K_LO 0xeadc41fd2ba3d420ull
#define CRC64NVME_K_HI 0x21e9761e252621acull

__attribute__((target("pclmul,sse2")))
static uint64_t crc64_clmul(uint64_t crc, const unsigned char *p, size_t length) {
    const __m128i k = _mm_set_epi64x((long long)CRC64NVME_K_HI, (long long)CRC64NVME_K_LO);
    __m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_set_epi64x(0, (long long)crc));
    p += 16;
    length -= 16;
    while (length >= 16) {
        __m128i d = _mm_loadu_si128((const __m128i *)p);
        __m128i a = _mm_clmulepi64_si128(x, k, 0x00);
        __m128i b = _mm_clmulepi64_si128(x, k, 0x11);
        x = _mm_xor_si128(_mm_xor_si128(a, b), d);
        p += 16;
        length -= 16;
    }
    unsigned char state[16];
    _mm_storeu_si128((__m128i *)state, x);
    crc = crc64_soft(0, state, 16);
    return crc64_soft(crc, p, length);
}
#endif

uint64_t s3emu_crc64nvme(uint64_t crc, const void *data, size_t length) {
    pthread_once(&tables_once, build_tables);
    crc = ~crc;
#if defined(__x86_64__)
    if (length >= 64 && __builtin_cpu_supports("pclmul")) return ~crc64_clmul(crc, data, length);
#endif
    return ~crc64_soft(crc, data, length);
}
