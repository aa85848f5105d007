import Foundation
import KeyCore

/// Keys seeded at start from a JSON file, so test suites get deterministic key ids.
///
/// ```json
/// {"keys": [{"KeyId": "11111111-2222-3333-4444-555555555555", "Aliases": ["alias/app"],
///            "State": "Enabled", "Description": "…", "KeySpec": "SYMMETRIC_DEFAULT", "RotationEnabled": false}]}
/// ```
/// A seed creates the keys and aliases that do not exist yet, in the state given (`Enabled` or `Disabled`).
/// Keys that already exist are left as they are, so a restart does not undo what tests did through the API.
/// Key material is always fresh random bytes: seeds fix ids, never secrets.
extension KeyEngine {
    public struct Seed: Sendable {
        public var keyId: String
        public var aliases: [String]
        public var state: KeyState
        public var description: String
        public var spec: KeySpec
        public var rotationEnabled: Bool
    }

    /// Parses a seed file.
    public static func parseSeeds(_ data: Data) throws(KMSFault) -> [Seed] {
        let root = try JSONObject(parsing: Array(data))
        guard let keys = try root.objects("keys") else { throw .validation("The seed file needs a \"keys\" array.") }
        var seeds: [Seed] = []
        for k in keys {
            let id = try k.requiredString("KeyId")
            guard (1...64).contains(id.count), id.utf8.allSatisfy({ $0 == 0x2D || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) }) else {
                throw .validation("Seed key id \(id) must be 1–64 lowercase letters, digits and dashes (a UUID).")
            }
            let stateName = try k.string("State") ?? "Enabled"
            guard let state = KeyState(rawValue: stateName), state != .pendingDeletion else {
                throw .validation("Seed key \(id): State must be Enabled or Disabled.")
            }
            let specName = try k.string("KeySpec") ?? "SYMMETRIC_DEFAULT"
            guard let spec = KeySpec(rawValue: specName) else { throw .validation("Seed key \(id): unknown KeySpec \(specName).") }
            let aliases = try k.strings("Aliases") ?? []
            for a in aliases {
                try validateAliasName(a)
                try requireCustomerAlias(a)
            }
            seeds.append(Seed(keyId: id, aliases: aliases, state: state, description: try k.string("Description") ?? "",
                              spec: spec, rotationEnabled: try k.bool("RotationEnabled") ?? false))
        }
        return seeds
    }

    /// Creates what the seeds name and is missing. Returns how many keys were created.
    @discardableResult
    public func apply(seeds: [Seed]) throws(KMSFault) -> Int {
        var created = 0
        try withState { now throws(KMSFault) in
            for seed in seeds {
                if index(of: seed.keyId) == nil {
                    let m = try Self.newMaterial(spec: seed.spec, index: 0, at: now)
                    let rotation = seed.rotationEnabled && seed.spec.isSymmetric
                    let key = KeyRecord(
                        id: seed.keyId, createdAt: now, description: seed.description, keySpec: seed.spec,
                        keyUsage: "ENCRYPT_DECRYPT", state: seed.state, deletionDate: nil, pendingWindowDays: nil,
                        keyManager: "CUSTOMER", tags: [], rotationEnabled: rotation, rotationPeriodDays: rotation ? 365 : nil,
                        nextRotation: rotation ? now + 365 * 86400 : nil, onDemandRotations: 0, materials: [m])
                    try mutate { (s: inout KeyStoreState) throws(KMSFault) in s.keys.append(key) }
                    audit?.append(AuditEvent(operation: "CreateKey", caller: "seed", keyId: key.id))
                    created += 1
                }
                for alias in seed.aliases where state.aliases[alias] == nil {
                    try mutate { (s: inout KeyStoreState) throws(KMSFault) in
                        s.aliases[alias] = AliasRecord(name: alias, targetKeyId: seed.keyId, createdAt: now, updatedAt: now)
                    }
                    audit?.append(AuditEvent(operation: "CreateAlias", caller: "seed", keyId: seed.keyId))
                }
            }
        }
        audit?.sync()
        return created
    }
}
