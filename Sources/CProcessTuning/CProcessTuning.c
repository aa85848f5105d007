#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#endif
#include "CProcessTuning.h"

int s3emu_keep_large_buffers_in_heap(int mmap_threshold, int trim_threshold) {
#if defined(__linux__) && defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) && mallopt(M_TRIM_THRESHOLD, trim_threshold);
#else
    (void)mmap_threshold; (void)trim_threshold;
    return 0;
#endif
}
