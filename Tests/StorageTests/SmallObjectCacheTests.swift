import Foundation
import GRDB
import Testing

@testable import Storage

@Suite struct SmallObjectCacheTests {
    static let now = WALChangeStamp.Stamp(counterAndPageSize: 1, lastFrameAndPages: 2, frameChecksum: 3, salts: 4, headerChecksum: 5)

    static func entry(_ key: String, bytes: Int, stamp: WALChangeStamp.Stamp = now) -> SmallObjectCache.Entry {
        let blob = BlobRef(id: "id-" + key, size: Int64(bytes), inline: true)
        let record = ObjectRecord(bucket: "b", key: key, size: Int64(bytes), etag: "e", lastModifiedMs: 1,
                                  parts: [ObjectPart(number: 1, blob: blob, etag: "e")])
        return .init(record: record, inline: [blob.id: Array(repeating: 7, count: bytes)], bytes: bytes, stamp: stamp)
    }

    @Test func keepsWhatWasReadInTheCurrentGeneration() {
        let cache = SmallObjectCache(maxEntries: 8, maxBytes: 1024)
        let g = cache.generation()
        cache.insert(Self.entry("k", bytes: 10), bucket: "b", key: "k", ifGeneration: g)
        #expect(cache.lookup(bucket: "b", key: "k", stamp: Self.now)?.record.key == "k")
        #expect(cache.lookup(bucket: "b", key: "other", stamp: Self.now) == nil)
        #expect(cache.lookup(bucket: "c", key: "k", stamp: Self.now) == nil)
    }

    /// Someone committed since the entry was read (another process, too): the entry is not served.
    @Test func servesOnlyEntriesOfTheCurrentWALStamp() {
        let cache = SmallObjectCache(maxEntries: 8, maxBytes: 1024)
        cache.insert(Self.entry("k", bytes: 10), bucket: "b", key: "k", ifGeneration: cache.generation())
        var later = Self.now
        later.lastFrameAndPages += 1
        #expect(cache.lookup(bucket: "b", key: "k", stamp: later) == nil)
        #expect(cache.lookup(bucket: "b", key: "k", stamp: Self.now) != nil)
    }

    /// A value read before a write finished must not be kept: the write's invalidation moves the generation on.
    @Test func refusesValuesReadBeforeAnInvalidation() {
        let cache = SmallObjectCache(maxEntries: 8, maxBytes: 1024)
        let g = cache.generation()
        cache.invalidateAll()
        cache.insert(Self.entry("k", bytes: 10), bucket: "b", key: "k", ifGeneration: g)
        #expect(cache.lookup(bucket: "b", key: "k", stamp: Self.now) == nil)
        cache.insert(Self.entry("k", bytes: 10), bucket: "b", key: "k", ifGeneration: cache.generation())
        #expect(cache.lookup(bucket: "b", key: "k", stamp: Self.now) != nil)
        cache.invalidateAll()
        #expect(cache.lookup(bucket: "b", key: "k", stamp: Self.now) == nil)
        #expect(cache.count == 0)
    }

    @Test func startsOverAtItsBounds() {
        let cache = SmallObjectCache(maxEntries: 3, maxBytes: 100)
        let g = cache.generation()
        for k in ["a", "b", "c"] { cache.insert(Self.entry(k, bytes: 10), bucket: "b", key: k, ifGeneration: g) }
        #expect(cache.count == 3)
        cache.insert(Self.entry("d", bytes: 10), bucket: "b", key: "d", ifGeneration: g)  // a fourth entry: over
        #expect(cache.count == 1)
        #expect(cache.lookup(bucket: "b", key: "d", stamp: Self.now) != nil)
        cache.insert(Self.entry("e", bytes: 95), bucket: "b", key: "e", ifGeneration: g)  // 10 + 95 bytes: over
        #expect(cache.count == 1)
        #expect(cache.lookup(bucket: "b", key: "e", stamp: Self.now) != nil)
        cache.insert(Self.entry("f", bytes: 101), bucket: "b", key: "f", ifGeneration: g)  // alone over: not kept
        #expect(cache.lookup(bucket: "b", key: "f", stamp: Self.now) == nil)
        #expect(cache.lookup(bucket: "b", key: "e", stamp: Self.now) != nil)
        cache.insert(Self.entry("e", bytes: 90), bucket: "b", key: "e", ifGeneration: g)  // replaces its own bytes
        #expect(cache.count == 1)
        #expect(cache.lookup(bucket: "b", key: "e", stamp: Self.now)?.bytes == 90)
    }

    /// Through the store: every kind of write is seen by the next read of a cached small object.
    @Test func storeReadsFollowEveryWrite() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(ObjectStoreTests.bucket("b"))

        try await putObject(store, "b", "k", [1, 2, 3])
        #expect(try await readObject(store, "b", "k") == [1, 2, 3])
        #expect(store.smallObjects.count == 1)  // cached by that read
        #expect(try await readObject(store, "b", "k") == [1, 2, 3])  // served from the cache

        try await putObject(store, "b", "k", [4, 5])  // overwrite, inline
        #expect(try await readObject(store, "b", "k") == [4, 5])

        var rec = try #require(try await store.openObject(bucket: "b", key: "k")).record
        rec.headers["content-type"] = "text/plain"
        try await store.updateObject(rec)  // metadata only
        #expect(try await store.openObject(bucket: "b", key: "k")?.record.headers["content-type"] == "text/plain")

        try await putObject(store, "b", "k", pattern(100_000))  // overwrite with a file-backed body: not cached
        #expect(try await readObject(store, "b", "k") == pattern(100_000))
        #expect(store.smallObjects.count == 0)

        try await putObject(store, "b", "k", [6])
        #expect(try await readObject(store, "b", "k") == [6])
        try await store.deleteObject(bucket: "b", key: "k")
        #expect(try await store.openObject(bucket: "b", key: "k") == nil)
    }

    /// A body changed in the database by another connection (as the tamper demonstrations do, from another process)
    /// is read again, not served from the cache.
    @Test func storeReadsFollowACommitByAnotherConnection() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(ObjectStoreTests.bucket("b"))
        let rec = try await putObject(store, "b", "k", [1, 2, 3, 4])
        #expect(try await readObject(store, "b", "k") == [1, 2, 3, 4])
        #expect(try await readObject(store, "b", "k") == [1, 2, 3, 4])

        let other = try DatabaseQueue(path: dir.url.appendingPathComponent("metadata.sqlite").path)
        try await other.write { db in
            try db.execute(sql: "UPDATE inline_blob SET data = ? WHERE id = ?", arguments: [Data([1, 2, 3, 5]), rec.parts[0].blob.id])
        }
        #expect(try await readObject(store, "b", "k") == [1, 2, 3, 5])
    }
}
