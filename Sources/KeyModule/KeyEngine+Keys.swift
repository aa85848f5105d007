import CryptoExtras
import Foundation
import KeyCore

/// Key lifecycle: create, describe, list, enable/disable, schedule and cancel deletion.
extension KeyEngine {
    func createKey(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let legacySpec = try r.string("CustomerMasterKeySpec")
        let specName = try r.string("KeySpec") ?? legacySpec ?? "SYMMETRIC_DEFAULT"
        guard let spec = KeySpec(rawValue: specName) else {
            if Self.knownUnsupportedSpecs.contains(specName) {
                throw KMSFault("UnsupportedOperationException", "KeySpec \(specName) is not supported by s3emu.")
            }
            throw JSONObject.violation("KeySpec", value: specName, constraint:
                "Member must satisfy enum value set: [RSA_2048, ECC_NIST_P384, ECC_NIST_P256, ECC_NIST_P521, RSA_3072, ECC_SECG_P256K1, RSA_4096, SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_384, HMAC_512]")
        }
        let requestedUsage = try r.string("KeyUsage")
        if !spec.isSymmetric && requestedUsage == nil {
            throw .validation("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")
        }
        let usage = requestedUsage ?? "ENCRYPT_DECRYPT"
        guard ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"].contains(usage) else {
            throw JSONObject.violation("KeyUsage", value: usage, constraint:
                "Member must satisfy enum value set: [ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT]")
        }
        if usage != "ENCRYPT_DECRYPT" {
            if spec.isSymmetric {
                throw .validation("KeyUsage \(usage) is not compatible with KeySpec \(spec.rawValue).")
            }
            throw KMSFault("UnsupportedOperationException", "KeyUsage \(usage) is not supported by s3emu.")
        }
        let description = try r.string("Description") ?? ""
        guard description.count <= 8192 else {
            throw JSONObject.violation("Description", value: "…", constraint: "Member must have length less than or equal to 8192")
        }
        let origin = try r.string("Origin") ?? "AWS_KMS"
        guard origin == "AWS_KMS" else { throw KMSFault("UnsupportedOperationException", "Origin \(origin) is not supported by s3emu.") }
        if try r.bool("MultiRegion") == true {
            throw KMSFault("UnsupportedOperationException", "Multi-Region keys are not supported by s3emu.")
        }
        let tags = try Self.parseTags(r)
        let material = try Self.newMaterial(spec: spec, index: 0, at: 0)
        return try withState { now throws(KMSFault) in
            var m = material
            m.createdAt = now
            let key = KeyRecord(
                id: Self.newKeyId(), createdAt: now, description: description, keySpec: spec, keyUsage: usage,
                state: .enabled, deletionDate: nil, pendingWindowDays: nil, keyManager: "CUSTOMER", tags: tags,
                rotationEnabled: false, rotationPeriodDays: nil, nextRotation: nil, onDemandRotations: 0, materials: [m])
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in s.keys.append(key) }
            e.keyId = key.id
            return JSONObject(["KeyMetadata": metadata(key)])
        }
    }

    static let knownUnsupportedSpecs: Set<String> = [
        "ECC_NIST_P384", "ECC_NIST_P256", "ECC_NIST_P521", "ECC_SECG_P256K1", "HMAC_256", "HMAC_224", "HMAC_384", "HMAC_512",
    ]

    static func newMaterial(spec: KeySpec, index: UInt32, at time: Double, rotationType: String? = nil) throws(KMSFault) -> KeyMaterial {
        if let bits = spec.rsaBits {
            guard let key = try? _RSA.Encryption.PrivateKey(keySize: .init(bitCount: bits)) else {
                throw .internalError("RSA key generation failed.")
            }
            return KeyMaterial(index: index, secret: key.derRepresentation, createdAt: time, rotationType: rotationType)
        }
        return KeyMaterial(index: index, secret: Data(randomBytes(32)), createdAt: time, rotationType: rotationType)
    }

    /// The `aws/s3` AWS-managed key, created on first use as S3 does. Call with the lock held.
    func createManagedS3Key(now: Double) throws(KMSFault) -> Int {
        let material = try Self.newMaterial(spec: .symmetricDefault, index: 0, at: now)
        let key = KeyRecord(
            id: Self.newKeyId(), createdAt: now, description: "Default key that protects my S3 objects when no other key is defined",
            keySpec: .symmetricDefault, keyUsage: "ENCRYPT_DECRYPT", state: .enabled, deletionDate: nil,
            pendingWindowDays: nil, keyManager: "AWS", tags: [], rotationEnabled: true, rotationPeriodDays: 365,
            nextRotation: now + 365 * 86400, onDemandRotations: 0, materials: [material])
        try mutate { (s: inout KeyStoreState) throws(KMSFault) in
            s.keys.append(key)
            s.aliases[Self.managedS3Alias] = AliasRecord(name: Self.managedS3Alias, targetKeyId: key.id, createdAt: now, updatedAt: now)
        }
        audit?.append(AuditEvent(operation: "CreateKey", caller: "kms-managed-keys", keyId: key.id))
        return state.keys.count - 1
    }

    /// A hidden key owned by the emulator (SSE-S3's root). Call with the lock held.
    func createInternalKey(_ id: String, now: Double) throws(KMSFault) -> Int {
        let material = try Self.newMaterial(spec: .symmetricDefault, index: 0, at: now)
        let key = KeyRecord(
            id: id, createdAt: now, description: "s3emu SSE-S3 root key (not visible through the KMS API)",
            keySpec: .symmetricDefault, keyUsage: "ENCRYPT_DECRYPT", state: .enabled, deletionDate: nil,
            pendingWindowDays: nil, keyManager: Self.internalKeyManager, tags: [], rotationEnabled: false,
            rotationPeriodDays: nil, nextRotation: nil, onDemandRotations: 0, materials: [material])
        try mutate { (s: inout KeyStoreState) throws(KMSFault) in s.keys.append(key) }
        audit?.append(AuditEvent(operation: "CreateKey", caller: "s3emu-internal", keyId: id))
        return state.keys.count - 1
    }

    /// Keys the KMS API shows (internal ones are left out).
    var visibleKeys: [KeyRecord] { state.keys.filter { $0.keyManager != Self.internalKeyManager } }

    func metadata(_ k: KeyRecord) -> [String: Any] {
        var m: [String: Any] = [
            "AWSAccountId": configuration.accountId, "KeyId": k.id, "Arn": arn(k.id), "CreationDate": k.createdAt,
            "Enabled": k.state == .enabled, "Description": k.description, "KeyUsage": k.keyUsage,
            "KeyState": k.state.rawValue, "Origin": "AWS_KMS", "KeyManager": k.keyManager,
            "CustomerMasterKeySpec": k.keySpec.rawValue, "KeySpec": k.keySpec.rawValue,
            "EncryptionAlgorithms": k.keySpec.encryptionAlgorithms, "MultiRegion": false,
        ]
        if k.keySpec.isSymmetric { m["CurrentKeyMaterialId"] = KeyMaterial.materialId(keyId: k.id, index: k.current.index) }
        if k.state == .pendingDeletion, let d = k.deletionDate {
            m["DeletionDate"] = d
            m["PendingDeletionWindowInDays"] = k.pendingWindowDays ?? 30
        }
        return m
    }

    func describeKey(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        return try withState { now throws(KMSFault) in
            let k = state.keys[try resolve(id, allowAlias: true, now: now)]
            e.keyId = k.id
            return JSONObject(["KeyMetadata": metadata(k)])
        }
    }

    func listKeys(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let limit = try Self.limit(r, max: 1000, default: 100)
        return try withState { _ throws(KMSFault) in
            let keys = visibleKeys
            let start = try Self.markerStart(r, count: keys.count)
            let page = keys[start..<min(start + limit, keys.count)]
            var out: [String: Any] = ["Keys": page.map { ["KeyId": $0.id, "KeyArn": arn($0.id)] }]
            let next = start + page.count
            out["Truncated"] = next < keys.count
            if next < keys.count { out["NextMarker"] = Self.marker(next) }
            return JSONObject(out)
        }
    }

    func updateKeyDescription(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        let description = try r.requiredString("Description")
        return try withState { now throws(KMSFault) in
            let i = try resolve(id, allowAlias: false, now: now)
            e.keyId = state.keys[i].id
            try requireNotPendingDeletion(state.keys[i])
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in s.keys[i].description = description }
            return JSONObject()
        }
    }

    func setEnabled(_ enabled: Bool, _ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        return try withState { now throws(KMSFault) in
            let i = try resolve(id, allowAlias: false, now: now)
            e.keyId = state.keys[i].id
            try requireNotPendingDeletion(state.keys[i])
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in s.keys[i].state = enabled ? .enabled : .disabled }
            return JSONObject()
        }
    }

    func scheduleKeyDeletion(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        let days = try r.int("PendingWindowInDays") ?? 30
        guard (7...30).contains(days) else {
            throw JSONObject.violation("PendingWindowInDays", value: days, constraint:
                "Member must have value greater than or equal to 7 and less than or equal to 30")
        }
        return try withState { now throws(KMSFault) in
            let i = try resolve(id, allowAlias: false, now: now)
            let k = state.keys[i]
            e.keyId = k.id
            try requireNotPendingDeletion(k)
            let date = now + Double(days) * 86400
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in
                s.keys[i].state = .pendingDeletion
                s.keys[i].deletionDate = date
                s.keys[i].pendingWindowDays = days
            }
            return JSONObject(["KeyId": arn(k.id), "DeletionDate": date, "KeyState": "PendingDeletion", "PendingWindowInDays": days])
        }
    }

    func cancelKeyDeletion(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        return try withState { now throws(KMSFault) in
            let i = try resolve(id, allowAlias: false, now: now)
            let k = state.keys[i]
            e.keyId = k.id
            guard k.state == .pendingDeletion else { throw .invalidState("\(arn(k.id)) is not pending deletion.") }
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in
                s.keys[i].state = .disabled
                s.keys[i].deletionDate = nil
                s.keys[i].pendingWindowDays = nil
            }
            return JSONObject(["KeyId": arn(k.id)])
        }
    }

    func getKeyPolicy(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        return try withState { now throws(KMSFault) in
            let k = state.keys[try resolve(id, allowAlias: false, now: now)]
            e.keyId = k.id
            let policy = """
                {"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",\
                "Principal":{"AWS":"arn:aws:iam::\(configuration.accountId):root"},"Action":"kms:*","Resource":"*"}]}
                """
            return JSONObject(["Policy": policy, "PolicyName": "default"])
        }
    }

    // MARK: - Time events

    /// Rotations and deletions that have fallen due by `t`. Call with the lock held.
    func applyTimeEvents(_ t: Double) {
        var deleted: [String] = []
        var rotated: [(String, UInt32)] = []
        var next = state
        next.keys.removeAll { k in
            if k.state == .pendingDeletion, let d = k.deletionDate, d <= t { deleted.append(k.id); return true }
            return false
        }
        next.aliases = next.aliases.filter { !deleted.contains($0.value.targetKeyId) }
        for i in next.keys.indices {
            var k = next.keys[i]
            guard k.rotationEnabled, k.state == .enabled, k.keySpec.isSymmetric, let period = k.rotationPeriodDays,
                var due = k.nextRotation, due <= t
            else { continue }
            while due <= t {
                let index = k.current.index + 1
                if let m = try? Self.newMaterial(spec: k.keySpec, index: index, at: due, rotationType: "AUTOMATIC") {
                    k.materials.append(m)
                    rotated.append((k.id, index))
                }
                due += Double(period) * 86400
            }
            k.nextRotation = due
            next.keys[i] = k
        }
        if (try? file?.write(next)) == nil, file != nil { return }  // retried at the next call
        state = next
        nextDeadline = computeDeadline()
        for id in deleted { audit?.append(AuditEvent(operation: "DeleteKey", caller: "kms-scheduler", keyId: id)) }
        for (id, v) in rotated { audit?.append(AuditEvent(operation: "RotateKey", caller: "kms-scheduler", keyId: id, keyVersion: v)) }
        audit?.sync()
    }

    func computeDeadline() -> Double {
        var d = Double.infinity
        for k in state.keys {
            if k.state == .pendingDeletion, let t = k.deletionDate { d = min(d, t) }
            if k.rotationEnabled, k.state == .enabled, let t = k.nextRotation { d = min(d, t) }
        }
        return d
    }

    // MARK: - Paging

    static func limit(_ r: JSONObject, max: Int, default d: Int) throws(KMSFault) -> Int {
        let limit = try r.int("Limit") ?? d
        guard (1...max).contains(limit) else {
            throw JSONObject.violation("Limit", value: limit, constraint: "Member must have value less than or equal to \(max)")
        }
        return limit
    }

    static func marker(_ position: Int) -> String { Data("s3emu:\(position)".utf8).base64EncodedString() }

    static func markerStart(_ r: JSONObject, count: Int) throws(KMSFault) -> Int {
        guard let m = try r.string("Marker") else { return 0 }
        guard let d = Data(base64Encoded: m), let s = String(data: d, encoding: .utf8), s.hasPrefix("s3emu:"),
            let n = Int(s.dropFirst(6)), n >= 0, n <= count
        else { throw KMSFault("InvalidMarkerException", "Invalid marker") }
        return n
    }
}
