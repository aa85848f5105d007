import Dispatch
import NIOConcurrencyHelpers
import NIOCore

/// Runs the jobs that produce a response body's chunks ahead of their consumer, on threads of a shared dispatch pool:
/// up to `parallel` at once and at most `depth` chunks ahead, delivered in order. Reading and decrypting a large GET
/// body thus overlaps with writing it to the socket, and, on more than one core, with itself:
///
/// ```
/// plan (in order, cheap) ─▶ job 0 ─┐
///                       └─▶ job 1 ─┼─▶ chunks in plan order (≤ depth, running included) ─▶ consumer: write, write …
///                       └─▶ job 2 ─┘                                                       (event loop)
/// ```
/// The planner is called under the lock, one call at a time; it only decides what the next chunk is (which bytes,
/// which segments) and returns the job that reads and opens it. Jobs must be independent of each other. Nothing runs
/// while `depth` chunks wait, so a slow client holds no thread: taking a chunk starts the next job. A job's or the
/// planner's error reaches the consumer after the chunks planned before it, and again on every later call.
/// `cancel()` (e.g. the client went away) drops what waits; running jobs finish and their results are dropped.
final class ReadAhead: @unchecked Sendable {
    typealias Job = @Sendable () throws -> ByteBuffer
    typealias Planner = () throws -> Job?
    /// A waiting consumer and what it is to be resumed with.
    private typealias Handoff = (CheckedContinuation<ByteBuffer?, any Error>, Result<ByteBuffer?, any Error>)

    private static let pool = DispatchQueue(label: "s3emu.read-ahead", attributes: .concurrent)

    private let depth: Int
    private let parallel: Int
    private let lock = NIOLock()
    /// Called only under `lock`; everything below is touched only under it too.
    private let plan: Planner
    /// The chunks planned and not yet taken, in order: nil while their job runs.
    private var slots = CircularBuffer<Result<ByteBuffer, any Error>?>()
    /// Sequence number of `slots.first`; a job's slot is `slots[sequence - firstSequence]`.
    private var firstSequence = 0
    private var running = 0
    /// The planner returned nil or threw: nothing more is planned.
    private var planned = false
    /// Handed to the consumer once; returned again by every later `next()`.
    private var failure: (any Error)?
    private var cancelled = false
    private var waiter: CheckedContinuation<ByteBuffer?, any Error>?

    /// Starts planning and running jobs at once.
    init(depth: Int = 4, parallel: Int = 1, _ plan: @escaping Planner) {
        precondition(depth > 0 && parallel > 0)
        self.depth = depth
        self.parallel = parallel
        self.plan = plan
        launch(lock.withLock { startJobs() })
    }

    /// The next chunk, nil after the last; rethrows a job's or the planner's error.
    func next() async throws -> ByteBuffer? {
        let (now, jobs) = lock.withLock { take(orWait: nil) }
        launch(jobs)
        if let now { return try now.get() }
        return try await withCheckedThrowingContinuation { c in
            let (now, jobs) = lock.withLock { take(orWait: c) }
            launch(jobs)
            if let now { c.resume(with: now) }
        }
    }

    /// Drops the chunks that wait and stops planning; a waiting `next()` throws `CancellationError`.
    func cancel() {
        let w = lock.withLock {
            cancelled = true
            slots.removeAll()
            defer { waiter = nil }
            return waiter
        }
        w?.resume(throwing: CancellationError())
    }

    /// Under `lock`: what `next()` answers now (nil: wait, registering `c` when given), and the jobs to start.
    private func take(orWait c: CheckedContinuation<ByteBuffer?, any Error>?)
        -> (Result<ByteBuffer?, any Error>?, [(Int, Job)])
    {
        if cancelled { return (.failure(CancellationError()), []) }
        if let failure { return (.failure(failure), []) }
        if let first = slots.first, let result = first {
            slots.removeFirst()
            firstSequence += 1
            if case .failure(let error) = result { failure = error }
            return (result.map { Optional($0) }, startJobs())
        }
        if slots.isEmpty && planned { return (.success(nil), []) }
        // The first chunk's job is running (jobs only pause when `depth` chunks are planned).
        if let c { waiter = c }
        return (nil, [])
    }

    /// Under `lock`: plans jobs while fewer than `depth` chunks are planned and fewer than `parallel` run.
    private func startJobs() -> [(Int, Job)] {
        var jobs: [(Int, Job)] = []
        while !planned && !cancelled && failure == nil && slots.count < depth && running < parallel {
            let sequence = firstSequence + slots.count
            do {
                guard let job = try plan() else {
                    planned = true
                    break
                }
                slots.append(nil)
                running += 1
                jobs.append((sequence, job))
            } catch {
                slots.append(.failure(error))
                planned = true
            }
        }
        return jobs
    }

    private func launch(_ jobs: [(Int, Job)]) {
        for (sequence, job) in jobs { Self.pool.async { self.run(job, sequence: sequence) } }
    }

    private func run(_ job: Job, sequence: Int) {
        let result = Result { try job() }
        let (handoff, more): (Handoff?, [(Int, Job)]) =
            lock.withLock {
                running -= 1
                if cancelled { return (nil, []) }
                slots[slots.index(slots.startIndex, offsetBy: sequence - firstSequence)] = result
                var jobs: [(Int, Job)] = []
                var handoff: Handoff?
                if let w = waiter {
                    let (now, more) = take(orWait: nil)
                    jobs += more
                    if let now {
                        waiter = nil
                        handoff = (w, now)
                    }
                }
                return (handoff, jobs + startJobs())
            }
        launch(more)
        if let handoff { handoff.0.resume(with: handoff.1) }
    }
}
