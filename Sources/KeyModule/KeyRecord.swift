import Foundation

/// The lifecycle state of a KMS key, as KMS names it.
public enum KeyState: String, Codable, Sendable {
    case enabled = "Enabled"
    case disabled = "Disabled"
    case pendingDeletion = "PendingDeletion"
}

/// The key specs the module creates.
public enum KeySpec: String, Codable, Sendable, CaseIterable {
    case symmetricDefault = "SYMMETRIC_DEFAULT"
    case rsa2048 = "RSA_2048"
    case rsa3072 = "RSA_3072"
    case rsa4096 = "RSA_4096"

    public var isSymmetric: Bool { self == .symmetricDefault }

    public var rsaBits: Int? {
        switch self {
        case .symmetricDefault: nil
        case .rsa2048: 2048
        case .rsa3072: 3072
        case .rsa4096: 4096
        }
    }

    public var encryptionAlgorithms: [String] {
        isSymmetric ? ["SYMMETRIC_DEFAULT"] : ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    }
}

/// One backing key ("key material") of a KMS key. Rotation appends one; none is ever removed while the key lives.
struct KeyMaterial: Codable, Sendable {
    /// 0 for the original material, then 1, 2, … in rotation order. Embedded in every ciphertext blob.
    var index: UInt32
    /// A 32-byte AES key, or an RSA private key in PKCS#1 DER. Only ever inside the sealed key store and memory.
    var secret: Data
    var createdAt: Double
    /// `nil` for the original material, else `AUTOMATIC` or `ON_DEMAND`.
    var rotationType: String?
}

/// Everything the module knows about one key.
struct KeyRecord: Codable, Sendable {
    var id: String
    var createdAt: Double
    var description: String
    var keySpec: KeySpec
    var keyUsage: String
    var state: KeyState
    var deletionDate: Double?
    var pendingWindowDays: Int?
    /// `CUSTOMER` or `AWS` (the managed `aws/s3` key).
    var keyManager: String
    var tags: [Tag]
    var rotationEnabled: Bool
    var rotationPeriodDays: Int?
    var nextRotation: Double?
    var onDemandRotations: Int
    var materials: [KeyMaterial]

    struct Tag: Codable, Sendable, Equatable {
        var key: String
        var value: String
    }

    var current: KeyMaterial { materials[materials.count - 1] }
}

/// An alias: a name pointing at exactly one key.
struct AliasRecord: Codable, Sendable {
    var name: String
    var targetKeyId: String
    var createdAt: Double
    var updatedAt: Double
}

/// The whole persistent state of the module, sealed on disk by ``KeyStoreFile``.
struct KeyStoreState: Codable, Sendable {
    /// The layout version of this JSON document (the file has its own format byte).
    var version = 1
    /// Keys in creation order (ListKeys pages through this order).
    var keys: [KeyRecord] = []
    var aliases: [String: AliasRecord] = [:]
}
