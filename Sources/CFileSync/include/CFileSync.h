#ifndef S3EMU_CFILESYNC_H
#define S3EMU_CFILESYNC_H
#include <stdint.h>

/// Asks the kernel to start writing back a byte range of a file without waiting (Linux sync_file_range with
/// SYNC_FILE_RANGE_WRITE; a no-op elsewhere). Returns 0 or -1 with errno set.
int s3emu_start_writeback(int fd, int64_t offset, int64_t length);

#endif
