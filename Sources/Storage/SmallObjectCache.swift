import NIOConcurrencyHelpers

/// Recently read small objects (every part's bytes kept inline in the database), so that reading one again skips
/// SQLite. Bounded by entry count and bytes; when an insert would pass either bound, the cache starts over.
///
/// Coherence with this process's writes, by one generation count, and with anyone else's, by the WAL stamp:
/// ```
/// write:  commit the transaction, then invalidateAll()      (generation += 1, entries dropped)
/// read:   g = generation(); w = WAL stamp; read the row from SQLite; insert(entry stamped w, ifGeneration: g)
///         (refused unless no invalidation happened since g)
/// hit:    lookup(…, stamp: the WAL stamp now)              (an entry stamped otherwise is not returned)
/// ```
/// An inserted entry was read after every write whose invalidation preceded `g`, and any later write drops it, so
/// a hit never returns a version older than the last acknowledged write; it may return the previous version only to
/// a read that overlaps a write still committing, which S3 allows. A commit by another process (a tamper
/// demonstration editing the database) changes the WAL stamp, so entries read before it are not served.
final class SmallObjectCache: Sendable {
    struct Entry: Sendable {
        var record: ObjectRecord
        /// Inline bytes by blob id, for every part.
        var inline: [String: [UInt8]]
        var bytes: Int
        /// The database's WAL stamp taken before the read.
        var stamp: WALChangeStamp.Stamp
    }

    private struct Key: Hashable {
        var bucket: String
        var key: String
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [Key: Entry] = [:]
        var bytes = 0
    }

    private let state = NIOLockedValueBox(State())
    let maxEntries: Int
    let maxBytes: Int

    init(maxEntries: Int, maxBytes: Int) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// The current generation: take it before reading what you may insert.
    func generation() -> UInt64 { state.withLockedValue { $0.generation } }

    /// The entry for `bucket`/`key` if it was read with the database as it is now (`stamp`).
    func lookup(bucket: String, key: String, stamp: WALChangeStamp.Stamp) -> Entry? {
        state.withLockedValue { s in
            guard let e = s.entries[Key(bucket: bucket, key: key)], e.stamp == stamp else { return nil }
            return e
        }
    }

    /// Keeps `entry` unless a write invalidated the cache since `generation` or the entry alone is over the bounds.
    func insert(_ entry: Entry, bucket: String, key: String, ifGeneration generation: UInt64) {
        guard entry.bytes <= maxBytes else { return }
        state.withLockedValue { s in
            guard s.generation == generation else { return }
            let k = Key(bucket: bucket, key: key)
            if let old = s.entries[k] { s.bytes -= old.bytes }
            if s.entries.count >= maxEntries || s.bytes + entry.bytes > maxBytes {
                s.entries.removeAll(keepingCapacity: true)
                s.bytes = 0
            }
            s.entries[k] = entry
            s.bytes += entry.bytes
        }
    }

    /// Drops every entry and refuses inserts of values read before now. Called after every write transaction.
    func invalidateAll() {
        state.withLockedValue { s in
            s.generation &+= 1
            if !s.entries.isEmpty {
                s.entries.removeAll(keepingCapacity: true)
                s.bytes = 0
            }
        }
    }

    var count: Int { state.withLockedValue { $0.entries.count } }
}
