#ifndef S3EMU_CFILESYNC_H
#define S3EMU_CFILESYNC_H
#include <stdint.h>

/// Asks the kernel to start writing back a byte range of a file without waiting (Linux sync_file_range with
/// SYNC_FILE_RANGE_WRITE; a no-op elsewhere). Returns 0 or -1 with errno set.
int s3emu_start_writeback(int fd, int64_t offset, int64_t length);

/// Creates a new file for writing with O_DIRECT (bypassing the page cache; writes must be block-aligned in memory,
/// offset and length). Returns the descriptor, or -1 with errno set (EINVAL where the filesystem or the platform
/// has no O_DIRECT, e.g. tmpfs).
int s3emu_create_direct(const char *path, int mode);

#endif
