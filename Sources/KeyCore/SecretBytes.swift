import Crypto
import Foundation

/// Secret bytes (a data key, a root key, an SSE-C key): never printed, compared in constant time, zeroed when freed.
///
/// `description` and `debugDescription` print `SecretBytes(<redacted>, N bytes)`, so a secret that ends up in a log
/// line or an error message by accident shows its length only.
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible, Equatable {
    private var storage: [UInt8]

    public init(_ bytes: [UInt8]) { storage = bytes }

    /// Fresh random bytes from the CSPRNG (BoringSSL's DRBG, seeded by the OS: one syscall per many keys, not
    /// several per key).
    public static func random(count: Int) -> SecretBytes {
        guard count > 0 else { return SecretBytes([]) }
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: count * 8))
        return SecretBytes(key.withUnsafeBytes { Array($0) })
    }

    public var count: Int { storage.count }

    /// Runs `body` with the bytes; do not let them escape.
    public func withBytes<R>(_ body: ([UInt8]) throws -> R) rethrows -> R { try body(storage) }

    /// The secret as a swift-crypto key.
    public var symmetricKey: SymmetricKey { SymmetricKey(data: storage) }

    /// A copy of the bytes, for the few places (wire encoding) that must hand them on.
    public var bytes: [UInt8] { storage }

    public var description: String { "SecretBytes(<redacted>, \(storage.count) bytes)" }
    public var debugDescription: String { description }

    /// Constant-time comparison (length is not secret).
    public static func == (a: SecretBytes, b: SecretBytes) -> Bool { constantTimeEqual(a.storage, b.storage) }

    deinit {
        for i in storage.indices { storage[i] = 0 }
    }
}

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}
