import Foundation

/// An object's envelope: everything the S3 Encryption Client stores beside the ciphertext, parsed.
///
/// Reading follows the official clients (Python `metadata.py`, Java `ContentMetadataDecodingStrategy`): a format is
/// recognised by its required keys, keys of two formats together are refused (a downgrade guard), and a V3 object
/// whose wrapped key is not in its metadata, or an object with no envelope at all, is looked up in its instruction
/// file. JSON maps are parsed, never compared as text (Python writes `{"a": "b"}`, Java `{"a":"b"}`).
public struct ContentMetadata: Sendable, Equatable {
    public var version: FormatVersion
    public var contentCipher: ContentCipher
    public var wrapAlgorithm: KeyWrapAlgorithm
    /// The wrapped data key (EDK).
    public var encryptedDataKey: [UInt8]
    /// The content IV: 12 bytes (V2 GCM), 16 (CBC); V3 uses the fixed nonce and stores none.
    public var iv: [UInt8]
    /// The KMS encryption context (KMS wraps) or the material description (AES and RSA wraps), as stored.
    public var context: [String: String]
    /// V3: the 28-byte key commitment (`x-amz-d`).
    public var commitment: [UInt8]?
    /// V3: the 28-byte message ID (`x-amz-i`), the HKDF salt.
    public var messageID: [UInt8]?
    /// `x-amz-unencrypted-content-length`, when the writer gave it.
    public var unencryptedContentLength: Int64?
    /// Whether (part of) the envelope came from the instruction file.
    public var fromInstructionFile: Bool

    public init(
        version: FormatVersion, contentCipher: ContentCipher, wrapAlgorithm: KeyWrapAlgorithm, encryptedDataKey: [UInt8], iv: [UInt8],
        context: [String: String], commitment: [UInt8]? = nil, messageID: [UInt8]? = nil, unencryptedContentLength: Int64? = nil,
        fromInstructionFile: Bool = false
    ) {
        self.version = version
        self.contentCipher = contentCipher
        self.wrapAlgorithm = wrapAlgorithm
        self.encryptedDataKey = encryptedDataKey
        self.iv = iv
        self.context = context
        self.commitment = commitment
        self.messageID = messageID
        self.unencryptedContentLength = unencryptedContentLength
        self.fromInstructionFile = fromInstructionFile
    }

    /// The KMS key the data key is wrapped under, when the envelope names it (the legacy `kms` wrap's
    /// `kms_cmk_id`); `nil` otherwise (the `kms+context` wrap keeps the key id only inside the KMS blob).
    public var kmsKeyIdHint: String? {
        guard wrapAlgorithm.usesKMS else { return nil }
        return context[MetadataKey.legacyKMSKeyID]
    }

    /// The stored context without the entries the client adds itself (`aws:x-amz-cek-alg`, `kms_cmk_id`): what a
    /// reader's context must equal.
    public var callerContext: [String: String] {
        guard wrapAlgorithm.usesKMS else { return context }
        return context.filter { $0.key != MetadataKey.reservedContextKey && $0.key != MetadataKey.legacyKMSKeyID }
    }
}

// MARK: - Finding the envelope

extension ContentMetadata {
    /// Where an object's envelope is, judged from its own metadata.
    public enum Location: Sendable, Equatable {
        /// Complete in the object's metadata.
        case object(FormatVersion)
        /// In the instruction file (V3 content keys present but no wrapped key, or no envelope keys at all).
        case instructionFile
    }

    /// Lower-cases the names and drops S3's `x-amz-meta-` prefix when present.
    public static func normalise(_ metadata: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in metadata {
            var key = name.lowercased()
            if key.hasPrefix("x-amz-meta-") { key.removeFirst("x-amz-meta-".count) }
            out[key] = value
        }
        return out
    }

    /// Decides where the envelope is. Throws ``ClientSideError/malformedMetadata(_:)`` when keys of more than one
    /// format are present.
    public static func locate(_ rawMetadata: [String: String]) throws(ClientSideError) -> Location {
        let m = normalise(rawMetadata)
        let keys = Set(m.keys)
        let hasV1 = keys.contains(MetadataKey.v1Key)
        let hasV2 = keys.contains(MetadataKey.v2Key)
        let hasV3 = keys.contains(MetadataKey.v3Key)
        if [hasV1, hasV2, hasV3].filter({ $0 }).count > 1 {
            throw .malformedMetadata("the object carries wrapped keys of more than one format")
        }
        if hasV3 { return .object(.v3) }
        let v3Content = !keys.isDisjoint(with: [MetadataKey.v3ContentCipher, MetadataKey.v3Commitment, MetadataKey.v3MessageID])
        if hasV2 {
            if v3Content { throw .malformedMetadata("the object mixes V2 and V3 keys") }
            return .object(.v2)
        }
        if hasV1 {
            if v3Content || keys.contains(MetadataKey.v3Wrap) {
                throw .malformedMetadata("the object mixes V1 and V3 keys")
            }
            return .object(.v1)
        }
        return .instructionFile
    }

    /// Whether an object's own metadata shows any sign of client-side encryption (for display; a plain object
    /// with an instruction file shows none).
    public static func hasEnvelopeKeys(_ rawMetadata: [String: String]) -> Bool {
        !Set(normalise(rawMetadata).keys).isDisjoint(with: MetadataKey.all)
    }

    /// Parses the envelope from the object's metadata and, when ``locate(_:)`` said so, the instruction file's JSON
    /// body (already decoded to a map).
    public static func parse(object rawObject: [String: String], instructionFile: [String: String]? = nil) throws(ClientSideError) -> ContentMetadata {
        let object = normalise(rawObject)
        switch try locate(object) {
        case .object(let version):
            return try parse(version: version, merged: object, fromInstructionFile: false)
        case .instructionFile:
            guard let instructionFile else { throw .notEncrypted }
            let file = normalise(instructionFile)
            if file.keys.contains(where: { [MetadataKey.v3ContentCipher, MetadataKey.v3Commitment, MetadataKey.v3MessageID].contains($0) }) {
                throw .malformedMetadata("the instruction file holds x-amz-c, x-amz-d or x-amz-i, which belong on the object")
            }
            let objectEnvelope = object.filter { MetadataKey.all.contains($0.key) }
            if file.keys.contains(MetadataKey.v3Key) {
                let merged = objectEnvelope.merging(file) { _, fromFile in fromFile }
                return try parse(version: .v3, merged: merged, fromInstructionFile: true)
            }
            if !objectEnvelope.isEmpty {
                throw .malformedMetadata("the envelope is split between the object and its instruction file")
            }
            let version: FormatVersion
            switch try locate(file) {
            case .object(let found): version = found
            case .instructionFile: throw .notEncrypted
            }
            return try parse(version: version, merged: file, fromInstructionFile: true)
        }
    }

    private static func parse(version: FormatVersion, merged m: [String: String], fromInstructionFile: Bool) throws(ClientSideError) -> ContentMetadata {
        func require(_ key: String) throws(ClientSideError) -> String {
            guard let value = m[key] else { throw .malformedMetadata("\(key) is missing") }
            return value
        }
        func base64(_ key: String) throws(ClientSideError) -> [UInt8] {
            guard let bytes = Data(base64Encoded: try require(key)) else { throw .malformedMetadata("\(key) is not base64") }
            return Array(bytes)
        }
        var length: Int64?
        if let text = m[MetadataKey.unencryptedContentLength] {
            guard let value = Int64(text), value >= 0 else { throw .malformedMetadata("\(MetadataKey.unencryptedContentLength) is not a length") }
            length = value
        }
        switch version {
        case .v3:
            guard try require(MetadataKey.v3ContentCipher) == ContentCipher.aesGCMCommitting.rawValue else {
                throw .unsupported("V3 content cipher \(m[MetadataKey.v3ContentCipher] ?? "")")
            }
            let code = try require(MetadataKey.v3Wrap)
            guard let wrap = KeyWrapAlgorithm(v3Code: code) else { throw .unsupported("V3 wrap algorithm code \(code)") }
            let commitment = try base64(MetadataKey.v3Commitment)
            let messageID = try base64(MetadataKey.v3MessageID)
            guard commitment.count == KeyCommitment.commitmentLength else { throw .malformedMetadata("x-amz-d is not 28 bytes") }
            guard messageID.count == KeyCommitment.messageIDLength else { throw .malformedMetadata("x-amz-i is not 28 bytes") }
            let contextKey = wrap == .kmsContext ? MetadataKey.v3Context : MetadataKey.v3MaterialDescription
            let context = try m[contextKey].map { (text) throws(ClientSideError) in try JSONMap.decode(text, name: contextKey) } ?? [:]
            return ContentMetadata(
                version: .v3, contentCipher: .aesGCMCommitting, wrapAlgorithm: wrap, encryptedDataKey: try base64(MetadataKey.v3Key),
                iv: [], context: context, commitment: commitment, messageID: messageID, unencryptedContentLength: length,
                fromInstructionFile: fromInstructionFile)
        case .v2:
            let cipherName = try require(MetadataKey.contentAlgorithm)
            guard let cipher = ContentCipher(rawValue: cipherName), cipher != .aesGCMCommitting else {
                throw .unsupported("content cipher \(cipherName)")
            }
            let wrapName = try require(MetadataKey.wrapAlgorithm)
            guard let wrap = KeyWrapAlgorithm(rawValue: wrapName), wrap != .v1AESECB, wrap != .v1RSA else {
                throw .unsupported("key wrap algorithm \(wrapName)")
            }
            if cipher == .aesGCM, let tag = m[MetadataKey.tagLength], tag != "128" {
                throw .unsupported("GCM tag length \(tag)")
            }
            let iv = try base64(MetadataKey.iv)
            try checkIV(iv, for: cipher)
            let context = try m[MetadataKey.materialDescription].map { (text) throws(ClientSideError) in
                try JSONMap.decode(text, name: MetadataKey.materialDescription)
            } ?? [:]
            return ContentMetadata(
                version: .v2, contentCipher: cipher, wrapAlgorithm: wrap, encryptedDataKey: try base64(MetadataKey.v2Key), iv: iv,
                context: context, unencryptedContentLength: length, fromInstructionFile: fromInstructionFile)
        case .v1:
            let edk = try base64(MetadataKey.v1Key)
            let iv = try base64(MetadataKey.iv)
            try checkIV(iv, for: .aesCBC)
            let context = try JSONMap.decode(try require(MetadataKey.materialDescription), name: MetadataKey.materialDescription)
            let wrap: KeyWrapAlgorithm
            if let name = m[MetadataKey.wrapAlgorithm] {
                guard let named = KeyWrapAlgorithm(rawValue: name) else { throw .unsupported("key wrap algorithm \(name)") }
                wrap = named
            } else {
                wrap = edk.count > 48 ? .v1RSA : .v1AESECB
            }
            return ContentMetadata(
                version: .v1, contentCipher: .aesCBC, wrapAlgorithm: wrap, encryptedDataKey: edk, iv: iv, context: context,
                unencryptedContentLength: length, fromInstructionFile: fromInstructionFile)
        }
    }

    private static func checkIV(_ iv: [UInt8], for cipher: ContentCipher) throws(ClientSideError) {
        let expected = cipher == .aesCBC ? 16 : 12
        guard iv.count == expected else { throw .malformedMetadata("x-amz-iv is \(iv.count) bytes, not \(expected)") }
    }
}

// MARK: - Writing the envelope

extension ContentMetadata {
    /// The envelope as S3 user metadata (names without `x-amz-meta-`): for the object, and for its instruction file
    /// when `instructionFile` is true (then the object keeps only what the format says stays on it: nothing for V2,
    /// `x-amz-c`/`x-amz-d`/`x-amz-i` for V3).
    public func encoded(instructionFile: Bool = false) -> (object: [String: String], instructionFile: [String: String]?) {
        var content: [String: String] = [:]
        var key: [String: String] = [:]
        switch version {
        case .v3:
            content[MetadataKey.v3ContentCipher] = ContentCipher.aesGCMCommitting.rawValue
            content[MetadataKey.v3Commitment] = Data(commitment ?? []).base64EncodedString()
            content[MetadataKey.v3MessageID] = Data(messageID ?? []).base64EncodedString()
            key[MetadataKey.v3Key] = Data(encryptedDataKey).base64EncodedString()
            key[MetadataKey.v3Wrap] = wrapAlgorithm.v3Code ?? wrapAlgorithm.rawValue
            if !context.isEmpty {
                key[wrapAlgorithm == .kmsContext ? MetadataKey.v3Context : MetadataKey.v3MaterialDescription] = JSONMap.encode(context)
            }
        case .v2, .v1:
            key[version == .v2 ? MetadataKey.v2Key : MetadataKey.v1Key] = Data(encryptedDataKey).base64EncodedString()
            key[MetadataKey.iv] = Data(iv).base64EncodedString()
            key[MetadataKey.materialDescription] = JSONMap.encode(context)
            if version == .v2 {
                key[MetadataKey.contentAlgorithm] = contentCipher.rawValue
                key[MetadataKey.wrapAlgorithm] = wrapAlgorithm.rawValue
                if contentCipher == .aesGCM { key[MetadataKey.tagLength] = "128" }
            }
        }
        if let unencryptedContentLength { key[MetadataKey.unencryptedContentLength] = String(unencryptedContentLength) }
        if instructionFile { return (content, key) }
        return (content.merging(key) { a, _ in a }, nil)
    }
}

/// The JSON maps of the envelope (`x-amz-matdesc`, `x-amz-t`, `x-amz-m`, instruction files): string to string.
public enum JSONMap {
    /// Parses a JSON object whose values are all strings.
    public static func decode(_ text: String, name: String) throws(ClientSideError) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let map = object as? [String: Any] else {
            throw .malformedMetadata("\(name) is not a JSON object")
        }
        var out: [String: String] = [:]
        for (key, value) in map {
            guard let string = value as? String else { throw .malformedMetadata("\(name) has a value that is not a string") }
            out[key] = string
        }
        return out
    }

    /// Writes a map the way the Python client does (`{"a": "b", "c": "d"}`), keys sorted, non-ASCII escaped as
    /// `\uXXXX` so the text is a valid S3 metadata value.
    public static func encode(_ map: [String: String]) -> String {
        "{" + map.sorted { $0.key < $1.key }.map { "\(quote($0.key)): \(quote($0.value))" }.joined(separator: ", ") + "}"
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default: out += String(format: "\\u%04x", unit)
            }
        }
        return out + "\""
    }
}
