import CProcessTuning
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ProcessTuningTests {
    /// The server calls this at start; it silently did nothing while the C file tested `__GLIBC__` before including
    /// any libc header. On glibc both settings must take, and a 1 MiB buffer must then come from the heap, not from
    /// a fresh mmap.
    @Test func largeBuffersComeFromTheHeapOnceTuned() {
        #if canImport(Glibc)
        #expect(s3emu_keep_large_buffers_in_heap(4 * 1024 * 1024, 8 * 1024 * 1024) == 1)
        let before = s3emu_mmapped_chunk_count()
        let buffer = malloc(1024 * 1024)
        defer { free(buffer) }
        #expect(buffer != nil)
        #expect(s3emu_mmapped_chunk_count() == before)
        #else
        #expect(s3emu_keep_large_buffers_in_heap(4 * 1024 * 1024, 8 * 1024 * 1024) == 0)
        #endif
    }
}
