import Dispatch
import GRDB
import NIOConcurrencyHelpers

/// Serialises metadata writes and commits the ones that arrive together in one transaction, so that concurrent
/// durable writes share one fsync (group commit). Each write runs in its own savepoint: one that throws is rolled back
/// alone and reports its error; the others commit. A caller resumes only after the commit is durable.
final class GroupCommitWriter: @unchecked Sendable {
    private struct Pending {
        let run: (Database) throws -> Any
        let done: (Result<Any, any Error>) -> Void
    }

    private let db: DatabasePool
    private let queue = DispatchQueue(label: "s3emu.storage.commit")
    private let lock = NIOLock()
    private var pending: [Pending] = []
    private var draining = false
    /// Upper bound of writes in one transaction.
    private let maxBatch = 256

    init(db: DatabasePool) { self.db = db }

    /// Runs `operation` inside a transaction shared with other concurrent writes and returns its result once durable.
    func write<T>(_ operation: @escaping (Database) throws -> T) async throws -> T {
        let result: UncheckedBox<Result<Any, any Error>> = await withCheckedContinuation { continuation in
            let item = Pending(run: { try operation($0) }, done: { continuation.resume(returning: UncheckedBox($0)) })
            let start = lock.withLock { () -> Bool in
                pending.append(item)
                if draining { return false }
                draining = true
                return true
            }
            if start { queue.async { self.drain() } }
        }
        return try result.value.get() as! T
    }

    private func drain() {
        while true {
            let batch = lock.withLock { () -> [Pending] in
                let take = Array(pending.prefix(maxBatch))
                pending.removeFirst(take.count)
                if take.isEmpty { draining = false }
                return take
            }
            if batch.isEmpty { return }
            var results: [Result<Any, any Error>] = []
            do {
                try db.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        // Savepoints through cached statements: GRDB's inSavepoint parses its SQL on every call.
                        let begin = try db.cachedStatement(sql: "SAVEPOINT s3emu_op")
                        let release = try db.cachedStatement(sql: "RELEASE SAVEPOINT s3emu_op")
                        let rollback = try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT s3emu_op")
                        for item in batch {
                            try begin.execute()
                            do {
                                let value = try item.run(db)
                                try release.execute()
                                results.append(.success(value))
                            } catch {
                                try rollback.execute()
                                try release.execute()
                                results.append(.failure(error))
                            }
                        }
                        return .commit
                    }
                }
            } catch {
                results = batch.map { _ in .failure(error) }
            }
            for (item, result) in zip(batch, results) { item.done(result) }
        }
    }
}

/// Carries a non-Sendable value across a continuation whose ordering is guaranteed by the caller.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
