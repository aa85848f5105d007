#ifndef S3EMU_CPROCESSTUNING_H
#define S3EMU_CPROCESSTUNING_H

/// glibc only (a no-op returning 0 elsewhere): serve allocations below `mmap_threshold` bytes from the heap instead
/// of a fresh mmap each (whose pages fault in and are zeroed again every time), and keep up to `trim_threshold`
/// bytes of freed heap instead of returning it to the kernel. Returns 1 when both settings took.
int s3emu_keep_large_buffers_in_heap(int mmap_threshold, int trim_threshold);

/// How many allocations glibc currently serves from an mmap of their own (`mallinfo2().hblks`); -1 elsewhere.
/// For tests and diagnostics.
long s3emu_mmapped_chunk_count(void);

#endif
