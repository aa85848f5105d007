import Crypto
import CryptoExtras
import Foundation
import KeyCore

/// Cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom,
/// GetPublicKey. Key lookup and state checks run under the lock; the cipher work runs outside it.
extension KeyEngine {
    /// What a cryptographic operation needs from a key, taken out under the lock.
    struct UsableKey {
        var id: String
        var spec: KeySpec
        var index: UInt32
        var aes: SymmetricKey?
        var rsaDER: Data?
    }

    /// Resolves, state-checks and picks the current material (or `index`) of a key.
    func usableKey(_ identifier: String, index: UInt32? = nil, isInternal: Bool = false, _ e: inout AuditEvent) throws(KMSFault) -> UsableKey {
        try withState { now throws(KMSFault) in
            let k = state.keys[try resolve(identifier, allowAlias: true, now: now, isInternal: isInternal)]
            e.keyId = k.id
            try requireUsable(k)
            return try material(of: k, index: index)
        }
    }

    func material(of k: KeyRecord, index: UInt32?) throws(KMSFault) -> UsableKey {
        let i = index ?? k.current.index
        if k.keySpec.isSymmetric {
            guard let aes = symmetricKey(k, index: i) else { throw .invalidCiphertext }
            return UsableKey(id: k.id, spec: k.keySpec, index: i, aes: aes)
        }
        return UsableKey(id: k.id, spec: k.keySpec, index: i, rsaDER: k.current.secret)
    }

    static func algorithm(_ r: JSONObject, _ member: String) throws(KMSFault) -> String? {
        guard let a = try r.string(member) else { return nil }
        guard ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"].contains(a) else {
            throw JSONObject.violation(member, value: a, constraint:
                "Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]")
        }
        return a
    }

    func checkAlgorithm(_ algorithm: String?, for key: UsableKey) throws(KMSFault) -> String {
        if key.spec.isSymmetric {
            guard algorithm == nil || algorithm == "SYMMETRIC_DEFAULT" else {
                throw KMSFault("InvalidKeyUsageException", "The operation failed because the EncryptionAlgorithm \(algorithm!) is not supported for \(arn(key.id)).")
            }
            return "SYMMETRIC_DEFAULT"
        }
        guard let a = algorithm, a.hasPrefix("RSAES_OAEP") else {
            throw KMSFault("InvalidKeyUsageException", "The operation failed because the EncryptionAlgorithm \(algorithm ?? "SYMMETRIC_DEFAULT") is not supported for \(arn(key.id)).")
        }
        return a
    }

    static func rsaPadding(_ algorithm: String) -> _RSA.Encryption.Padding {
        algorithm == "RSAES_OAEP_SHA_256" ? .PKCS1_OAEP_SHA256 : .PKCS1_OAEP
    }

    /// The largest plaintext RSA-OAEP takes for a key size and hash.
    static func rsaLimit(bits: Int, algorithm: String) -> Int {
        let hashLength = algorithm == "RSAES_OAEP_SHA_256" ? 32 : 20
        return bits / 8 - 2 * hashLength - 2
    }

    func seal(_ plaintext: [UInt8], with key: UsableKey, algorithm: String, context: [String: String]) throws(KMSFault) -> [UInt8] {
        if let aes = key.aes {
            return CiphertextBlob.seal(plaintext, keyId: key.id, materialIndex: key.index, key: aes,
                                       context: EncryptionContext.canonical(context)).bytes
        }
        guard let der = key.rsaDER, let priv = try? _RSA.Encryption.PrivateKey(derRepresentation: der) else {
            throw .internalError("The key material could not be loaded.")
        }
        let limit = Self.rsaLimit(bits: priv.keySizeInBits, algorithm: algorithm)
        guard plaintext.count <= limit else {
            throw .validation("Plaintext is too long for \(key.spec.rawValue) with \(algorithm): at most \(limit) bytes.")
        }
        guard let ct = try? priv.publicKey.encrypt(plaintext, padding: Self.rsaPadding(algorithm)) else {
            throw .internalError("RSA encryption failed.")
        }
        return Array(ct)
    }

    func encrypt(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        let plaintext = try r.requiredBlob("Plaintext")
        guard plaintext.count >= 1 else {
            throw .validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        guard plaintext.count <= 4096 else {
            throw .validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096")
        }
        let context = try r.stringMap("EncryptionContext")
        let requested = try Self.algorithm(r, "EncryptionAlgorithm")
        e.context = context
        let key = try usableKey(id, &e)
        e.keyVersion = key.index
        let algorithm = try checkAlgorithm(requested, for: key)
        if !key.spec.isSymmetric && !context.isEmpty {
            throw KMSFault("InvalidKeyUsageException", "EncryptionContext is not supported with asymmetric KMS keys.")
        }
        let blob = try seal(plaintext, with: key, algorithm: algorithm, context: context)
        return JSONObject(["CiphertextBlob": Data(blob).base64EncodedString(), "KeyId": arn(key.id), "EncryptionAlgorithm": algorithm])
    }

    /// Decrypt's checks in the reference order (§3.1); returns the plaintext and the key that opened it.
    func open(_ blobBytes: [UInt8], keyId: String?, algorithm: String?, context: [String: String], isInternal: Bool = false,
              _ e: inout AuditEvent) throws(KMSFault) -> (plaintext: [UInt8], key: UsableKey, algorithm: String) {
        guard (1...6144).contains(blobBytes.count) else {
            throw .validation("1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144")
        }
        if let algorithm, algorithm.hasPrefix("RSAES") {
            guard let keyId else { throw .validation("KeyId is required when EncryptionAlgorithm is \(algorithm).") }
            let key = try usableKey(keyId, &e)
            _ = try checkAlgorithm(algorithm, for: key)
            guard let der = key.rsaDER, let priv = try? _RSA.Encryption.PrivateKey(derRepresentation: der),
                let plain = try? priv.decrypt(blobBytes, padding: Self.rsaPadding(algorithm))
            else { throw .invalidCiphertext }
            return (Array(plain), key, algorithm)
        }
        if algorithm != nil && algorithm != "SYMMETRIC_DEFAULT" { throw .invalidCiphertext }
        let blob = try CiphertextBlob.parse(blobBytes)
        e.keyId = blob.keyId
        e.keyVersion = blob.materialIndex
        let key: UsableKey = try withState { now throws(KMSFault) in
            if let keyId {
                let named = state.keys[try resolve(keyId, allowAlias: true, now: now, isInternal: isInternal)]
                guard named.id == blob.keyId else {
                    throw KMSFault("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
                }
            }
            guard let i = index(of: blob.keyId), isInternal || state.keys[i].keyManager != Self.internalKeyManager else {
                throw .notFound("Key '\(arn(blob.keyId))' does not exist")
            }
            let k = state.keys[i]
            try requireUsable(k)
            guard k.keySpec.isSymmetric else {
                throw KMSFault("InvalidKeyUsageException", "\(arn(k.id)) key usage is not compatible with this operation.")
            }
            return try material(of: k, index: blob.materialIndex)
        }
        let plain = try blob.open(key: key.aes!, context: EncryptionContext.canonical(context))
        return (plain, key, "SYMMETRIC_DEFAULT")
    }

    func decrypt(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let blob = try r.requiredBlob("CiphertextBlob")
        let keyId = try r.string("KeyId")
        let context = try r.stringMap("EncryptionContext")
        let algorithm = try Self.algorithm(r, "EncryptionAlgorithm")
        e.context = context
        let (plain, key, alg) = try open(blob, keyId: keyId, algorithm: algorithm, context: context, &e)
        var out: [String: Any] = ["KeyId": arn(key.id), "Plaintext": Data(plain).base64EncodedString(), "EncryptionAlgorithm": alg]
        if key.spec.isSymmetric { out["KeyMaterialId"] = KeyMaterial.materialId(keyId: key.id, index: key.index) }
        return JSONObject(out)
    }

    func reEncrypt(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let blob = try r.requiredBlob("CiphertextBlob")
        let sourceKeyId = try r.string("SourceKeyId")
        let destinationId = try r.requiredString("DestinationKeyId")
        let sourceContext = try r.stringMap("SourceEncryptionContext")
        let destinationContext = try r.stringMap("DestinationEncryptionContext")
        let sourceAlgorithm = try Self.algorithm(r, "SourceEncryptionAlgorithm")
        let destinationAlgorithm = try Self.algorithm(r, "DestinationEncryptionAlgorithm")
        e.context = destinationContext
        let (plain, source, srcAlg) = try open(blob, keyId: sourceKeyId, algorithm: sourceAlgorithm, context: sourceContext, &e)
        var de = AuditEvent(operation: "ReEncrypt", caller: e.caller)
        let destination = try usableKey(destinationId, &de)
        let dstAlg = try checkAlgorithm(destinationAlgorithm, for: destination)
        if !destination.spec.isSymmetric && !destinationContext.isEmpty {
            throw KMSFault("InvalidKeyUsageException", "EncryptionContext is not supported with asymmetric KMS keys.")
        }
        let sealed = try seal(plain, with: destination, algorithm: dstAlg, context: destinationContext)
        e.keyId = destination.id
        e.keyVersion = destination.index
        var out: [String: Any] = [
            "CiphertextBlob": Data(sealed).base64EncodedString(), "SourceKeyId": arn(source.id), "KeyId": arn(destination.id),
            "SourceEncryptionAlgorithm": srcAlg, "DestinationEncryptionAlgorithm": dstAlg,
        ]
        if source.spec.isSymmetric { out["SourceKeyMaterialId"] = KeyMaterial.materialId(keyId: source.id, index: source.index) }
        if destination.spec.isSymmetric {
            out["DestinationKeyMaterialId"] = KeyMaterial.materialId(keyId: destination.id, index: destination.index)
        }
        return JSONObject(out)
    }

    func generateDataKey(_ r: JSONObject, _ e: inout AuditEvent, withPlaintext: Bool) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        let spec = try r.string("KeySpec")
        let count = try r.int("NumberOfBytes")
        let context = try r.stringMap("EncryptionContext")
        e.context = context
        let n: Int
        switch (spec, count) {
        case (nil, nil), (.some, .some):
            throw .validation("Please specify either number of bytes or key spec.")
        case (let s?, nil):
            guard s == "AES_256" || s == "AES_128" else {
                throw JSONObject.violation("KeySpec", value: s, constraint: "Member must satisfy enum value set: [AES_256, AES_128]")
            }
            n = s == "AES_256" ? 32 : 16
        case (nil, let c?):
            try Self.checkNumberOfBytes(c)
            n = c
        }
        let (plain, blob, key) = try dataKey(id, count: n, context: context, &e)
        var out: [String: Any] = [
            "CiphertextBlob": Data(blob.bytes).base64EncodedString(), "KeyId": arn(key.id),
            "KeyMaterialId": KeyMaterial.materialId(keyId: key.id, index: key.index),
        ]
        if withPlaintext { out["Plaintext"] = plain.withBytes { Data($0).base64EncodedString() } }
        return JSONObject(out)
    }

    /// GenerateDataKey's work once the request is validated (shared by the JSON and the binary form).
    func dataKey(_ id: String, count n: Int, context: [String: String], isInternal: Bool = false, _ e: inout AuditEvent) throws(KMSFault)
        -> (SecretBytes, CiphertextBlob, UsableKey) {
        let key = try usableKey(id, isInternal: isInternal, &e)
        e.keyVersion = key.index
        guard key.spec.isSymmetric else {
            throw KMSFault("InvalidKeyUsageException", "\(arn(key.id)) key usage is not compatible with this operation.")
        }
        let plain = SecretBytes.random(count: n)
        let blob = plain.withBytes {
            CiphertextBlob.seal($0, keyId: key.id, materialIndex: key.index, key: key.aes!, context: EncryptionContext.canonical(context))
        }
        return (plain, blob, key)
    }

    /// The binary forms of GenerateDataKey and Decrypt (``KeyModuleBinary``), audited under their KMS names.
    func callBinary(_ operation: String, caller: String, body: [UInt8]) -> Result<[UInt8], KMSFault> {
        let isGenerate = operation == KeyModuleBinary.generateDataKey
        var e = AuditEvent(operation: isGenerate ? "GenerateDataKey" : "Decrypt", caller: caller)
        let result: Result<[UInt8], KMSFault>
        do throws(KMSFault) {
            var r = KeyModuleBinary.Reader(body)
            var w = KeyModuleBinary.Writer()
            if isGenerate {
                let id = try r.string()
                let n = try r.u16()
                let context = try r.context()
                e.context = context
                try Self.checkNumberOfBytes(n)
                let (plain, blob, key) = try dataKey(id, count: n, context: context, isInternal: true, &e)
                w.string(arn(key.id))
                w.string(KeyMaterial.materialId(keyId: key.id, index: key.index))
                plain.withBytes { w.data($0) }
                w.data(blob.bytes)
            } else {
                let id = try r.string()
                let blob = try r.data()
                let context = try r.context()
                e.context = context
                let (plain, key, _) = try open(blob, keyId: id.isEmpty ? nil : id, algorithm: nil, context: context, isInternal: true, &e)
                w.string(arn(key.id))
                w.data(plain)
            }
            result = .success(w.bytes)
        } catch {
            e.result = error.type
            result = .failure(error)
        }
        audit?.append(e)
        return result
    }

    static func checkNumberOfBytes(_ n: Int) throws(KMSFault) {
        if n < 1 {
            throw JSONObject.violation("NumberOfBytes", value: n, constraint: "Member must have value greater than or equal to 1")
        }
        if n > 1024 {
            throw JSONObject.violation("NumberOfBytes", value: n, constraint: "Member must have value less than or equal to 1024")
        }
    }

    func generateRandom(_ r: JSONObject) throws(KMSFault) -> JSONObject {
        guard let n = try r.int("NumberOfBytes") else { throw .validation("NumberOfBytes is required.") }
        try Self.checkNumberOfBytes(n)
        return JSONObject(["Plaintext": Data(Self.randomBytes(n)).base64EncodedString()])
    }

    func getPublicKey(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        let key = try usableKey(id, &e)
        guard let der = key.rsaDER, let priv = try? _RSA.Encryption.PrivateKey(derRepresentation: der) else {
            throw KMSFault("UnsupportedOperationException", "\(arn(key.id)) is not an asymmetric key.")
        }
        return JSONObject([
            "KeyId": arn(key.id), "PublicKey": priv.publicKey.derRepresentation.base64EncodedString(),
            "KeySpec": key.spec.rawValue, "CustomerMasterKeySpec": key.spec.rawValue, "KeyUsage": "ENCRYPT_DECRYPT",
            "EncryptionAlgorithms": key.spec.encryptionAlgorithms,
        ])
    }
}
