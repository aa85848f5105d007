import Foundation
import GRDB
import NIOConcurrencyHelpers
import NIOCore

/// Buckets, objects and multipart uploads: metadata in SQLite (WAL, synchronous=FULL), bytes in a `BlobStore`.
///
/// ```
/// bucket(name PK, region, created_ms)
/// object(bucket, key, record JSON)            PK (bucket, key); keys sort as UTF-8 bytes, as S3 lists them
/// upload(id PK, bucket, key, initiated_ms, record JSON)
/// part(upload_id, number, record JSON)        PK (upload_id, number)
/// inline_blob(id PK, data BLOB)               bodies up to BlobStore.inlineLimit
/// meta(name PK, value)                        schema version ("schema" = 1)
/// ```
/// A write becomes visible in one transaction, after its bytes are durable; the blobs it replaces are removed
/// afterwards. Readers open every file of an object before sending, so a concurrent overwrite cannot tear a read.
public final class ObjectStore: Sendable {
    public let blobs: BlobStore
    let db: DatabasePool
    let writer: GroupCommitWriter
    /// Cached copy of the bucket table; nil until first read or after a change.
    private let buckets = NIOLockedValueBox<[String: BucketRecord]?>(nil)
    /// Recently read objects whose bytes are all inline (at most 4 MiB of them): a repeated small GET skips SQLite.
    let smallObjects = SmallObjectCache(maxEntries: 4096, maxBytes: 4 * 1024 * 1024)
    /// Tells the cache when anyone (another process included) has committed; without it nothing is cached.
    private let walStamp: WALChangeStamp?
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        blobs = try BlobStore(root: directory)
        var config = Configuration()
        config.prepareDatabase { db in
            // Checkpoint less often: each one stalls the writer; larger ones amortise their fsyncs.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 8000")
            // Read B-tree pages through a memory map and keep more of them cached: fewer pread copies per write.
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        db = try DatabasePool(path: directory.appendingPathComponent("metadata.sqlite").path, configuration: config)
        // Every commit fsyncs the WAL before it is acknowledged. Set here, not in `prepareDatabase`: the pool switches
        // its writer to WAL after that hook and sets `synchronous = NORMAL` as it does (commits then survive a killed
        // process but not a crash of the machine).
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE bucket(name TEXT PRIMARY KEY NOT NULL, region TEXT NOT NULL, created_ms INTEGER NOT NULL);
                    CREATE TABLE object(bucket TEXT NOT NULL, key TEXT NOT NULL, record BLOB NOT NULL, PRIMARY KEY(bucket, key)) WITHOUT ROWID;
                    CREATE TABLE upload(id TEXT PRIMARY KEY NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated_ms INTEGER NOT NULL, record BLOB NOT NULL);
                    CREATE INDEX upload_by_key ON upload(bucket, key, id);
                    CREATE TABLE part(upload_id TEXT NOT NULL, number INTEGER NOT NULL, record BLOB NOT NULL, PRIMARY KEY(upload_id, number)) WITHOUT ROWID;
                    CREATE TABLE inline_blob(id TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL) WITHOUT ROWID;
                    CREATE TABLE meta(name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    INSERT INTO meta(name, value) VALUES ('schema', '1');
                    """)
        }
        migrator.registerMigration("v2 bucket settings") { db in
            try db.execute(sql: "CREATE TABLE bucket_setting(bucket TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(bucket, name)) WITHOUT ROWID")
        }
        try migrator.migrate(db)
        // Point reads on the request thread use connections of their own, outside the pool: a pool reader can be held
        // by an async read waiting to resume on that very thread, so blocking on the pool there can deadlock.
        var readOnly = Configuration()
        readOnly.readonly = true
        readOnly.prepareDatabase { db in
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        let path = directory.appendingPathComponent("metadata.sqlite").path
        pointReaders = try (0..<Self.pointReaderCount).map { _ in try DatabaseQueue(path: path, configuration: readOnly) }
        writer = GroupCommitWriter(db: db)
        // The pool holds the WAL open, so its index stays mapped for the store's life.
        walStamp = WALChangeStamp(databasePath: path)
        try collectGarbage()
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data { try encoder.encode(value) }
    static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T { try JSONDecoder().decode(type, from: data) }
    /// Object records, read on every GET, use a compact binary form (`ObjectRecordBinary`); JSON ones still read.
    static func encode(_ record: ObjectRecord) throws -> Data { ObjectRecordBinary.encode(record) }
    static func decode(_ type: ObjectRecord.Type, _ data: Data) throws -> ObjectRecord {
        data.first == ObjectRecordBinary.magic ? try ObjectRecordBinary.decode(data) : try JSONDecoder().decode(type, from: data)
    }

    /// Removes temporary files and blob files that no record references (left by a crash between rename and commit).
    func collectGarbage() throws {
        blobs.clearTemporaryFiles()
        let referenced: Set<String> = try db.read { db in
            var ids = Set<String>()
            for data in try Data.fetchAll(db, sql: "SELECT record FROM object") {
                for p in try Self.decode(ObjectRecord.self, data).parts where !p.blob.inline { ids.insert(p.blob.id) }
            }
            for data in try Data.fetchAll(db, sql: "SELECT record FROM part") {
                let p = try Self.decode(PartRecord.self, data)
                if !p.blob.inline { ids.insert(p.blob.id) }
            }
            return ids
        }
        let orphans = blobs.allFileBlobIDs().filter { !referenced.contains($0) }
        blobs.remove(orphans.map { BlobRef(id: $0, size: 0, inline: false) })
    }

    // MARK: Buckets

    /// Creates a bucket; throws `.bucketAlreadyExists` (with the existing record available via `bucket(_:)`).
    public func createBucket(_ record: BucketRecord) async throws {
        try await write { db in
            if try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM bucket WHERE name = ?"), arguments: [record.name]) != nil {
                throw StorageError.bucketAlreadyExists
            }
            try db.cachedStatement(sql: "INSERT INTO bucket(name, region, created_ms) VALUES (?, ?, ?)").execute(arguments: [record.name, record.region, record.createdMs])
        }
        try reloadBuckets()
    }

    /// The bucket, from an in-memory copy of the bucket table (buckets change rarely; every change goes through
    /// this store and refreshes it after commit).
    public func bucket(_ name: String) async throws -> BucketRecord? {
        try bucketTable()[name]
    }

    public func listBuckets() async throws -> [BucketRecord] {
        try bucketTable().values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    private func bucketTable() throws -> [String: BucketRecord] {
        if let table = buckets.withLockedValue({ $0 }) { return table }
        return try reloadBuckets()
    }

    /// Every write transaction goes through here: once it has finished (committed or not), cached small objects
    /// are dropped (``SmallObjectCache``).
    private func write<T>(_ operation: @escaping (Database) throws -> T) async throws -> T {
        defer { smallObjects.invalidateAll() }
        return try await writer.write(operation)
    }

    /// A short read on the calling thread (GRDB's synchronous API), avoiding two thread hops per point lookup.
    /// Without a transaction: callers read one row, or rows that are never modified in place (blobs by id).
    private func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        let index = nextPointReader.withLockedValue { next in
            defer { next = (next + 1) % Self.pointReaderCount }
            return next
        }
        return try pointReaders[index].unsafeRead(body)
    }

    /// Read-only connections for ``readNow(_:)`` (one per event-loop thread is enough; a busy one just waits).
    private let pointReaders: [DatabaseQueue]
    private static let pointReaderCount = 4
    private let nextPointReader = NIOLockedValueBox(0)

    @discardableResult
    private func reloadBuckets() throws -> [String: BucketRecord] {
        let table = try db.read { db in
            var table = try Row.fetchAll(db, sql: "SELECT name, region, created_ms FROM bucket").reduce(into: [String: BucketRecord]()) {
                $0[$1[0]] = BucketRecord(name: $1[0], region: $1[1], createdMs: $1[2])
            }
            for row in try Row.fetchAll(db, sql: "SELECT bucket, name, value FROM bucket_setting") {
                table[row[0]]?.settings[row[1]] = row[2]
            }
            return table
        }
        buckets.withLockedValue { $0 = table }
        return table
    }

    /// Deletes an empty bucket (no objects, no uploads in progress are aborted with it, as S3 does).
    public func deleteBucket(_ name: String) async throws {
        let partBlobs: [BlobRef] = try await write { db in
            guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM bucket WHERE name = ?"), arguments: [name]) != nil else {
                throw StorageError.noSuchBucket
            }
            if try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM object WHERE bucket = ? LIMIT 1"), arguments: [name]) != nil {
                throw StorageError.bucketNotEmpty
            }
            var refs: [BlobRef] = []
            for id in try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM upload WHERE bucket = ?"), arguments: [name]) {
                refs += try Self.deleteUpload(db, id: id)
            }
            try db.cachedStatement(sql: "DELETE FROM bucket WHERE name = ?").execute(arguments: [name])
            try db.cachedStatement(sql: "DELETE FROM bucket_setting WHERE bucket = ?").execute(arguments: [name])
            return refs
        }
        try reloadBuckets()
        blobs.release(partBlobs)
    }

    /// Sets (or with `nil` removes) one of a bucket's settings (`encryption`, `policy`, …), durably.
    public func setBucketSetting(_ bucket: String, name: String, value: String?) async throws {
        try await write { db in
            guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM bucket WHERE name = ?"), arguments: [bucket]) != nil else {
                throw StorageError.noSuchBucket
            }
            if let value {
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO bucket_setting(bucket, name, value) VALUES (?, ?, ?)")
                    .execute(arguments: [bucket, name, value])
            } else {
                try db.cachedStatement(sql: "DELETE FROM bucket_setting WHERE bucket = ? AND name = ?").execute(arguments: [bucket, name])
            }
        }
        try reloadBuckets()
    }

    // MARK: Objects

    /// Makes `record` the current object at its bucket and key, replacing any previous one. The blobs it references
    /// must be finished; inline ones are stored in the same transaction.
    public func putObject(_ record: ObjectRecord, blobs pending: [PendingBlob]) async throws {
        let old: [BlobRef] = try await write { db in
            guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM bucket WHERE name = ?"), arguments: [record.bucket]) != nil else {
                throw StorageError.noSuchBucket
            }
            for p in pending where p.ref.inline {
                try db.cachedStatement(sql: "INSERT INTO inline_blob(id, data) VALUES (?, ?)").execute(arguments: [p.ref.id, Data(p.inlineData ?? [])])
            }
            let replaced = try Self.removeObject(db, bucket: record.bucket, key: record.key)
            try db.cachedStatement(sql: "INSERT INTO object(bucket, key, record) VALUES (?, ?, ?)").execute(arguments: [record.bucket, record.key, try Self.encode(record)])
            return replaced
        }
        blobs.release(old)
    }

    /// Replaces the stored record of an existing object without touching its bytes (tagging, metadata changes).
    public func updateObject(_ record: ObjectRecord) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE object SET record = ? WHERE bucket = ? AND key = ?").execute(arguments: [try Self.encode(record), record.bucket, record.key])
            if db.changesCount == 0 { throw StorageError.noSuchKey }
        }
    }

    static func removeObject(_ db: Database, bucket: String, key: String) throws -> [BlobRef] {
        guard let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT record FROM object WHERE bucket = ? AND key = ?"), arguments: [bucket, key]) else {
            return []
        }
        let old = try decode(ObjectRecord.self, data)
        for p in old.parts where p.blob.inline { try db.cachedStatement(sql: "DELETE FROM inline_blob WHERE id = ?").execute(arguments: [p.blob.id]) }
        try db.cachedStatement(sql: "DELETE FROM object WHERE bucket = ? AND key = ?").execute(arguments: [bucket, key])
        return old.parts.map(\.blob)
    }

    public func object(bucket: String, key: String) async throws -> ObjectRecord? {
        try readNow { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT record FROM object WHERE bucket = ? AND key = ?"), arguments: [bucket, key]).map {
                try Self.decode(ObjectRecord.self, $0)
            }
        }
    }

    /// Deletes an object; returns whether one existed.
    @discardableResult
    public func deleteObject(bucket: String, key: String) async throws -> Bool {
        let old = try await write { db in try Self.removeObject(db, bucket: bucket, key: key) }
        blobs.release(old)
        return !old.isEmpty
    }

    /// Opens an object for reading: the record and a source for every part, taken together so that a concurrent
    /// overwrite cannot mix versions. Nil when there is no such object.
    public func openObject(bucket: String, key: String) async throws -> OpenedObject? {
        if let stamp = walStamp?.current(), let hit = smallObjects.lookup(bucket: bucket, key: key, stamp: stamp) {
            return OpenedObject(record: hit.record, sources: hit.record.parts.map { .memory(hit.inline[$0.blob.id] ?? []) })
        }
        for _ in 0..<5 {
            let generation = smallObjects.generation()
            let stamp = walStamp?.current()
            // A short point read: run it on this thread rather than hopping to GRDB's queue.
            let found: (ObjectRecord, [String: [UInt8]])? = try readNow { db in
                guard
                    let data = try Data.fetchOne(
                        db.cachedStatement(sql: "SELECT record FROM object WHERE bucket = ? AND key = ?"), arguments: [bucket, key])
                else { return nil }
                let record = try Self.decode(ObjectRecord.self, data)
                var inline: [String: [UInt8]] = [:]
                for p in record.parts where p.blob.inline {
                    inline[p.blob.id] = try Data.fetchOne(db.cachedStatement(sql: "SELECT data FROM inline_blob WHERE id = ?"), arguments: [p.blob.id])
                        .map(Array.init)
                }
                return (record, inline)
            }
            guard let (record, inline) = found else { return nil }
            if let stamp, record.parts.allSatisfy({ $0.blob.inline && inline[$0.blob.id] != nil }) {
                let bytes = inline.values.reduce(0) { $0 + $1.count }
                smallObjects.insert(.init(record: record, inline: inline, bytes: bytes, stamp: stamp), bucket: bucket, key: key,
                                    ifGeneration: generation)
            }
            do {
                let sources = try record.parts.map { (part) throws -> BlobSource in
                    if part.blob.inline {
                        guard let bytes = inline[part.blob.id] else { throw StorageError.corrupt("inline blob missing") }
                        return .memory(bytes)
                    }
                    return .file(try blobs.open(part.blob))
                }
                return OpenedObject(record: record, sources: sources)
            } catch StorageError.corrupt {
                continue  // replaced between the read and the open: look again
            }
        }
        throw StorageError.corrupt("object bytes are missing")
    }

    /// Lists keys in UTF-8 order after `after`, under `prefix`, rolling keys up to `delimiter` into common prefixes.
    public func list(bucket: String, prefix: String, delimiter: String?, after: String?, maxKeys: Int) async throws -> ListPage {
        let prefixBytes = Array(prefix.utf8)
        let delimBytes = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        // Keys compare as UTF-8 bytes, as S3 (and SQLite's BINARY collation) order them.
        @Sendable func commonPrefix(of key: String) -> String? {
            guard let delimBytes else { return nil }
            let k = Array(key.utf8)
            guard k.starts(with: prefixBytes) else { return nil }
            var i = prefixBytes.count
            while i + delimBytes.count <= k.count {
                if k[i..<(i + delimBytes.count)].elementsEqual(delimBytes) {
                    return String(decoding: k[..<(i + delimBytes.count)], as: UTF8.self)
                }
                i += 1
            }
            return nil
        }
        return try await db.read { db in
            var objects: [ObjectRecord] = []
            var prefixes: [String] = []
            var cursor = after ?? ""
            var inclusive = false
            if cursor.utf8.lexicographicallyPrecedes(prefixBytes) {
                cursor = prefix
                inclusive = true
            } else if let after, commonPrefix(of: after) == after, let next = Self.successor(of: after) {
                // Resuming after a common prefix skips every key under it.
                cursor = next
                inclusive = true
            }
            var last: String?
            while true {
                let sql = "SELECT key, record FROM object WHERE bucket = ? AND key \(inclusive ? ">=" : ">") ? ORDER BY key LIMIT 256"
                let rows = try Row.fetchAll(db, sql: sql, arguments: [bucket, cursor])
                if rows.isEmpty { return ListPage(objects: objects, commonPrefixes: prefixes, isTruncated: false, lastReturned: last) }
                for row in rows {
                    let key: String = row[0]
                    guard key.utf8.starts(with: prefixBytes) else {
                        // Past every key under the prefix.
                        return ListPage(objects: objects, commonPrefixes: prefixes, isTruncated: false, lastReturned: last)
                    }
                    let cp = commonPrefix(of: key)
                    if cp == nil || cp != prefixes.last, objects.count + prefixes.count == maxKeys {
                        return ListPage(objects: objects, commonPrefixes: prefixes, isTruncated: true, lastReturned: last)
                    }
                    if let cp {
                        if prefixes.last != cp {
                            prefixes.append(cp)
                            last = cp
                        }
                        // Skip every key under this common prefix.
                        if let next = Self.successor(of: cp) {
                            cursor = next
                            inclusive = true
                        } else {
                            cursor = key
                            inclusive = false
                        }
                        break
                    }
                    objects.append(try Self.decode(ObjectRecord.self, row[1]))
                    last = key
                    cursor = key
                    inclusive = false
                }
            }
        }
    }

    /// The smallest string greater than every string that starts with `s`, when it is still valid UTF-8
    /// (true for ASCII delimiters).
    static func successor(of s: String) -> String? {
        var u = Array(s.utf8)
        while let b = u.last {
            if b < 0x7F {
                u[u.count - 1] = b + 1
                return String(validating: u, as: UTF8.self)
            }
            u.removeLast()
            if b < 0x80 { continue }
            return nil
        }
        return nil
    }

    // MARK: Multipart uploads

    public func createUpload(_ upload: UploadRecord) async throws {
        try await write { db in
            guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM bucket WHERE name = ?"), arguments: [upload.bucket]) != nil else {
                throw StorageError.noSuchBucket
            }
            try db.execute(
                sql: "INSERT INTO upload(id, bucket, key, initiated_ms, record) VALUES (?, ?, ?, ?, ?)",
                arguments: [upload.id, upload.bucket, upload.key, upload.initiatedMs, try Self.encode(upload)])
        }
    }

    public func upload(id: String) async throws -> UploadRecord? {
        try await db.read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT record FROM upload WHERE id = ?"), arguments: [id]).map { try Self.decode(UploadRecord.self, $0) }
        }
    }

    /// Stores a part, replacing one with the same number.
    public func putPart(uploadID: String, _ part: PartRecord, blob: PendingBlob) async throws {
        let old: [BlobRef] = try await write { db in
            guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM upload WHERE id = ?"), arguments: [uploadID]) != nil else {
                throw StorageError.noSuchUpload
            }
            var replaced: [BlobRef] = []
            if let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT record FROM part WHERE upload_id = ? AND number = ?"), arguments: [uploadID, part.number]) {
                let prev = try Self.decode(PartRecord.self, data)
                if prev.blob.inline { try db.cachedStatement(sql: "DELETE FROM inline_blob WHERE id = ?").execute(arguments: [prev.blob.id]) }
                replaced.append(prev.blob)
            }
            if blob.ref.inline {
                try db.cachedStatement(sql: "INSERT INTO inline_blob(id, data) VALUES (?, ?)").execute(arguments: [blob.ref.id, Data(blob.inlineData ?? [])])
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO part(upload_id, number, record) VALUES (?, ?, ?)",
                arguments: [uploadID, part.number, try Self.encode(part)])
            return replaced
        }
        blobs.release(old)
    }

    /// Parts of an upload in number order, starting after `after`.
    public func parts(uploadID: String, after: Int = 0, limit: Int = 10_000) async throws -> [PartRecord] {
        try await db.read { db in
            try Data.fetchAll(
                db, sql: "SELECT record FROM part WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?",
                arguments: [uploadID, after, limit]
            ).map { try Self.decode(PartRecord.self, $0) }
        }
    }

    /// Turns an upload into the object `record` (whose parts are the chosen uploaded parts), in one transaction;
    /// parts not used and the replaced object's bytes are removed.
    public func completeUpload(id: String, record: ObjectRecord) async throws {
        let garbage: [BlobRef] = try await write { db in
            guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM upload WHERE id = ?"), arguments: [id]) != nil else {
                throw StorageError.noSuchUpload
            }
            let used = Set(record.parts.map(\.blob.id))
            var garbage = try Self.removeObject(db, bucket: record.bucket, key: record.key)
            for data in try Data.fetchAll(db.cachedStatement(sql: "SELECT record FROM part WHERE upload_id = ?"), arguments: [id]) {
                let p = try Self.decode(PartRecord.self, data)
                if !used.contains(p.blob.id) {
                    if p.blob.inline { try db.cachedStatement(sql: "DELETE FROM inline_blob WHERE id = ?").execute(arguments: [p.blob.id]) }
                    garbage.append(p.blob)
                }
            }
            try db.cachedStatement(sql: "DELETE FROM part WHERE upload_id = ?").execute(arguments: [id])
            try db.cachedStatement(sql: "DELETE FROM upload WHERE id = ?").execute(arguments: [id])
            try db.cachedStatement(sql: "INSERT INTO object(bucket, key, record) VALUES (?, ?, ?)").execute(arguments: [record.bucket, record.key, try Self.encode(record)])
            return garbage
        }
        blobs.release(garbage)
    }

    public func abortUpload(id: String) async throws {
        let garbage: [BlobRef] = try await write { db in
            guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM upload WHERE id = ?"), arguments: [id]) != nil else {
                throw StorageError.noSuchUpload
            }
            return try Self.deleteUpload(db, id: id)
        }
        blobs.release(garbage)
    }

    static func deleteUpload(_ db: Database, id: String) throws -> [BlobRef] {
        var refs: [BlobRef] = []
        for data in try Data.fetchAll(db.cachedStatement(sql: "SELECT record FROM part WHERE upload_id = ?"), arguments: [id]) {
            let p = try decode(PartRecord.self, data)
            if p.blob.inline { try db.cachedStatement(sql: "DELETE FROM inline_blob WHERE id = ?").execute(arguments: [p.blob.id]) }
            refs.append(p.blob)
        }
        try db.cachedStatement(sql: "DELETE FROM part WHERE upload_id = ?").execute(arguments: [id])
        try db.cachedStatement(sql: "DELETE FROM upload WHERE id = ?").execute(arguments: [id])
        return refs
    }

    /// Uploads in progress in a bucket, ordered by key then upload id, after the given markers.
    public func listUploads(bucket: String, prefix: String, keyMarker: String?, uploadIDMarker: String?, limit: Int) async throws
        -> [UploadRecord]
    {
        try await db.read { db in
            let all = try Data.fetchAll(db.cachedStatement(sql: "SELECT record FROM upload WHERE bucket = ? ORDER BY key, id"), arguments: [bucket])
                .map { try Self.decode(UploadRecord.self, $0) }
            return Array(
                all.filter { u in
                    guard u.key.hasPrefix(prefix) else { return false }
                    guard let keyMarker else { return true }
                    if let uploadIDMarker, u.key == keyMarker { return u.id > uploadIDMarker }
                    return u.key > keyMarker
                }.prefix(limit))
        }
    }

    /// Removes every bucket, object and upload (the admin reset for test isolation).
    public func reset() async throws {
        let refs: [BlobRef] = try await write { db in
            var refs: [BlobRef] = []
            for data in try Data.fetchAll(db, sql: "SELECT record FROM object") { refs += try Self.decode(ObjectRecord.self, data).parts.map(\.blob) }
            for data in try Data.fetchAll(db, sql: "SELECT record FROM part") { refs.append(try Self.decode(PartRecord.self, data).blob) }
            for table in ["object", "part", "upload", "inline_blob", "bucket_setting", "bucket"] { try db.execute(sql: "DELETE FROM \(table)") }
            return refs
        }
        try reloadBuckets()
        blobs.release(refs)
    }
}

/// Where a part's bytes come from when reading.
public enum BlobSource: Sendable {
    case file(BlobFile)
    case memory([UInt8])
}

/// An object opened for reading.
public struct OpenedObject: Sendable {
    public var record: ObjectRecord
    /// One source per part, in order.
    public var sources: [BlobSource]

    /// An object of `record` whose parts read from `sources`.
    public init(record: ObjectRecord, sources: [BlobSource]) {
        self.record = record
        self.sources = sources
    }
}
