/// What can go wrong reading or writing a client-side-encrypted object. The messages name the problem without
/// showing key material; ``description`` is what the CLI prints after `s3emu cse: error: `.
public enum ClientSideError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The object carries none of the formats' metadata (and has no instruction file).
    case notEncrypted
    /// The metadata is incomplete, mixes formats, or holds a value that cannot be parsed.
    case malformedMetadata(String)
    /// The format or algorithm is one this library does not handle at all.
    case unsupported(String)
    /// A legacy mode (CBC content, legacy key wrapping) met without `allowLegacy`.
    case legacyNotAllowed(String)
    /// A V1/V2 object met with `requireCommitment`.
    case commitmentRequired(FormatVersion)
    /// The caller's encryption context differs from the stored one.
    case contextMismatch
    /// The caller's context uses the reserved `aws:x-amz-cek-alg` key.
    case reservedContextKey
    /// The keyring's kind does not match the object's wrap algorithm.
    case wrongKeyringKind(wrap: KeyWrapAlgorithm, keyring: String)
    /// KMS or the local key refused to unwrap the data key (wrong key, wrong context, disabled key …).
    case unwrapFailed(String)
    /// KMS refused to make a data key.
    case keyGenerationFailed(String)
    /// The V3 key commitment does not match the unwrapped key.
    case commitmentMismatch
    /// The body's authentication tag does not verify (or CBC padding is invalid).
    case authenticationFailed
    /// A range read was asked for without allowing unauthenticated ranges, or is invalid for the object.
    case rangeNotAllowed(String)
    /// The S3 endpoint answered with an error.
    case s3(status: Int, code: String, message: String)
    /// Transport, file or other local failure.
    case io(String)

    public var description: String {
        switch self {
        case .notEncrypted: "not a client-side-encrypted object (no S3 Encryption Client metadata and no instruction file)"
        case .malformedMetadata(let why): "malformed encryption metadata: \(why)"
        case .unsupported(let what): "unsupported: \(what)"
        case .legacyNotAllowed(let what): "\(what) is a legacy mode; allow legacy modes (--legacy) to read it"
        case .commitmentRequired(let version):
            "the object is \(version.rawValue), which has no key commitment, and key commitment is required"
        case .contextMismatch: "encryption context does not match the one stored with the object"
        case .reservedContextKey: "the encryption context may not use the reserved key aws:x-amz-cek-alg"
        case .wrongKeyringKind(let wrap, let keyring): "the data key is wrapped with \(wrap.rawValue), which the given \(keyring) key cannot unwrap"
        case .unwrapFailed(let why): "could not unwrap the data key: \(why)"
        case .keyGenerationFailed(let why): "could not make a data key: \(why)"
        case .commitmentMismatch: "key commitment check failed: the object's key commitment does not match its data key"
        case .authenticationFailed: "authentication failed: the object was altered or the key is wrong"
        case .rangeNotAllowed(let why): "range read refused: \(why)"
        case .s3(let status, let code, let message): "S3 answered \(status) \(code)\(message.isEmpty ? "" : ": \(message)")"
        case .io(let why): why
        }
    }
}
