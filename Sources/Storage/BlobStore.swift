#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFileSync
import Dispatch
import Foundation
import NIOCore
import NIOPosix

/// Object bytes on disk. Layout under the data directory:
///
/// ```
/// blobs/<first two hex digits of id>/<id>   one file per blob, never modified after it is committed
/// tmp/<id>                                  bytes being written; renamed into blobs/ only after fsync
/// ```
/// A write that ends at or below `inlineLimit` bytes is kept in memory and committed inside the metadata
/// transaction instead (one fsync for a small PUT). A crash leaves at worst files in `tmp/` or unreferenced blobs,
/// which `ObjectStore` removes at start.
public final class BlobStore: Sendable {
    public let root: URL
    let blobsDir: String
    let tmpDir: String
    /// Bodies up to this size are stored inline in the metadata database.
    public let inlineLimit: Int
    private let reaper = DispatchQueue(label: "s3emu.blob-release")

    public init(root: URL, inlineLimit: Int = 64 * 1024) throws {
        self.root = root
        self.inlineLimit = inlineLimit
        blobsDir = root.appendingPathComponent("blobs").path
        tmpDir = root.appendingPathComponent("tmp").path
        try FileManager.default.createDirectory(atPath: blobsDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tmpDir, withIntermediateDirectories: true)
    }

    /// A new random blob id.
    static func newID() -> String {
        var g = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var words = (g.next(), g.next())
        return String(unsafeUninitializedCapacity: 32) { out in
            for i in 0..<32 {
                let word = i < 16 ? words.0 : words.1
                out[i] = digits[Int(word >> 60)]
                if i < 16 { words.0 <<= 4 } else { words.1 <<= 4 }
            }
            return 32
        }
    }

    func path(of id: String) -> String { blobsDir + "/" + id.prefix(2) + "/" + id }

    /// Starts writing a new blob.
    public func makeWriter() -> BlobWriter { BlobWriter(store: self) }

    /// Opens a committed file blob for reading.
    public func open(_ ref: BlobRef) throws -> BlobFile {
        let fd = Glibc.open(path(of: ref.id), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw StorageError.corrupt("blob \(ref.id) is missing") }
            throw StorageError.io("open", errno)
        }
        return BlobFile(fd: fd, size: ref.size)
    }

    /// Removes committed file blobs now (inline ones go with their rows): for blobs of a write that failed.
    public func remove(_ refs: [BlobRef]) {
        for ref in refs where !ref.inline { unlink(path(of: ref.id)) }
    }

    /// Removes file blobs that no record references any more (replaced or deleted objects and parts), off the
    /// caller's path: unlinking a large file costs milliseconds (the filesystem frees, and here discards, its
    /// extents), which an overwrite should not wait for. Open readers keep their bytes. A crash before the removal
    /// leaves orphans that the start-up sweep of `ObjectStore` removes.
    public func release(_ refs: [BlobRef]) {
        let paths = refs.filter { !$0.inline }.map { path(of: $0.id) }
        if paths.isEmpty { return }
        reaper.async { for path in paths { unlink(path) } }
    }

    /// Returns once every blob handed to `release` so far is gone.
    public func waitForReleases() { reaper.sync {} }

    /// Empties `tmp/` (at start, when no write is in flight).
    func clearTemporaryFiles() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] { unlink(tmpDir + "/" + name) }
    }

    /// Every committed file blob id.
    func allFileBlobIDs() -> [String] {
        var ids: [String] = []
        for dir in (try? FileManager.default.contentsOfDirectory(atPath: blobsDir)) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: blobsDir + "/" + dir)) ?? [] { ids.append(name) }
        }
        return ids
    }

    static func fsyncDirectory(_ path: String) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}

/// An open, committed blob file. Closes itself when released.
public final class BlobFile: @unchecked Sendable {
    let fd: Int32
    public let size: Int64

    init(fd: Int32, size: Int64) {
        self.fd = fd
        self.size = size
    }

    deinit { close(fd) }

    /// Reads up to `length` bytes at `offset` into a new buffer; throws when the file is shorter than recorded.
    public func read(offset: Int64, length: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: length)
        var got = 0
        while got < length {
            let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length - got) { ptr in
                let r = pread(fd, ptr.baseAddress, length - got, off_t(offset) + off_t(got))
                return r > 0 ? r : 0
            }
            if n == 0 {
                if errno == EINTR { continue }
                throw StorageError.corrupt("blob shorter than recorded")
            }
            got += n
        }
        return buffer
    }
}
