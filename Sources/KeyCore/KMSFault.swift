/// An AWS KMS error: the `__type` clients dispatch on and the message they show.
///
/// This is the one error type of the key stack (module, providers, KMS API). The HTTP status it maps to lives in
/// ``status``, following the reference doc's recommendation (400 for client errors, 500 for internal ones, 503 for a
/// dependency timeout). Messages never contain key material or plaintext.
public struct KMSFault: Error, Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var message: String

    public init(_ type: String, _ message: String) {
        self.type = type
        self.message = message
    }

    public var description: String { "\(type): \(message)" }

    /// The HTTP status the KMS API answers with.
    public var status: Int {
        switch type {
        case "KMSInternalException", "KeyUnavailableException": 500
        case "DependencyTimeoutException": 503
        case "DryRunOperationException": 412
        case "ConflictException": 409
        default: 400
        }
    }

    public static func validation(_ message: String) -> KMSFault { KMSFault("ValidationException", message) }
    public static func notFound(_ message: String) -> KMSFault { KMSFault("NotFoundException", message) }
    public static func invalidState(_ message: String) -> KMSFault { KMSFault("KMSInvalidStateException", message) }
    public static func disabled(_ arn: String) -> KMSFault { KMSFault("DisabledException", "\(arn) is disabled.") }
    public static let invalidCiphertext = KMSFault("InvalidCiphertextException", "")
    public static func serialization(_ message: String) -> KMSFault { KMSFault("SerializationException", message) }
    public static func internalError(_ message: String) -> KMSFault { KMSFault("KMSInternalException", message) }
    /// The key module (or an external key service) cannot be reached.
    public static func unavailable(_ message: String) -> KMSFault { KMSFault("KeyUnavailableException", message) }
}
