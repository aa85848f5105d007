#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import NIOConcurrencyHelpers

/// Writes block-aligned buffers to one file on a serial queue of its own, so that a writer fills its next buffer while
/// the device takes the last one: an O_DIRECT `pwrite` returns only once the device has the bytes (about 1.2 ms per
/// MiB here), which, done inline, left a large PUT's sealing stage waiting on the disk for as long as its MD5 took.
///
/// At most `depth` writes wait or run at a time; `submit` blocks the caller beyond that, so memory stays at
/// `depth + 1` buffers. Buffers are handed out by `take()` and return to the pool once written. The first failed write
/// is reported by the next `submit` and by `drain`; later writes are skipped. Used by one thread at a time.
final class DirectWriteQueue: @unchecked Sendable {
    let bufferSize: Int
    let alignment: Int
    private let fd: Int32
    private let queue = DispatchQueue(label: "s3emu.blob-write")
    private let slots: DispatchSemaphore
    /// What the queued writes share with the caller (the writes capture this, never the queue object, so the queue is
    /// always released, drained and freed on its owner's thread).
    private final class Shared: @unchecked Sendable {
        let lock = NIOLock()
        /// Under `lock`.
        var free: [Buffer] = []
        var failure: Int32 = 0
    }
    private let shared = Shared()
    /// Every buffer made, freed in `deinit`.
    private var made: [Buffer] = []

    struct Buffer: @unchecked Sendable {
        let bytes: UnsafeMutableRawBufferPointer
    }

    init(fd: Int32, bufferSize: Int, alignment: Int, depth: Int = 2) {
        self.fd = fd
        self.bufferSize = bufferSize
        self.alignment = alignment
        slots = DispatchSemaphore(value: depth)
    }

    deinit {
        _ = drain()
        for b in made { b.bytes.deallocate() }
    }

    /// A buffer to fill: one already written, or a new one.
    func take() -> UnsafeMutableRawBufferPointer {
        if let b = shared.lock.withLock({ shared.free.popLast() }) { return b.bytes }
        let b = Buffer(bytes: .allocate(byteCount: bufferSize, alignment: alignment))
        made.append(b)
        return b.bytes
    }

    /// Queues the first `length` bytes of `buffer` (from `take()`) for `offset`; the caller must not touch the buffer
    /// afterwards. Throws the errno of an earlier failed write.
    func submit(_ buffer: UnsafeMutableRawBufferPointer, length: Int, offset: Int64) throws(DirectWriteFailure) {
        let item = Buffer(bytes: buffer)
        let shared = shared
        let earlier = shared.lock.withLock { shared.failure }
        if earlier != 0 {
            shared.lock.withLock { shared.free.append(item) }
            throw DirectWriteFailure(errno: earlier)
        }
        slots.wait()
        queue.async { [fd, slots] in
            let skip = shared.lock.withLock { shared.failure != 0 }
            let result = skip ? 0 : Self.writeFully(fd, UnsafeRawBufferPointer(rebasing: item.bytes[0..<length]), at: offset)
            shared.lock.withLock {
                if result != 0 && shared.failure == 0 { shared.failure = result }
                shared.free.append(item)
            }
            slots.signal()
        }
    }

    /// Waits until every queued write has finished; returns the errno of the first failure, or 0.
    func drain() -> Int32 {
        queue.sync {}
        return shared.lock.withLock { shared.failure }
    }

    /// `pwrite` until every byte is written (retrying EINTR); returns 0 or the errno.
    static func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) -> Int32 {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return 0
    }
}

/// A queued write failed with `errno`.
struct DirectWriteFailure: Error {
    let errno: Int32
}
