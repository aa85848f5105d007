import Foundation
import Testing

@testable import Storage

@Suite struct ObjectRecordBinaryTests {
    static let record = ObjectRecord(
        bucket: "b", key: "dir/ключ 🔑", size: 5_242_881, etag: "0123456789abcdef0123456789abcdef-2", lastModifiedMs: 1_700_000_000_123,
        headers: ["content-type": "text/plain", "cache-control": "no-cache"], userMetadata: [["a", "1"], ["b", ""]],
        checksum: StoredChecksum(algorithm: "CRC32", value: "AAAAAA==-2", type: "COMPOSITE"),
        parts: [
            ObjectPart(number: 1, blob: BlobRef(id: "aa", size: 5_242_880, inline: false), etag: "e1"),
            ObjectPart(number: 3, blob: BlobRef(id: "bb", size: 1, inline: true), etag: "e3", checksum: StoredChecksum(algorithm: "SHA1", value: "x", type: "COMPOSITE")),
        ], multipart: true, tags: [["k", "v"]], storageClass: "STANDARD_IA", attributes: ["mode": "none"])

    @Test func roundTrips() throws {
        let data = ObjectRecordBinary.encode(Self.record)
        #expect(data.first == ObjectRecordBinary.magic)
        #expect(try ObjectRecordBinary.decode(data) == Self.record)
        #expect(try ObjectStore.decode(ObjectRecord.self, data) == Self.record)
    }

    @Test func readsRecordsStoredAsJSON() throws {
        let json = try JSONEncoder().encode(Self.record)
        #expect(try ObjectStore.decode(ObjectRecord.self, json) == Self.record)
    }

    @Test(arguments: [0, 1, 2, 10, 40])
    func refusesTruncatedRecords(_ keep: Int) {
        let data = ObjectRecordBinary.encode(Self.record)
        #expect(throws: (any Error).self) { try ObjectRecordBinary.decode(data.prefix(keep)) }
    }

    @Test func refusesUnknownVersion() {
        var bytes = [UInt8](ObjectRecordBinary.encode(Self.record))
        bytes[1] = 99
        #expect(throws: (any Error).self) { try ObjectRecordBinary.decode(Data(bytes)) }
    }
}

@Suite struct ObjectRecordBinaryVersionTests {
    @Test func partAttributesRoundTrip() throws {
        let r = ObjectRecord(bucket: "b", key: "k", size: 3, etag: "e", lastModifiedMs: 1,
                             parts: [ObjectPart(number: 1, blob: BlobRef(id: "x", size: 3, inline: true), etag: "e",
                                                attributes: ["sse": "envelope"])])
        #expect(try ObjectRecordBinary.decode(ObjectRecordBinary.encode(r)) == r)
    }

    @Test func versionOneRecordsAreStillRead() throws {
        // A version-1 record: the same layout without the per-part attributes map.
        let r = ObjectRecord(bucket: "b", key: "k", size: 3, etag: "e", lastModifiedMs: 1,
                             parts: [ObjectPart(number: 1, blob: BlobRef(id: "x", size: 3, inline: true), etag: "e")])
        #expect(Array(ObjectRecordBinary.encode(r))[1] == 2)
        var v1: [UInt8] = [0xB5, 1]
        var w = ObjectRecordBinary.Writer()
        w.string("b"); w.string("k"); w.int(3); w.string("e"); w.int(1); w.map([:]); w.pairs([]); w.checksum(nil)
        w.int(1); w.int(1); w.string("x"); w.int(3); w.bytes.append(1); w.string("e"); w.checksum(nil)
        w.bytes.append(0); w.pairs([]); w.string("STANDARD"); w.map([:])
        v1 += w.bytes
        #expect(try ObjectRecordBinary.decode(Data(v1)) == r)
    }
}
