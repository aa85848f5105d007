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

/// Writes one blob: buffers small bodies, spills larger ones to a temporary file, and commits durably.
///
/// File blobs are written with O_DIRECT where the filesystem allows it: through a block-aligned staging buffer of
/// `stagingSize` bytes, the last block padded and the file then truncated to its size. Bypassing the page cache
/// saves the copy into it, its writeback and, when the blob is later removed, freeing its pages: on this project's
/// two-core machine that is about a third of the CPU a large PUT costs besides its MD5. Elsewhere (tmpfs, other
/// systems) the same staging buffer is written through the page cache, with writeback started every few MiB so the
/// final fsync has little left to do.
public final class BlobWriter: @unchecked Sendable {
    let store: BlobStore
    public let id = BlobStore.newID()
    private var buffer: [UInt8] = []
    private var fd: Int32 = -1
    /// Whether `fd` was opened with O_DIRECT.
    private var direct = false
    /// Block-aligned staging buffer (file blobs only) and the bytes in it.
    private var staging: UnsafeMutableRawBufferPointer?
    private var staged = 0
    /// Bytes already written to the file (a multiple of `stagingSize` until `finish`).
    private var fileOffset: Int64 = 0
    public private(set) var size: Int64 = 0
    private var finished = false
    static let stagingSize = 1024 * 1024
    static let blockSize = 4096
    /// Page-cache writes: start writeback after this many new bytes.
    static let writebackStep: Int64 = 4 * 1024 * 1024
    private var flushedUpTo: Int64 = 0

    init(store: BlobStore) { self.store = store }

    deinit {
        discard()
        staging?.deallocate()
    }

    var tmpPath: String { store.tmpDir + "/" + id }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        size += Int64(bytes.count)
        if fd < 0 {
            if buffer.count + bytes.count <= store.inlineLimit {
                buffer.append(contentsOf: bytes)
                return
            }
            try openFile()
            let pending = buffer
            buffer = []
            try pending.withUnsafeBytes { (p) throws in try stage(p) }
        }
        try stage(bytes)
    }

    /// Appends a buffer's readable bytes.
    public func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { (p) throws in try write(p) }
    }

    private func openFile() throws {
        let path = tmpPath
        fd = s3emu_create_direct(path, 0o600)
        direct = fd >= 0
        if fd < 0 {
            unlink(path)  // some filesystems create the file before refusing O_DIRECT
            fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw StorageError.io("open", errno) }
        }
        staging = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.stagingSize, alignment: Self.blockSize)
    }

    private func stage(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = min(Self.stagingSize - staged, bytes.count - offset)
            UnsafeMutableRawBufferPointer(rebasing: staging![staged..<(staged + n)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            staged += n
            offset += n
            if staged == Self.stagingSize { try flushStaging(length: staged) }
        }
    }

    /// Writes the first `length` bytes of the staging buffer at `fileOffset` and empties it.
    private func flushStaging(length: Int) throws {
        var done = 0
        while done < length {
            let n = pwrite(fd, staging!.baseAddress! + done, length - done, off_t(fileOffset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.io("write", errno)
            }
            done += n
        }
        fileOffset += Int64(length)
        staged = 0
        if !direct && fileOffset - flushedUpTo >= Self.writebackStep {
            _ = s3emu_start_writeback(fd, flushedUpTo, fileOffset - flushedUpTo)
            flushedUpTo = fileOffset
        }
    }

    /// Writes what is staged; with O_DIRECT, as whole zero-padded blocks, then truncates the file to its size.
    private func flushTail() throws {
        guard staged > 0 else { return }
        if direct {
            let real = staged
            let padded = (staged + Self.blockSize - 1) / Self.blockSize * Self.blockSize
            UnsafeMutableRawBufferPointer(rebasing: staging![staged..<padded]).initializeMemory(as: UInt8.self, repeating: 0)
            try flushStaging(length: padded)
            fileOffset -= Int64(padded - real)
            guard ftruncate(fd, off_t(fileOffset)) == 0 else { throw StorageError.io("truncate", errno) }
        } else {
            try flushStaging(length: staged)
        }
    }

    /// Makes the bytes durable: an inline blob returns its bytes for the metadata transaction; a file blob is
    /// fsynced and renamed into `blobs/`.
    public func finish() async throws -> PendingBlob {
        finished = true
        if fd < 0 {
            return PendingBlob(ref: BlobRef(id: id, size: size, inline: true), inlineData: buffer)
        }
        do {
            try flushTail()
        } catch {
            discard()
            throw error
        }
        let fd = self.fd
        self.fd = -1
        let tmp = tmpPath
        let dir = store.blobsDir + "/" + id.prefix(2)
        let dest = store.path(of: id)
        let result: Int32
        do {
            result = try await NIOThreadPool.singleton.runIfActive { () -> Int32 in
                defer { close(fd) }
                if fsync(fd) != 0 { return errno }
                mkdir(dir, 0o700)
                if rename(tmp, dest) != 0 { return errno }
                BlobStore.fsyncDirectory(dir)
                return 0
            }
        } catch {
            unlink(tmp)
            throw StorageError.io("fsync", EIO)
        }
        guard result == 0 else {
            unlink(tmp)
            throw StorageError.io("commit", result)
        }
        return PendingBlob(ref: BlobRef(id: id, size: size, inline: false), inlineData: nil)
    }

    /// Drops what was written (a failed or refused request leaves nothing behind).
    public func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
            unlink(tmpPath)
        }
        buffer = []
        staged = 0
    }
}

/// A blob ready to be referenced by a metadata commit.
public struct PendingBlob: Sendable {
    public var ref: BlobRef
    /// The bytes of an inline blob, stored in the same transaction as the record.
    public var inlineData: [UInt8]?
}
