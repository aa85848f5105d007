import Foundation
import NIOCore
import Testing

@testable import Storage

/// A fresh store directory, removed by `cleanup()`.
struct TempDir {
    let url: URL

    init(base: URL = FileManager.default.temporaryDirectory) throws {
        url = base.appendingPathComponent("s3emu-storage-tests-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(at: url) }

    /// Regular files anywhere under `blobs/`.
    func blobFiles() -> [String] { files(under: "blobs") }

    /// `blobFiles()` once `store` has removed the files it released in the background.
    func blobFiles(settled store: ObjectStore) -> [String] {
        store.blobs.waitForReleases()
        return blobFiles()
    }

    /// Regular files directly under `tmp/`.
    func tmpFiles() -> [String] { files(under: "tmp") }

    func files(under sub: String) -> [String] {
        let root = url.appendingPathComponent(sub)
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var out: [String] = []
        for case let file as URL in e where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            out.append(file.lastPathComponent)
        }
        return out.sorted()
    }
}

/// Deterministic test bytes.
func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7 &+ $0 / 251) }
}

/// Writes `bytes` through a BlobWriter (in pieces, as a request body arrives) and commits it.
func writeBlob(_ store: ObjectStore, _ bytes: [UInt8], piece: Int = 10_000) async throws -> PendingBlob {
    let w = store.blobs.makeWriter()
    var i = 0
    while i < bytes.count {
        let end = min(i + piece, bytes.count)
        try bytes[i..<end].withUnsafeBytes { try w.write($0) }
        i = end
    }
    #expect(w.size == Int64(bytes.count))
    return try await w.finish()
}

func record(bucket: String, key: String, blobs: [PendingBlob], etag: String = "etag", lastModifiedMs: Int64 = 1_000) -> ObjectRecord {
    ObjectRecord(
        bucket: bucket, key: key, size: blobs.reduce(0) { $0 + $1.ref.size }, etag: etag, lastModifiedMs: lastModifiedMs,
        parts: blobs.enumerated().map { ObjectPart(number: $0.offset + 1, blob: $0.element.ref, etag: etag) })
}

/// Stores `bytes` as the object `bucket/key`.
@discardableResult
func putObject(_ store: ObjectStore, _ bucket: String, _ key: String, _ bytes: [UInt8], etag: String = "etag") async throws -> ObjectRecord {
    let blob = try await writeBlob(store, bytes)
    let r = record(bucket: bucket, key: key, blobs: [blob], etag: etag)
    try await store.putObject(r, blobs: [blob])
    return r
}

/// Reads every byte of an opened object.
func readAll(_ opened: OpenedObject) throws -> [UInt8] {
    var out: [UInt8] = []
    for (source, part) in zip(opened.sources, opened.record.parts) {
        switch source {
        case .memory(let bytes): out += bytes
        case .file(let file):
            #expect(file.size == part.blob.size)
            var b = try file.read(offset: 0, length: Int(file.size), allocator: ByteBufferAllocator())
            out += b.readBytes(length: b.readableBytes) ?? []
        }
    }
    return out
}

func readObject(_ store: ObjectStore, _ bucket: String, _ key: String) async throws -> [UInt8]? {
    guard let opened = try await store.openObject(bucket: bucket, key: key) else { return nil }
    return try readAll(opened)
}
