import Foundation
import GRDB
import NIOCore
import Testing

@testable import Storage

@Suite struct ObjectStoreTests {
    static func bucket(_ name: String, createdMs: Int64 = 1) -> BucketRecord {
        BucketRecord(name: name, region: "us-east-1", createdMs: createdMs)
    }

    // MARK: Buckets

    @Test func bucketLifecycle() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        #expect(try await store.listBuckets().isEmpty)
        try await store.createBucket(Self.bucket("zeta", createdMs: 10))
        try await store.createBucket(Self.bucket("alpha", createdMs: 20))
        await #expect(throws: StorageError.bucketAlreadyExists) { try await store.createBucket(Self.bucket("alpha", createdMs: 30)) }
        #expect(try await store.listBuckets() == [Self.bucket("alpha", createdMs: 20), Self.bucket("zeta", createdMs: 10)])
        #expect(try await store.bucket("alpha") == Self.bucket("alpha", createdMs: 20))
        #expect(try await store.bucket("missing") == nil)

        await #expect(throws: StorageError.noSuchBucket) { try await store.deleteBucket("missing") }
        try await putObject(store, "alpha", "k", [1, 2, 3])
        await #expect(throws: StorageError.bucketNotEmpty) { try await store.deleteBucket("alpha") }
        #expect(try await store.deleteObject(bucket: "alpha", key: "k"))
        try await store.deleteBucket("alpha")
        #expect(try await store.listBuckets() == [Self.bucket("zeta", createdMs: 10)])
        #expect(try await store.bucket("alpha") == nil)
        await #expect(throws: StorageError.noSuchBucket) { try await store.deleteBucket("alpha") }
    }

    @Test func bucketSettingsPersistAndGoWithTheBucket() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        do {
            let store = try ObjectStore(directory: dir.url)
            try await store.createBucket(Self.bucket("b", createdMs: 1))
            try await store.setBucketSetting("b", name: "encryption", value: "<x/>")
            try await store.setBucketSetting("b", name: "policy", value: "{}")
            try await store.setBucketSetting("b", name: "policy", value: nil)
            await #expect(throws: StorageError.noSuchBucket) { try await store.setBucketSetting("nope", name: "policy", value: "{}") }
        }
        let reopened = try ObjectStore(directory: dir.url)
        #expect(try await reopened.bucket("b")?.settings == ["encryption": "<x/>"])
        try await reopened.deleteBucket("b")
        try await reopened.createBucket(Self.bucket("b", createdMs: 2))
        #expect(try await reopened.bucket("b")?.settings == [:])
    }

    @Test func writesIntoAMissingBucketFail() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        let blob = try await writeBlob(store, [1, 2, 3])
        await #expect(throws: StorageError.noSuchBucket) {
            try await store.putObject(record(bucket: "nope", key: "k", blobs: [blob]), blobs: [blob])
        }
        let template = ObjectRecord(bucket: "nope", key: "k", size: 0, etag: "", lastModifiedMs: 0, parts: [])
        await #expect(throws: StorageError.noSuchBucket) {
            try await store.createUpload(UploadRecord(id: "u", bucket: "nope", key: "k", initiatedMs: 0, template: template))
        }
        #expect(try await store.object(bucket: "nope", key: "k") == nil)
    }

    // MARK: Objects

    @Test(arguments: [0, 10, 64 * 1024, 64 * 1024 + 1, 300_000])
    func putAndReadBack(_ size: Int) async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        let data = pattern(size, seed: 5)
        let rec = try await putObject(store, "b", "dir/key.bin", data, etag: "abc")
        let inline = size <= 64 * 1024
        #expect(rec.parts.map(\.blob.inline) == [inline])
        #expect(dir.blobFiles(settled: store) == (inline ? [] : [rec.parts[0].blob.id]))
        #expect(dir.tmpFiles().isEmpty)

        #expect(try await store.object(bucket: "b", key: "dir/key.bin") == rec)
        let opened = try #require(try await store.openObject(bucket: "b", key: "dir/key.bin"))
        #expect(opened.record == rec)
        #expect(opened.sources.count == 1)
        switch opened.sources[0] {
        case .memory: #expect(inline)
        case .file(let f):
            #expect(!inline)
            #expect(f.size == Int64(size))
        }
        #expect(try readAll(opened) == data)
        #expect(try await store.openObject(bucket: "b", key: "other") == nil)
        #expect(try await store.object(bucket: "b", key: "other") == nil)
    }

    @Test func overwriteRemovesTheOldBlob() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))

        let first = try await putObject(store, "b", "k", pattern(100_000, seed: 1))
        #expect(dir.blobFiles(settled: store) == [first.parts[0].blob.id])
        let second = try await putObject(store, "b", "k", pattern(150_000, seed: 2))
        #expect(dir.blobFiles(settled: store) == [second.parts[0].blob.id])
        #expect(try await readObject(store, "b", "k") == pattern(150_000, seed: 2))

        // Replaced by a small (inline) body: no file left.
        try await putObject(store, "b", "k", [9, 9, 9])
        #expect(dir.blobFiles(settled: store).isEmpty)
        #expect(try await readObject(store, "b", "k") == [9, 9, 9])

        // And back to a file.
        let fourth = try await putObject(store, "b", "k", pattern(70_000, seed: 4))
        #expect(dir.blobFiles(settled: store) == [fourth.parts[0].blob.id])

        #expect(try await store.deleteObject(bucket: "b", key: "k"))
        #expect(dir.blobFiles(settled: store).isEmpty)
        #expect(try await store.deleteObject(bucket: "b", key: "k") == false)
        #expect(try await store.object(bucket: "b", key: "k") == nil)
        #expect(try await store.openObject(bucket: "b", key: "k") == nil)
    }

    @Test func multiPartObjectsReadInOrder() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        let pieces = [pattern(70_000, seed: 1), [1, 2, 3], pattern(80_000, seed: 2)]
        var pending: [PendingBlob] = []
        for p in pieces { pending.append(try await writeBlob(store, p)) }
        let rec = record(bucket: "b", key: "k", blobs: pending)
        try await store.putObject(rec, blobs: pending)
        #expect(try await readObject(store, "b", "k") == pieces.flatMap { $0 })
        #expect(dir.blobFiles(settled: store).count == 2)
        try await store.deleteObject(bucket: "b", key: "k")
        #expect(dir.blobFiles(settled: store).isEmpty)
    }

    @Test func updateObjectChangesTheRecordOnly() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        var rec = try await putObject(store, "b", "k", pattern(100_000))
        rec.tags = [["a", "1"]]
        rec.headers["content-type"] = "text/plain"
        try await store.updateObject(rec)
        #expect(try await store.object(bucket: "b", key: "k") == rec)
        #expect(try await readObject(store, "b", "k") == pattern(100_000))
        #expect(dir.blobFiles(settled: store).count == 1)
        var missing = rec
        missing.key = "missing"
        await #expect(throws: StorageError.noSuchKey) { try await store.updateObject(missing) }
    }

    /// Commits must reach the disk before they are acknowledged: the writer connection syncs the WAL on every commit
    /// (a pool left at its own default, NORMAL, would not), and keeps doing so after a reopen.
    @Test func theWriterSyncsEveryCommit() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        for _ in 0..<2 {
            let store = try ObjectStore(directory: dir.url)
            let journal = try await store.db.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
            let level = try await store.db.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
            #expect(journal == "wal")
            #expect(level == 2, "PRAGMA synchronous on the writer: 2 is FULL")
        }
    }

    @Test func concurrentWritesAllCommit() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask { try await putObject(store, "b", "key\(i)", pattern(i % 4 == 0 ? 70_000 : 100, seed: UInt8(i))) }
            }
            // A failing write in the same batches does not disturb the others.
            group.addTask { await #expect(throws: StorageError.bucketAlreadyExists) { try await store.createBucket(Self.bucket("b")) } }
            try await group.waitForAll()
        }
        let page = try await store.list(bucket: "b", prefix: "", delimiter: nil, after: nil, maxKeys: 1000)
        #expect(page.objects.count == 64)
        for i in 0..<64 {
            #expect(try await readObject(store, "b", "key\(i)") == pattern(i % 4 == 0 ? 70_000 : 100, seed: UInt8(i)))
        }
        #expect(dir.blobFiles(settled: store).count == 16)
    }

    // MARK: Listing

    /// 300 keys: dir1/file000…099, dir2/sub/x000…049, top000…149.
    static let listingKeys: [String] =
        (0..<100).map { "dir1/file" + pad($0) } + (0..<50).map { "dir2/sub/x" + pad($0) } + (0..<150).map { "top" + pad($0) }

    static func pad(_ n: Int) -> String { String(repeating: "0", count: 3 - String(n).count) + String(n) }

    static func listingStore(_ dir: TempDir) async throws -> ObjectStore {
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        try await store.createBucket(Self.bucket("other"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for key in listingKeys.shuffled() { group.addTask { try await putObject(store, "b", key, Array(key.utf8)) } }
            group.addTask { try await putObject(store, "other", "dir1/file000", [1]) }
            try await group.waitForAll()
        }
        return store
    }

    enum Entry: Equatable, CustomStringConvertible {
        case key(String)
        case prefix(String)
        var name: String {
            switch self {
            case .key(let k): return k
            case .prefix(let p): return p
            }
        }
        var description: String {
            switch self {
            case .key(let k): return k
            case .prefix(let p): return "[\(p)]"
            }
        }
    }

    /// The entries of one page, keys and common prefixes merged in listing order.
    static func entries(_ page: ListPage) -> [Entry] {
        var all = page.objects.map { Entry.key($0.key) } + page.commonPrefixes.map { Entry.prefix($0) }
        all.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        return all
    }

    /// Pages through a listing, passing each page's `lastReturned` as the next `after`.
    static func pages(_ store: ObjectStore, prefix: String, delimiter: String?, after: String? = nil, maxKeys: Int) async throws -> [[Entry]] {
        var out: [[Entry]] = []
        var marker = after
        // One page more than a correct listing can take (300 entries at most), so a listing that never ends stops.
        for _ in 0..<(300 / maxKeys + 2) {
            let page = try await store.list(bucket: "b", prefix: prefix, delimiter: delimiter, after: marker, maxKeys: maxKeys)
            out.append(entries(page))
            #expect(page.objects.count + page.commonPrefixes.count <= maxKeys)
            #expect(page.lastReturned == entries(page).last.map(\.name))
            guard page.isTruncated else { return out }
            marker = page.lastReturned
        }
        Issue.record("listing did not end after \(out.count) pages")
        return out
    }

    /// Compares pages, reporting only the first page that differs.
    static func expectPages(_ pages: [[Entry]], _ expected: [Entry], maxKeys: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let expectedPages = stride(from: 0, to: expected.count, by: maxKeys).map { Array(expected[$0..<min($0 + maxKeys, expected.count)]) }
        if let i = zip(pages, expectedPages).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("page \(i) is \(pages[i]), expected \(expectedPages[i])", sourceLocation: sourceLocation)
        }
        #expect(pages.count == expectedPages.count, sourceLocation: sourceLocation)
    }

    @Test(arguments: [1, 7, 100, 299, 300, 1000])
    func listWithoutDelimiterPaginatesExactly(_ maxKeys: Int) async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.listingStore(dir)
        let pages = try await Self.pages(store, prefix: "", delimiter: nil, maxKeys: maxKeys)
        Self.expectPages(pages, Self.listingKeys.map(Entry.key), maxKeys: maxKeys)
    }

    @Test func listPageFlags() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.listingStore(dir)
        let first = try await store.list(bucket: "b", prefix: "", delimiter: nil, after: nil, maxKeys: 100)
        #expect(first.isTruncated)
        #expect(first.lastReturned == "dir1/file099")
        #expect(first.objects.first?.key == "dir1/file000")
        #expect(first.objects.first?.size == 12)
        let last = try await store.list(bucket: "b", prefix: "", delimiter: nil, after: "top049", maxKeys: 100)
        #expect(last.isTruncated == false)
        #expect(last.objects.map(\.key) == (50..<150).map { "top" + Self.pad($0) })
        #expect(last.lastReturned == "top149")
        let beyond = try await store.list(bucket: "b", prefix: "", delimiter: nil, after: "zzz", maxKeys: 100)
        #expect(beyond.objects.isEmpty && beyond.commonPrefixes.isEmpty && !beyond.isTruncated && beyond.lastReturned == nil)
        let empty = try await store.list(bucket: "empty-bucket", prefix: "", delimiter: nil, after: nil, maxKeys: 100)
        #expect(empty.objects.isEmpty && !empty.isTruncated)
    }

    @Test func listWithPrefix() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.listingStore(dir)
        let dir1 = try await store.list(bucket: "b", prefix: "dir1/", delimiter: nil, after: nil, maxKeys: 1000)
        #expect(dir1.objects.map(\.key) == (0..<100).map { "dir1/file" + Self.pad($0) })
        #expect(!dir1.isTruncated)
        let top1 = try await store.list(bucket: "b", prefix: "top1", delimiter: nil, after: nil, maxKeys: 1000)
        #expect(top1.objects.map(\.key) == (100..<150).map { "top" + Self.pad($0) })
        // `after` before the prefix starts at the prefix; `after` inside continues there.
        let early = try await store.list(bucket: "b", prefix: "top1", delimiter: nil, after: "a", maxKeys: 3)
        #expect(early.objects.map(\.key) == ["top100", "top101", "top102"])
        #expect(early.isTruncated)
        let inside = try await store.list(bucket: "b", prefix: "top1", delimiter: nil, after: "top147", maxKeys: 3)
        #expect(inside.objects.map(\.key) == ["top148", "top149"])
        #expect(!inside.isTruncated)
        let exact = try await store.list(bucket: "b", prefix: "top149", delimiter: nil, after: nil, maxKeys: 10)
        #expect(exact.objects.map(\.key) == ["top149"])
        let none = try await store.list(bucket: "b", prefix: "nothing", delimiter: nil, after: nil, maxKeys: 10)
        #expect(none.objects.isEmpty && !none.isTruncated)
        // The other bucket's keys never leak in.
        let other = try await store.list(bucket: "other", prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        #expect(other.objects.map(\.key) == ["dir1/file000"])
    }

    @Test func listWithDelimiter() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.listingStore(dir)
        let root = try await store.list(bucket: "b", prefix: "", delimiter: "/", after: nil, maxKeys: 1000)
        #expect(root.commonPrefixes == ["dir1/", "dir2/"])
        #expect(root.objects.map(\.key) == (0..<150).map { "top" + Self.pad($0) })
        #expect(!root.isTruncated)
        let dir2 = try await store.list(bucket: "b", prefix: "dir2/", delimiter: "/", after: nil, maxKeys: 1000)
        #expect(dir2.commonPrefixes == ["dir2/sub/"])
        #expect(dir2.objects.isEmpty)
        let sub = try await store.list(bucket: "b", prefix: "dir2/sub/", delimiter: "/", after: nil, maxKeys: 1000)
        #expect(sub.commonPrefixes.isEmpty)
        #expect(sub.objects.count == 50)
        let byDigit = try await store.list(bucket: "b", prefix: "top", delimiter: "0", after: nil, maxKeys: 1000)
        #expect(byDigit.commonPrefixes == ["top0", "top10", "top110", "top120", "top130", "top140"])
        #expect(byDigit.objects.map(\.key) == (110..<150).filter { $0 % 10 != 0 }.map { "top" + Self.pad($0) })
        let emptyDelimiter = try await store.list(bucket: "b", prefix: "dir1/", delimiter: "", after: nil, maxKeys: 1000)
        #expect(emptyDelimiter.objects.count == 100 && emptyDelimiter.commonPrefixes.isEmpty)
    }

    /// Every entry exactly once, whatever the page size, when each page's `lastReturned` is passed back as `after`
    /// (as ListObjectsV2's continuation token and ListObjects' NextMarker do).
    @Test(arguments: [1, 2, 3, 50, 151, 152, 1000])
    func listWithDelimiterPaginatesExactly(_ maxKeys: Int) async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.listingStore(dir)
        let pages = try await Self.pages(store, prefix: "", delimiter: "/", maxKeys: maxKeys)
        let expected = [Entry.prefix("dir1/"), .prefix("dir2/")] + (0..<150).map { Entry.key("top" + Self.pad($0)) }
        Self.expectPages(pages, expected, maxKeys: maxKeys)
    }

    @Test func listResumesAfterACommonPrefix() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try await Self.listingStore(dir)
        let page = try await store.list(bucket: "b", prefix: "", delimiter: "/", after: "dir1/", maxKeys: 2)
        #expect(page.commonPrefixes == ["dir2/"])
        #expect(page.objects.map(\.key) == ["top000"])
        #expect(page.isTruncated)
        #expect(page.lastReturned == "top000")
    }

    /// S3 compares keys and prefixes as UTF-8 bytes: a key whose prefix bytes match is listed even when Swift's
    /// Character-based `hasPrefix` disagrees (a combining mark right after the prefix).
    @Test func listPrefixMatchesBytesNotCharacters() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        let nfd = "e\u{301}x"  // "e" + COMBINING ACUTE ACCENT + "x"
        for key in ["e", "ez", nfd, "f", "\u{E9}"] { try await putObject(store, "b", key, [1]) }
        let all = try await store.list(bucket: "b", prefix: "", delimiter: nil, after: nil, maxKeys: 100)
        #expect(all.objects.map { Array($0.key.utf8) } == [Array("e".utf8), Array("ez".utf8), Array(nfd.utf8), Array("f".utf8), Array("\u{E9}".utf8)])
        let underE = try await store.list(bucket: "b", prefix: "e", delimiter: nil, after: nil, maxKeys: 100)
        #expect(underE.objects.map { Array($0.key.utf8) } == [Array("e".utf8), Array("ez".utf8), Array(nfd.utf8)])
    }

    @Test func successorOfPrefixes() {
        #expect(ObjectStore.successor(of: "dir1/") == "dir10")
        #expect(ObjectStore.successor(of: "a") == "b")
        #expect(ObjectStore.successor(of: "") == nil)
        #expect(ObjectStore.successor(of: "a\u{7F}") == "b")
        #expect(ObjectStore.successor(of: "é") == nil)
    }

    // MARK: Multipart uploads

    static func upload(_ id: String, bucket: String = "b", key: String = "big", initiatedMs: Int64 = 5) -> UploadRecord {
        UploadRecord(
            id: id, bucket: bucket, key: key, initiatedMs: initiatedMs,
            template: ObjectRecord(bucket: bucket, key: key, size: 0, etag: "", lastModifiedMs: 0, headers: ["content-type": "x/y"], parts: []))
    }

    static func putPart(_ store: ObjectStore, _ uploadID: String, _ number: Int, _ bytes: [UInt8]) async throws -> PartRecord {
        let blob = try await writeBlob(store, bytes)
        let part = PartRecord(number: number, blob: blob.ref, etag: "p\(number)-\(bytes.count)", lastModifiedMs: Int64(number))
        try await store.putPart(uploadID: uploadID, part, blob: blob)
        return part
    }

    @Test func multipartCompleteKeepsChosenPartsAndRemovesTheRest() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        let previous = try await putObject(store, "b", "big", pattern(90_000, seed: 9))
        try await store.createUpload(Self.upload("u1"))
        #expect(try await store.upload(id: "u1") == Self.upload("u1"))
        #expect(try await store.upload(id: "u2") == nil)

        let p1 = try await Self.putPart(store, "u1", 1, pattern(100_000, seed: 1))
        let p2old = try await Self.putPart(store, "u1", 2, pattern(100_000, seed: 2))
        let p3 = try await Self.putPart(store, "u1", 3, [7, 7, 7])
        let p4 = try await Self.putPart(store, "u1", 4, pattern(80_000, seed: 4))
        #expect(Set(dir.blobFiles(settled: store)) == Set([previous.parts[0].blob.id, p1.blob.id, p2old.blob.id, p4.blob.id]))
        // Re-uploading part 2 replaces it and removes the old bytes.
        let p2 = try await Self.putPart(store, "u1", 2, pattern(110_000, seed: 22))
        #expect(Set(dir.blobFiles(settled: store)) == Set([previous.parts[0].blob.id, p1.blob.id, p2.blob.id, p4.blob.id]))
        #expect(try await store.parts(uploadID: "u1") == [p1, p2, p3, p4])
        #expect(try await store.parts(uploadID: "u1", after: 1, limit: 2) == [p2, p3])
        #expect(try await store.parts(uploadID: "u1", after: 4) == [])
        #expect(try await store.parts(uploadID: "nope") == [])

        // Complete with parts 1 and 3; 2 and 4 are not used.
        let chosen = [p1, p3]
        var final = Self.upload("u1").template
        final.parts = chosen.map { ObjectPart(number: $0.number, blob: $0.blob, etag: $0.etag) }
        final.size = chosen.reduce(0) { $0 + $1.blob.size }
        final.etag = "final-2"
        final.multipart = true
        try await store.completeUpload(id: "u1", record: final)
        #expect(dir.blobFiles(settled: store) == [p1.blob.id])
        #expect(try await store.upload(id: "u1") == nil)
        #expect(try await store.parts(uploadID: "u1") == [])
        #expect(try await store.object(bucket: "b", key: "big") == final)
        #expect(try await readObject(store, "b", "big") == pattern(100_000, seed: 1) + [7, 7, 7])
        await #expect(throws: StorageError.noSuchUpload) { try await store.completeUpload(id: "u1", record: final) }
    }

    @Test func multipartAbortRemovesPartBlobs() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        try await store.createUpload(Self.upload("u1"))
        _ = try await Self.putPart(store, "u1", 1, pattern(100_000, seed: 1))
        _ = try await Self.putPart(store, "u1", 2, [1])
        #expect(dir.blobFiles(settled: store).count == 1)
        try await store.abortUpload(id: "u1")
        #expect(dir.blobFiles(settled: store).isEmpty)
        #expect(try await store.upload(id: "u1") == nil)
        #expect(try await store.parts(uploadID: "u1") == [])
        await #expect(throws: StorageError.noSuchUpload) { try await store.abortUpload(id: "u1") }
        let blob = try await writeBlob(store, [1, 2])
        await #expect(throws: StorageError.noSuchUpload) {
            try await store.putPart(uploadID: "u1", PartRecord(number: 1, blob: blob.ref, etag: "e", lastModifiedMs: 0), blob: blob)
        }
        #expect(try await store.object(bucket: "b", key: "big") == nil)
    }

    @Test func deletingABucketAbortsItsUploads() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        try await store.createUpload(Self.upload("u1"))
        _ = try await Self.putPart(store, "u1", 1, pattern(100_000))
        #expect(dir.blobFiles(settled: store).count == 1)
        try await store.deleteBucket("b")
        #expect(dir.blobFiles(settled: store).isEmpty)
        #expect(try await store.upload(id: "u1") == nil)
    }

    @Test func listUploadsOrderAndMarkers() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        try await store.createBucket(Self.bucket("c"))
        for (id, key) in [("u3", "a"), ("u1", "a"), ("u2", "b"), ("u0", "c/x")] { try await store.createUpload(Self.upload(id, key: key)) }
        try await store.createUpload(Self.upload("u9", bucket: "c", key: "a"))
        func ids(prefix: String = "", key: String? = nil, id: String? = nil, limit: Int = 100) async throws -> [String] {
            try await store.listUploads(bucket: "b", prefix: prefix, keyMarker: key, uploadIDMarker: id, limit: limit).map(\.id)
        }
        #expect(try await ids() == ["u1", "u3", "u2", "u0"])
        #expect(try await ids(limit: 2) == ["u1", "u3"])
        #expect(try await ids(prefix: "c/") == ["u0"])
        #expect(try await ids(key: "a") == ["u2", "u0"])
        #expect(try await ids(key: "a", id: "u1") == ["u3", "u2", "u0"])
    }

    // MARK: Persistence and garbage collection

    @Test func reopeningKeepsEverything() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var expectedFiles: [String] = []
        do {
            let store = try ObjectStore(directory: dir.url)
            try await store.createBucket(Self.bucket("b", createdMs: 42))
            try await putObject(store, "b", "small", [1, 2, 3])
            let big = try await putObject(store, "b", "big", pattern(200_000, seed: 8))
            try await store.createUpload(Self.upload("u1"))
            let part = try await Self.putPart(store, "u1", 1, pattern(100_000, seed: 6))
            _ = try await Self.putPart(store, "u1", 2, [4, 5])
            expectedFiles = [big.parts[0].blob.id, part.blob.id].sorted()
        }
        let store = try ObjectStore(directory: dir.url)
        #expect(try await store.listBuckets() == [Self.bucket("b", createdMs: 42)])
        #expect(try await readObject(store, "b", "small") == [1, 2, 3])
        #expect(try await readObject(store, "b", "big") == pattern(200_000, seed: 8))
        #expect(try await store.upload(id: "u1") == Self.upload("u1"))
        #expect(try await store.parts(uploadID: "u1").map(\.number) == [1, 2])
        #expect(dir.blobFiles(settled: store) == expectedFiles)
        let page = try await store.list(bucket: "b", prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        #expect(page.objects.map(\.key) == ["big", "small"])
    }

    @Test func openingCollectsGarbage() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var kept: [String] = []
        do {
            let store = try ObjectStore(directory: dir.url)
            try await store.createBucket(Self.bucket("b"))
            let obj = try await putObject(store, "b", "k", pattern(100_000))
            try await store.createUpload(Self.upload("u1"))
            let part = try await Self.putPart(store, "u1", 1, pattern(100_000, seed: 1))
            kept = [obj.parts[0].blob.id, part.blob.id].sorted()
        }
        // A crash mid-write leaves a temporary file; a crash between rename and commit leaves an unreferenced blob.
        let stray = dir.url.appendingPathComponent("tmp/0123456789abcdef0123456789abcdef")
        try Data([1, 2, 3]).write(to: stray)
        let orphanID = "ab" + String(repeating: "0", count: 30)
        try FileManager.default.createDirectory(at: dir.url.appendingPathComponent("blobs/ab"), withIntermediateDirectories: true)
        try Data([4, 5, 6]).write(to: dir.url.appendingPathComponent("blobs/ab/\(orphanID)"))
        #expect(dir.tmpFiles().count == 1)
        #expect(dir.blobFiles().count == 3)

        let store = try ObjectStore(directory: dir.url)
        #expect(dir.tmpFiles().isEmpty)
        #expect(dir.blobFiles(settled: store) == kept)
        #expect(try await readObject(store, "b", "k") == pattern(100_000))
    }

    @Test func resetEmptiesEverything() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        try await store.createBucket(Self.bucket("c"))
        try await putObject(store, "b", "small", [1])
        try await putObject(store, "c", "big", pattern(100_000))
        try await store.createUpload(Self.upload("u1"))
        _ = try await Self.putPart(store, "u1", 1, pattern(100_000, seed: 1))
        _ = try await Self.putPart(store, "u1", 2, [2])
        #expect(dir.blobFiles(settled: store).count == 2)

        try await store.reset()
        #expect(try await store.listBuckets().isEmpty)
        #expect(try await store.object(bucket: "b", key: "small") == nil)
        #expect(try await store.object(bucket: "c", key: "big") == nil)
        #expect(try await store.upload(id: "u1") == nil)
        #expect(try await store.parts(uploadID: "u1") == [])
        #expect(dir.blobFiles(settled: store).isEmpty)
        let rows = try await store.db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inline_blob") }
        #expect(rows == 0)

        // Still usable, and the same names can be taken again.
        try await store.createBucket(Self.bucket("b"))
        try await putObject(store, "b", "small", [3])
        #expect(try await readObject(store, "b", "small") == [3])
    }

    @Test func inlineRowsFollowTheirObjects() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try ObjectStore(directory: dir.url)
        try await store.createBucket(Self.bucket("b"))
        func inlineRows() async throws -> Int { try await store.db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inline_blob") ?? -1 } }
        try await putObject(store, "b", "k", [1])
        try await putObject(store, "b", "k", [2])
        #expect(try await inlineRows() == 1)
        try await store.createUpload(Self.upload("u1"))
        _ = try await Self.putPart(store, "u1", 1, [1])
        _ = try await Self.putPart(store, "u1", 1, [2])
        _ = try await Self.putPart(store, "u1", 2, [3])
        #expect(try await inlineRows() == 3)
        try await store.abortUpload(id: "u1")
        #expect(try await inlineRows() == 1)
        try await store.deleteObject(bucket: "b", key: "k")
        #expect(try await inlineRows() == 0)
    }
}
