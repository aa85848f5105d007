/// What can go wrong reading or writing the at-rest format. None of these carries key material or plaintext.
public enum AtRestCryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A segment (or a sealed data key) failed authentication: wrong key, wrong context, reordered, spliced,
    /// truncated, extended or altered bytes. `segment` is the index the caller asked for (−1 for a sealed key).
    case authenticationFailed(segment: Int)
    /// A stored segment has a length that no segment at that position can have.
    case invalidSegmentLength(segment: Int, length: Int)
    /// A stored object's size is not one the format can produce.
    case invalidStoredSize(Int64)
    /// A key had the wrong number of bytes.
    case invalidKeyLength(Int)
    /// A nonce, salt or other parameter had the wrong size or value.
    case invalidParameter(String)
    /// An envelope or format version this build does not read.
    case unsupportedVersion(UInt8)
    /// An envelope names an algorithm this build does not implement.
    case unsupportedAlgorithm(String)
    /// An envelope's bytes do not decode.
    case malformedEnvelope(String)
    /// The SSE-C key presented is not the one the object was written with.
    case customerKeyMismatch
    /// OpenSSL failed to create a cipher context or to seal (out of memory).
    case cipherFailure

    public var description: String {
        switch self {
        case .authenticationFailed(let i): i < 0 ? "sealed key failed authentication" : "segment \(i) failed authentication"
        case .invalidSegmentLength(let i, let n): "segment \(i) has an impossible length \(n)"
        case .invalidStoredSize(let n): "stored size \(n) is not a valid sealed object size"
        case .invalidKeyLength(let n): "key of \(n) bytes (expected 32)"
        case .invalidParameter(let what): "invalid parameter: \(what)"
        case .unsupportedVersion(let v): "unsupported version \(v)"
        case .unsupportedAlgorithm(let a): "unsupported algorithm \(a)"
        case .malformedEnvelope(let why): "malformed encryption envelope: \(why)"
        case .customerKeyMismatch: "the customer key does not match the object's"
        case .cipherFailure: "the cipher failed"
        }
    }
}
