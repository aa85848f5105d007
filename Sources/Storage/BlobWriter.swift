#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFileSync
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Writes one blob: buffers small bodies, spills larger ones to a temporary file, and commits durably.
///
/// File blobs are written with O_DIRECT where the filesystem allows it: through a block-aligned staging buffer of
/// `stagingSize` bytes, the last block padded and the file then truncated to its size. Bypassing the page cache
/// saves the copy into it, its writeback and, when the blob is later removed, freeing its pages: on this project's
/// two-core machine that is about a third of the CPU a large PUT costs besides its MD5. Elsewhere (tmpfs, other
/// systems) the same staging buffer is written through the page cache, with writeback started every few MiB so the
/// final fsync has little left to do. O_DIRECT writes go through a `DirectWriteQueue`, so the next buffer fills while
/// the device writes the last one.
public final class BlobWriter: @unchecked Sendable {
    let store: BlobStore
    public let id = BlobStore.newID()
    private var buffer: [UInt8] = []
    private var fd: Int32 = -1
    /// The O_DIRECT writes in flight, and the owner of the staging buffers; nil for page-cache writes (no O_DIRECT).
    private var writes: DirectWriteQueue?
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
        if writes == nil { staging?.deallocate() }
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
        let direct = fd >= 0
        if !direct {
            unlink(path)  // some filesystems create the file before refusing O_DIRECT
            fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw StorageError.io("open", errno) }
        }
        if direct {
            writes = DirectWriteQueue(fd: fd, bufferSize: Self.stagingSize, alignment: Self.blockSize)
            staging = writes!.take()
        } else {
            staging = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.stagingSize, alignment: Self.blockSize)
        }
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

    /// Writes (O_DIRECT: queues) the first `length` bytes of the staging buffer at `fileOffset` and empties it.
    private func flushStaging(length: Int) throws {
        if let writes {
            defer { staging = writes.take() }
            do {
                try writes.submit(staging!, length: length, offset: fileOffset)
            } catch {
                throw StorageError.io("write", error.errno)
            }
        } else {
            let result = DirectWriteQueue.writeFully(fd, UnsafeRawBufferPointer(rebasing: staging![0..<length]), at: fileOffset)
            guard result == 0 else { throw StorageError.io("write", result) }
        }
        fileOffset += Int64(length)
        staged = 0
        if writes == nil && fileOffset - flushedUpTo >= Self.writebackStep {
            _ = s3emu_start_writeback(fd, flushedUpTo, fileOffset - flushedUpTo)
            flushedUpTo = fileOffset
        }
    }

    /// Writes what is staged; with O_DIRECT, as whole zero-padded blocks, waits for every queued write, then
    /// truncates the file to its size.
    private func flushTail() throws {
        if let writes {
            let real = staged
            if staged > 0 {
                let padded = (staged + Self.blockSize - 1) / Self.blockSize * Self.blockSize
                UnsafeMutableRawBufferPointer(rebasing: staging![staged..<padded]).initializeMemory(as: UInt8.self, repeating: 0)
                try flushStaging(length: padded)
                fileOffset -= Int64(padded - real)
            }
            let failure = writes.drain()
            guard failure == 0 else { throw StorageError.io("write", failure) }
            if real > 0 { guard ftruncate(fd, off_t(fileOffset)) == 0 else { throw StorageError.io("truncate", errno) } }
        } else if staged > 0 {
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
        let tmp = tmpPath
        let dir = store.blobsDir + "/" + id.prefix(2)
        let dest = store.path(of: id)
        let result: Int32
        do {
            // Off the caller's thread: the last write, waiting for the queued ones, fsync and rename all block.
            result = try await NIOThreadPool.singleton.runIfActive { () -> Int32 in
                do {
                    try self.flushTail()
                } catch StorageError.io(_, let code) {
                    return code
                } catch {
                    return EIO
                }
                let fd = self.fd
                self.fd = -1
                defer { close(fd) }
                if fsync(fd) != 0 { return errno }
                mkdir(dir, 0o700)
                if rename(tmp, dest) != 0 { return errno }
                BlobStore.fsyncDirectory(dir)
                return 0
            }
        } catch {
            discard()
            throw StorageError.io("fsync", EIO)
        }
        guard result == 0 else {
            discard()
            unlink(tmp)
            throw StorageError.io("commit", result)
        }
        return PendingBlob(ref: BlobRef(id: id, size: size, inline: false), inlineData: nil)
    }

    /// Drops what was written (a failed or refused request leaves nothing behind).
    public func discard() {
        if fd >= 0 {
            _ = writes?.drain()  // queued writes still use the descriptor
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
