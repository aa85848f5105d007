import Foundation
import KeyCore

/// Rotation: automatic (EnableKeyRotation / DisableKeyRotation / GetKeyRotationStatus), on demand, and the list.
///
/// Each rotation appends new key material and makes it current; old material stays for the key's whole life so
/// old ciphertext decrypts. Automatic rotation falls due one period after it is enabled, never while the key is
/// disabled, and at once on re-enable if a full period has passed. ``KeyEngine/applyTimeEvents(_:)`` performs it.
extension KeyEngine {
    /// The key a rotation operation applies to, after the rotation-specific state checks.
    func rotatableKey(_ r: JSONObject, _ e: inout AuditEvent, now: Double) throws(KMSFault) -> Int {
        let i = try resolve(try r.requiredString("KeyId"), allowAlias: false, now: now)
        let k = state.keys[i]
        e.keyId = k.id
        guard k.keySpec.isSymmetric else {
            throw KMSFault("UnsupportedOperationException", "\(arn(k.id)) key usage or key spec does not support rotation.")
        }
        try requireUsable(k)
        guard k.keyManager == "CUSTOMER" else {
            throw KMSFault("UnsupportedOperationException", "\(arn(k.id)) is an AWS managed key: it rotates every year and its rotation cannot be changed.")
        }
        return i
    }

    func enableKeyRotation(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let period = try r.int("RotationPeriodInDays") ?? 365
        guard (90...2560).contains(period) else {
            throw JSONObject.violation("RotationPeriodInDays", value: period, constraint:
                "Member must have value greater than or equal to 90 and less than or equal to 2560")
        }
        return try withState { now throws(KMSFault) in
            let i = try rotatableKey(r, &e, now: now)
            let k = state.keys[i]
            let base = k.rotationEnabled ? (k.materials.last { $0.rotationType == "AUTOMATIC" }?.createdAt ?? k.createdAt) : now
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in
                s.keys[i].rotationEnabled = true
                s.keys[i].rotationPeriodDays = period
                s.keys[i].nextRotation = base + Double(period) * 86400
            }
            return JSONObject()
        }
    }

    func disableKeyRotation(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        try withState { now throws(KMSFault) in
            let i = try rotatableKey(r, &e, now: now)
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in
                s.keys[i].rotationEnabled = false
                s.keys[i].nextRotation = nil
            }
            return JSONObject()
        }
    }

    func getKeyRotationStatus(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        return try withState { now throws(KMSFault) in
            let k = state.keys[try resolve(id, allowAlias: false, now: now)]
            e.keyId = k.id
            guard k.keySpec.isSymmetric else {
                throw KMSFault("UnsupportedOperationException", "\(arn(k.id)) key usage or key spec does not support rotation.")
            }
            let enabled = k.rotationEnabled && k.state != .pendingDeletion
            var out: [String: Any] = ["KeyRotationEnabled": enabled, "KeyId": arn(k.id)]
            if enabled {
                out["RotationPeriodInDays"] = k.rotationPeriodDays ?? 365
                if let next = k.nextRotation { out["NextRotationDate"] = next }
            }
            return JSONObject(out)
        }
    }

    func rotateKeyOnDemand(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        try withState { now throws(KMSFault) in
            let i = try rotatableKey(r, &e, now: now)
            let k = state.keys[i]
            guard k.onDemandRotations < Self.maxOnDemandRotations else {
                throw KMSFault("LimitExceededException", "The on-demand rotation limit of \(Self.maxOnDemandRotations) has been reached for \(arn(k.id)).")
            }
            let m = try Self.newMaterial(spec: k.keySpec, index: k.current.index + 1, at: now, rotationType: "ON_DEMAND")
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in
                s.keys[i].materials.append(m)
                s.keys[i].onDemandRotations += 1
            }
            e.keyVersion = m.index
            return JSONObject(["KeyId": k.id])
        }
    }

    func listKeyRotations(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        let include = try r.string("IncludeKeyMaterial") ?? "ROTATIONS_ONLY"
        guard include == "ROTATIONS_ONLY" || include == "ALL_KEY_MATERIAL" else {
            throw JSONObject.violation("IncludeKeyMaterial", value: include, constraint: "Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]")
        }
        let limit = try Self.limit(r, max: 1000, default: 100)
        return try withState { now throws(KMSFault) in
            let k = state.keys[try resolve(id, allowAlias: false, now: now)]
            e.keyId = k.id
            guard k.keySpec.isSymmetric else {
                throw KMSFault("UnsupportedOperationException", "\(arn(k.id)) key usage or key spec does not support rotation.")
            }
            let materials = include == "ALL_KEY_MATERIAL" ? k.materials : k.materials.filter { $0.rotationType != nil }
            let start = try Self.markerStart(r, count: materials.count)
            let page = materials[start..<min(start + limit, materials.count)]
            let currentIndex = k.current.index
            let rotations: [[String: Any]] = page.map { m in
                var entry: [String: Any] = [
                    "KeyId": k.id, "KeyMaterialId": KeyMaterial.materialId(keyId: k.id, index: m.index),
                    "KeyMaterialState": m.index == currentIndex ? "CURRENT" : "NON_CURRENT",
                ]
                if let type = m.rotationType {
                    entry["RotationDate"] = m.createdAt
                    entry["RotationType"] = type
                }
                return entry
            }
            var out: [String: Any] = ["Rotations": rotations]
            let next = start + page.count
            out["Truncated"] = next < materials.count
            if next < materials.count { out["NextMarker"] = Self.marker(next) }
            return JSONObject(out)
        }
    }
}
