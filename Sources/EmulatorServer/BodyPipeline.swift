import Crypto
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import S3Wire

/// MD5 (for the ETag; skipped when nobody needs it) and, when the signature covers the payload, SHA-256.
struct PayloadDigests: Sendable {
    var md5: MD5Hasher?
    var sha256: SHA256?

    init(md5: Bool, sha256: Bool) {
        self.md5 = md5 ? MD5Hasher() : nil
        self.sha256 = sha256 ? SHA256() : nil
    }

    mutating func update(_ p: UnsafeRawBufferPointer) {
        md5?.update(bufferPointer: p)
        sha256?.update(bufferPointer: p)
    }
}

/// The work a large request body needs after it leaves the socket, spread over two threads so that it overlaps
/// with receiving and with itself:
///
/// ```
/// event loop ──buffers──▶ hashing stage: MD5 (+ SHA-256)              ── the bound of a large PUT (one core)
///                    └──▶ storing stage: flexible checksum, then sink  (seal segments, write the file)
/// ```
/// Both stages see the same buffers in order. Each takes batches of about 1 MiB and holds at most `maxInFlight` of
/// them, so the reader waits when a stage falls behind and memory stays bounded (about 8 MiB per request).
final class BodyPipeline: Sendable {
    /// Bodies at least this large (or of unknown length) use a pipeline; smaller ones are handled inline.
    static let threshold: Int64 = 1024 * 1024

    struct Storing: Sendable {
        var checksum: ChecksumHasher?
    }

    private let hashing: OffloadedStage<PayloadDigests>
    private let storing: OffloadedStage<Storing>

    init(digests: PayloadDigests, checksum: ChecksumHasher?, sink: @escaping @Sendable (ByteBuffer) throws -> Void) {
        // The MD5 bounds a large PUT; on two cores the storing stage, the event loop and the client compete with
        // it. A higher QoS (libdispatch lowers the thread's nice value where it may) lets it keep its core.
        hashing = OffloadedStage(label: "s3emu.body-hash", qos: .userInteractive, initial: digests) { d, buffer in
            buffer.withUnsafeReadableBytes { d.update($0) }
        }
        storing = OffloadedStage(label: "s3emu.body-store", initial: Storing(checksum: checksum)) { s, buffer in
            if s.checksum != nil { buffer.withUnsafeReadableBytes { s.checksum!.update($0) } }
            try sink(buffer)
        }
    }

    /// Hands a buffer to both stages; throws the storing stage's error (e.g. a failed write) as soon as it is known.
    func add(_ buffer: ByteBuffer) async throws {
        try await storing.add(buffer)
        try await hashing.add(buffer)
    }

    /// Waits until the sink has taken every buffer; returns the checksum state.
    func finishStoring() async throws -> ChecksumHasher? {
        try await storing.finish().checksum
    }

    /// Waits for the hashes.
    func finishHashing() async -> PayloadDigests {
        // The hashing step cannot fail.
        (try? await hashing.finish()) ?? PayloadDigests(md5: false, sha256: false)
    }

    /// Drops what is queued and waits until neither stage is running, so the caller may discard the sink's target.
    func cancel() async {
        await storing.cancel()
        await hashing.cancel()
    }
}

/// One step over a stream of buffers on a serial dispatch queue of its own, in batches, with bounded queueing.
/// `State` is touched only on the queue. After the step throws, later batches are skipped and the error is
/// rethrown by the next `add` and by `finish`.
final class OffloadedStage<State: Sendable>: @unchecked Sendable {
    private let queue: DispatchQueue
    private let step: @Sendable (inout State, ByteBuffer) throws -> Void
    /// Queue-only.
    private var state: State
    private var failure: (any Error)?
    /// Under `lock`.
    private let lock = NIOLock()
    private var inFlight = 0
    private var waiter: CheckedContinuation<Void, Never>?
    private var failed: (any Error)?
    private var cancelled = false
    /// The caller's task only.
    private var batch: [ByteBuffer] = []
    private var batchBytes = 0
    static var batchLimit: Int { 1024 * 1024 }
    static var maxInFlight: Int { 4 }

    init(label: String, qos: DispatchQoS = .unspecified, initial: State,
         step: @escaping @Sendable (inout State, ByteBuffer) throws -> Void) {
        queue = DispatchQueue(label: label, qos: qos)
        state = initial
        self.step = step
    }

    func add(_ buffer: ByteBuffer) async throws {
        if let error = lock.withLock({ failed }) { throw error }
        batch.append(buffer)
        batchBytes += buffer.readableBytes
        if batchBytes >= Self.batchLimit { await submit() }
    }

    private func submit() async {
        let full = batch
        batch = []
        batchBytes = 0
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let mustWait = lock.withLock { () -> Bool in
                if inFlight >= Self.maxInFlight {
                    waiter = c
                    return true
                }
                inFlight += 1
                return false
            }
            if !mustWait { c.resume() }
        }
        queue.async {
            let skip = self.failure != nil || self.lock.withLock { self.cancelled }
            if !skip {
                do {
                    for b in full { try self.step(&self.state, b) }
                } catch {
                    self.failure = error
                    self.lock.withLock { self.failed = error }
                }
            }
            let resume = self.lock.withLock { () -> CheckedContinuation<Void, Never>? in
                defer { self.waiter = nil }
                if self.waiter == nil { self.inFlight -= 1 }  // a waiter takes over this slot
                return self.waiter
            }
            resume?.resume()
        }
    }

    /// Runs what is left and returns the state, or the step's error.
    func finish() async throws -> State {
        if !batch.isEmpty { await submit() }
        // The queue is serial: this block runs after every batch.
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<State, any Error>) in
            queue.async {
                if let failure = self.failure { c.resume(throwing: failure) } else { c.resume(returning: self.state) }
            }
        }
    }

    /// Skips queued batches and returns once nothing runs.
    func cancel() async {
        batch = []
        lock.withLock { cancelled = true }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in queue.async { c.resume() } }
    }
}
