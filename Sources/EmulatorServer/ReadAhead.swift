import Dispatch
import NIOConcurrencyHelpers
import NIOCore

/// Runs a synchronous chunk producer ahead of its consumer on a thread of a shared dispatch pool, at most `depth`
/// chunks ahead, so that reading and decrypting a large GET body overlaps with writing it to the socket:
///
/// ```
/// dispatch pool:  produce ─ produce ─ produce ─▶ ready (≤ depth) ─▶ consumer: write ─ write ─ write  (event loop)
/// ```
/// At most one production step runs at a time (the producer's state needs no lock), and none while `depth` chunks
/// wait, so a slow client never holds a thread: production stops and the next `next()` restarts it. A producer
/// error is handed to the consumer after the chunks before it. `cancel()` (e.g. the client went away) drops what
/// waits and stops production after the step that runs.
final class ReadAhead: @unchecked Sendable {
    typealias Producer = () throws -> ByteBuffer?

    private static let pool = DispatchQueue(label: "s3emu.read-ahead", attributes: .concurrent)

    /// Touched only by the one running step.
    private let produce: Producer
    private let depth: Int
    /// Under `lock`.
    private let lock = NIOLock()
    private var ready = CircularBuffer<ByteBuffer>()
    private var producing = true
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private var waiter: CheckedContinuation<ByteBuffer?, any Error>?

    /// Starts producing at once.
    init(depth: Int = 4, _ produce: @escaping Producer) {
        precondition(depth > 0)
        self.produce = produce
        self.depth = depth
        schedule()
    }

    /// The next chunk, nil after the last; rethrows the producer's error.
    func next() async throws -> ByteBuffer? {
        let (now, restart) = lock.withLock { take(orWait: nil) }
        if restart { schedule() }
        if let now { return try now.get() }
        return try await withCheckedThrowingContinuation { c in
            let (now, restart) = lock.withLock { take(orWait: c) }
            if restart { schedule() }
            if let now { c.resume(with: now) }
        }
    }

    /// Drops the chunks that wait and stops production; a waiting `next()` throws `CancellationError`.
    func cancel() {
        let w = lock.withLock {
            cancelled = true
            ready.removeAll()
            defer { waiter = nil }
            return waiter
        }
        w?.resume(throwing: CancellationError())
    }

    /// Under `lock`: what `next()` answers now (nil: wait, registering `c` when given) and whether production
    /// must restart.
    private func take(orWait c: CheckedContinuation<ByteBuffer?, any Error>?) -> (Result<ByteBuffer?, any Error>?, Bool) {
        if cancelled { return (.failure(CancellationError()), false) }
        if let chunk = ready.popFirst() {
            let restart = !producing && !finished && failure == nil
            if restart { producing = true }
            return (.success(chunk), restart)
        }
        if let failure { return (.failure(failure), false) }
        if finished { return (.success(nil), false) }
        // Nothing ready and not finished: a step is running (production only pauses when `depth` chunks wait).
        if let c { waiter = c }
        return (nil, false)
    }

    private func schedule() {
        Self.pool.async { self.run() }
    }

    /// Produces until `depth` chunks wait, the producer ends or fails, or the reader cancels.
    private func run() {
        typealias Handoff = (CheckedContinuation<ByteBuffer?, any Error>, Result<ByteBuffer?, any Error>)
        while true {
            let result = Result { try produce() }
            let (handoff, more): (Handoff?, Bool) = lock.withLock {
                if cancelled {
                    producing = false
                    return (nil, false)
                }
                switch result {
                case .success(let chunk?): ready.append(chunk)
                case .success(nil): finished = true
                case .failure(let error): failure = error
                }
                // A waiter registered only when nothing was ready: it gets this chunk (or the end, or the error).
                var handoff: Handoff?
                if let w = waiter, let now = take(orWait: nil).0 {
                    waiter = nil
                    handoff = (w, now)
                }
                let more = !finished && failure == nil && ready.count < depth
                if !more { producing = false }
                return (handoff, more)
            }
            if let handoff { handoff.0.resume(with: handoff.1) }
            if !more { return }
        }
    }
}
