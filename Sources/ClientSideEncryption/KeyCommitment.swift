import Crypto
import KeyCore

/// The V3 (suite 0x0073) key derivation: the content key and the key commitment, both from the data key and the
/// object's message ID (see the pseudo-code in `ClientSideFormat.swift`).
public struct KeyCommitment: Sendable {
    public static let messageIDLength = 28
    public static let commitmentLength = 28
    /// The suite id as the two bytes that prefix the HKDF infos and form the GCM AAD.
    public static let suiteID: [UInt8] = [0x00, 0x73]
    /// V3's fixed GCM nonce: safe because each object's content key is fresh.
    public static let nonce = [UInt8](repeating: 0x01, count: 12)

    /// The AES-256 key the body is encrypted under.
    public let contentKey: SecretBytes
    /// The 28-byte commitment stored as `x-amz-d`.
    public let commitment: [UInt8]

    /// Derives both values from a 32-byte data key and a 28-byte message ID.
    public init(dataKey: SecretBytes, messageID: [UInt8]) {
        let prk = dataKey.withBytes { key in
            Array(HMAC<SHA512>.authenticationCode(for: key, using: SymmetricKey(data: messageID)))
        }
        let prkKey = SymmetricKey(data: prk)
        contentKey = SecretBytes(Self.expand(prkKey, label: "DERIVEKEY", count: 32))
        commitment = Self.expand(prkKey, label: "COMMITKEY", count: Self.commitmentLength)
    }

    /// Whether `stored` (the object's `x-amz-d`) equals this commitment, compared in constant time.
    public func matches(_ stored: [UInt8]) -> Bool { constantTimeEqual(commitment, stored) }

    private static func expand(_ prk: SymmetricKey, label: String, count: Int) -> [UInt8] {
        let info = suiteID + Array(label.utf8)
        return HKDF<SHA512>.expand(pseudoRandomKey: prk, info: info, outputByteCount: count).withUnsafeBytes { Array($0) }
    }
}
