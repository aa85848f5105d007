import CChecksum
import Crypto

/// The flexible checksums S3 validates and stores (`x-amz-checksum-*`).
public enum ChecksumAlgorithm: String, Sendable, CaseIterable, Codable {
    case crc32 = "CRC32"
    case crc32c = "CRC32C"
    case crc64nvme = "CRC64NVME"
    case sha1 = "SHA1"
    case sha256 = "SHA256"

    /// `x-amz-checksum-crc32`, …
    public var headerName: String { "x-amz-checksum-" + rawValue.lowercased() }

    /// Length of the raw digest in bytes.
    public var digestLength: Int {
        switch self {
        case .crc32, .crc32c: return 4
        case .crc64nvme: return 8
        case .sha1: return 20
        case .sha256: return 32
        }
    }

    /// Parses `CRC32`, `crc32`, … as sent in `x-amz-checksum-algorithm` / `x-amz-sdk-checksum-algorithm`.
    public init?(name: String) { self.init(rawValue: name.uppercased()) }

    /// The algorithm of a header name such as `x-amz-checksum-sha256`.
    public init?(headerName: String) {
        let prefix = "x-amz-checksum-"
        guard headerName.hasPrefix(prefix) else { return nil }
        self.init(name: String(headerName.dropFirst(prefix.count)))
    }

    /// Whether `value` is base64 of a digest of the right length.
    public func isWellFormed(_ value: String) -> Bool { Base64.decode(value)?.count == digestLength }
}

/// An incremental checksum of one algorithm.
public struct ChecksumHasher: Sendable {
    public let algorithm: ChecksumAlgorithm
    private var crc: UInt64 = 0
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()

    public init(_ algorithm: ChecksumAlgorithm) { self.algorithm = algorithm }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch algorithm {
        case .crc32: crc = UInt64(s3emu_crc32(UInt32(crc), bytes.baseAddress, bytes.count))
        case .crc32c: crc = UInt64(s3emu_crc32c(UInt32(crc), bytes.baseAddress, bytes.count))
        case .crc64nvme: crc = s3emu_crc64nvme(crc, bytes.baseAddress, bytes.count)
        case .sha1: sha1.update(bufferPointer: bytes)
        case .sha256: sha256.update(bufferPointer: bytes)
        }
    }

    public mutating func update<B: Sequence>(_ bytes: B) where B.Element == UInt8 {
        let a = Array(bytes)
        a.withUnsafeBytes { update($0) }
    }

    /// The raw digest (big-endian for CRCs).
    public func finalizeRaw() -> [UInt8] {
        switch algorithm {
        case .crc32, .crc32c:
            let v = UInt32(crc)
            return [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        case .crc64nvme:
            return (0..<8).map { UInt8(crc >> (56 - 8 * UInt64($0)) & 0xff) }
        case .sha1: return Array(sha1.finalize())
        case .sha256: return Array(sha256.finalize())
        }
    }

    /// The digest as S3 shows it: base64.
    public func finalize() -> String { Base64.encode(finalizeRaw()) }
}
