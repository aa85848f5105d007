#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include "CFileSync.h"

int s3emu_start_writeback(int fd, int64_t offset, int64_t length) {
#if defined(__linux__)
    return sync_file_range(fd, (off_t)offset, (off_t)length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}

int s3emu_create_direct(const char *path, int mode) {
#if defined(O_DIRECT)
    return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, mode);
#else
    (void)path; (void)mode;
    errno = EINVAL;
    return -1;
#endif
}
