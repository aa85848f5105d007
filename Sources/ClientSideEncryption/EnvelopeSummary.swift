import Foundation

/// A printable account of an object's envelope, for `s3emu cse inspect` and the server's inspection API. Shows no
/// secret: the wrapped key's length, not its bytes.
public struct EnvelopeSummary: Sendable {
    public let metadata: ContentMetadata
    /// The envelope keys as stored (object metadata and instruction file merged).
    public let rawKeys: [String: String]

    public init(metadata: ContentMetadata, rawKeys: [String: String]) {
        self.metadata = metadata
        self.rawKeys = rawKeys
    }

    /// The KMS key id when it can be read without KMS (see ``KMSBlobKeyHint``).
    public var keyId: String? {
        guard metadata.wrapAlgorithm.usesKMS else { return nil }
        return metadata.kmsKeyIdHint ?? KMSBlobKeyHint.keyId(in: metadata.encryptedDataKey)
    }

    /// The fields as a JSON-ready dictionary.
    public var fields: [String: Any] {
        [
            "format": metadata.version.rawValue,
            "content_algorithm": metadata.contentCipher.rawValue,
            "wrap_algorithm": metadata.wrapAlgorithm.rawValue,
            "wrap_code": metadata.wrapAlgorithm.v3Code as Any? ?? NSNull(),
            "key_id": keyId as Any? ?? NSNull(),
            "context": metadata.context,
            "key_committing": metadata.version == .v3,
            "instruction_file": metadata.fromInstructionFile,
            "encrypted_data_key_bytes": metadata.encryptedDataKey.count,
            "metadata": rawKeys,
        ]
    }

    public func json(storedBytes: Int64? = nil) -> String {
        var fields = fields
        if let storedBytes, storedBytes >= 0 {
            fields["stored_bytes"] = storedBytes
            if metadata.contentCipher.isAuthenticated { fields["plaintext_bytes"] = max(0, storedBytes - 16) }
        }
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public func text(location: CustomStringConvertible, storedBytes: Int64? = nil) -> String {
        var lines = ["\(location): client-side encrypted, S3 Encryption Client format \(metadata.version.rawValue)"]
        lines.append("  content cipher:  \(metadata.contentCipher.rawValue)\(metadata.version == .v3 ? " (AES-256-GCM, HKDF-SHA512, key-committing)" : "")")
        lines.append("  key wrap:        \(metadata.wrapAlgorithm.rawValue)\(metadata.wrapAlgorithm.v3Code.map { " (x-amz-w \($0))" } ?? "")")
        if let keyId { lines.append("  KMS key:         \(keyId)") }
        let label = metadata.wrapAlgorithm.usesKMS ? "context" : "description"
        lines.append("  \(label):\(String(repeating: " ", count: max(1, 16 - label.count)))\(JSONMap.encode(metadata.context))")
        lines.append("  wrapped key:     \(metadata.encryptedDataKey.count) bytes")
        lines.append("  envelope in:     \(metadata.fromInstructionFile ? "instruction file" : "object metadata")")
        if let storedBytes, storedBytes >= 0 {
            lines.append("  stored bytes:    \(storedBytes)\(metadata.contentCipher.isAuthenticated ? " (plaintext \(max(0, storedBytes - 16)) + 16-byte tag)" : "")")
        }
        for (name, value) in rawKeys.sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(value)") }
        return lines.joined(separator: "\n")
    }
}
