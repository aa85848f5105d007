import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells, without a syscall or a SQLite call, whether any connection of any process has committed to the database
/// since an earlier look, by reading the header of SQLite's WAL index (the `-shm` file every WAL-mode connection
/// maps and updates on each commit; layout from sqlite.org/walformat.html):
/// ```
/// -shm offset 0:  WalIndexHdr copy 1 (48 bytes: version, change counter, mxFrame, page count, last frame's
///                 checksum, WAL salts, header checksum)
/// -shm offset 48: WalIndexHdr copy 2 (a committing writer stores copy 2, then copy 1; readers read copy 1, then
///                 copy 2, and trust them only when equal)
/// ```
/// Every commit changes mxFrame and the last frame's checksum (and a WAL reset changes the salts), so equal stamps
/// mean no commit in between. Used by ``SmallObjectCache`` so that a body altered in the database by another process
/// (as the tamper demonstrations do) is read again rather than served from memory.
final class WALChangeStamp: @unchecked Sendable {
    private let base: UnsafeRawPointer
    private let length: Int
    private static let headerSize = 48

    /// Maps the WAL index of the database at `databasePath`; nil when it cannot (then nothing should be cached).
    init?(databasePath: String) {
        let fd = open(databasePath + "-shm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, Int(st.st_size) >= 2 * Self.headerSize else { return nil }
        length = 4096
        guard let p = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else { return nil }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), length) }

    /// The WAL-index header's fields that change on a commit (bytes 8..<48).
    struct Stamp: Equatable, Sendable {
        var counterAndPageSize: UInt64, lastFrameAndPages: UInt64, frameChecksum: UInt64, salts: UInt64, headerChecksum: UInt64
    }

    /// The current stamp; nil while a writer is halfway through updating the header.
    func current() -> Stamp? {
        var first = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var second = first
        withUnsafeMutableBytes(of: &first) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: Self.headerSize)) }
        atomicMemoryFence(ordering: .acquiring)
        withUnsafeMutableBytes(of: &second) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: base + Self.headerSize, count: Self.headerSize))
        }
        guard first == second else { return nil }
        return Stamp(counterAndPageSize: first.1, lastFrameAndPages: first.2, frameChecksum: first.3, salts: first.4, headerChecksum: first.5)
    }
}
