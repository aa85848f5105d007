import Foundation

/// The stored form of an `ObjectRecord` (the `object.record` column), read on every GET and HEAD, so it is a compact
/// binary layout rather than JSON:
///
/// ```
/// record   = 0xB5 version:u8(=2) bucket key size:varint etag lastModifiedMs:varint
///            headers:map userMetadata:pairs checksum:opt(checksum) parts:count*part multipart:u8
///            tags:pairs storageClass attributes:map
/// part     = number:varint blob-id blob-size:varint inline:u8 etag opt(checksum) attributes:map
///            (version 1, still read: a part has no attributes map)
/// checksum = algorithm value type
/// string   = varint(byte count) UTF-8;  map / pairs = varint(count) (string string)*;  opt(x) = u8(0|1) [x]
/// varint   = LEB128 of the two's-complement 64-bit value
/// ```
/// Records written by earlier builds as JSON (first byte `{`) are still read.
enum ObjectRecordBinary {
    static let magic: UInt8 = 0xB5
    static let version: UInt8 = 2

    struct Malformed: Error {}

    static func encode(_ r: ObjectRecord) -> Data {
        var w = Writer()
        w.bytes.append(magic)
        w.bytes.append(version)
        w.string(r.bucket)
        w.string(r.key)
        w.int(r.size)
        w.string(r.etag)
        w.int(r.lastModifiedMs)
        w.map(r.headers)
        w.pairs(r.userMetadata)
        w.checksum(r.checksum)
        w.int(Int64(r.parts.count))
        for p in r.parts {
            w.int(Int64(p.number))
            w.string(p.blob.id)
            w.int(p.blob.size)
            w.bytes.append(p.blob.inline ? 1 : 0)
            w.string(p.etag)
            w.checksum(p.checksum)
            w.map(p.attributes)
        }
        w.bytes.append(r.multipart ? 1 : 0)
        w.pairs(r.tags)
        w.string(r.storageClass)
        w.map(r.attributes)
        return Data(w.bytes)
    }

    static func decode(_ data: Data) throws -> ObjectRecord {
        try data.withUnsafeBytes { raw in
            var r = Reader(raw)
            guard try r.byte() == magic else { throw Malformed() }
            let recordVersion = try r.byte()
            guard recordVersion == 1 || recordVersion == version else { throw Malformed() }
            let bucket = try r.string()
            let key = try r.string()
            let size = try r.int()
            let etag = try r.string()
            let lastModified = try r.int()
            let headers = try r.map()
            let metadata = try r.pairs()
            let checksum = try r.checksum()
            let count = try r.count()
            var parts: [ObjectPart] = []
            parts.reserveCapacity(count)
            for _ in 0..<count {
                let number = Int(try r.int())
                let blob = BlobRef(id: try r.string(), size: try r.int(), inline: try r.byte() == 1)
                let etag = try r.string()
                let checksum = try r.checksum()
                let attributes = recordVersion >= 2 ? try r.map() : [:]
                parts.append(ObjectPart(number: number, blob: blob, etag: etag, checksum: checksum, attributes: attributes))
            }
            let multipart = try r.byte() == 1
            let tags = try r.pairs()
            let storageClass = try r.string()
            let attributes = try r.map()
            guard r.atEnd else { throw Malformed() }
            return ObjectRecord(
                bucket: bucket, key: key, size: size, etag: etag, lastModifiedMs: lastModified, headers: headers,
                userMetadata: metadata, checksum: checksum, parts: parts, multipart: multipart, tags: tags,
                storageClass: storageClass, attributes: attributes)
        }
    }

    struct Writer {
        var bytes: [UInt8] = []

        mutating func int(_ v: Int64) {
            var u = UInt64(bitPattern: v)
            while u >= 0x80 {
                bytes.append(UInt8(u & 0x7F) | 0x80)
                u >>= 7
            }
            bytes.append(UInt8(u))
        }

        mutating func string(_ s: String) {
            int(Int64(s.utf8.count))
            bytes.append(contentsOf: s.utf8)
        }

        mutating func map(_ m: [String: String]) {
            int(Int64(m.count))
            for k in m.keys.sorted() {
                string(k)
                string(m[k]!)
            }
        }

        mutating func pairs(_ p: [[String]]) {
            int(Int64(p.count))
            for kv in p {
                string(kv.first ?? "")
                string(kv.count > 1 ? kv[1] : "")
            }
        }

        mutating func checksum(_ c: StoredChecksum?) {
            guard let c else {
                bytes.append(0)
                return
            }
            bytes.append(1)
            string(c.algorithm)
            string(c.value)
            string(c.type)
        }
    }

    struct Reader {
        let raw: UnsafeRawBufferPointer
        var i = 0

        init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

        var atEnd: Bool { i == raw.count }

        mutating func byte() throws -> UInt8 {
            guard i < raw.count else { throw Malformed() }
            defer { i += 1 }
            return raw[i]
        }

        mutating func int() throws -> Int64 {
            var u: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                guard shift < 64 else { throw Malformed() }
                u |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return Int64(bitPattern: u) }
                shift += 7
            }
        }

        mutating func count() throws -> Int {
            let n = try int()
            guard n >= 0, n <= raw.count - i else { throw Malformed() }
            return Int(n)
        }

        mutating func string() throws -> String {
            let n = try count()
            defer { i += n }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[i..<(i + n)]), as: UTF8.self)
        }

        mutating func map() throws -> [String: String] {
            var m: [String: String] = [:]
            for _ in 0..<(try count()) { m[try string()] = try string() }
            return m
        }

        mutating func pairs() throws -> [[String]] {
            var p: [[String]] = []
            for _ in 0..<(try count()) { p.append([try string(), try string()]) }
            return p
        }

        mutating func checksum() throws -> StoredChecksum? {
            guard try byte() == 1 else { return nil }
            return StoredChecksum(algorithm: try string(), value: try string(), type: try string())
        }
    }
}
