/// A value of `BlockedEncryptionTypes/EncryptionType` in a bucket encryption rule.
public enum BlockedEncryptionType: String, Sendable, CaseIterable, Hashable, Codable {
    /// SSE-C uploads are refused (E-C17).
    case sseC = "SSE-C"
    /// Nothing is blocked (the value that unblocks SSE-C).
    case none = "NONE"
}
