import Foundation
import KeyCore

/// Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.
extension KeyEngine {
    static func validateAliasName(_ name: String) throws(KMSFault) {
        guard name.hasPrefix("alias/"), name.count > 6, name.count <= 256,
            name.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || ":/_-".unicodeScalars.contains($0) })
        else {
            throw KMSFault("InvalidAliasNameException", "Alias must start with the prefix \"alias/\" and contain only alphanumeric characters, forward slashes (/), underscores (_), colons (:) and dashes (-).")
        }
    }

    static func requireCustomerAlias(_ name: String) throws(KMSFault) {
        if name.hasPrefix("alias/aws/") {
            throw KMSFault("NotAuthorizedException", "Cannot create, update or delete an alias whose name starts with alias/aws/.")
        }
    }

    func createAlias(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let name = try r.requiredString("AliasName")
        let target = try r.requiredString("TargetKeyId")
        try Self.validateAliasName(name)
        try Self.requireCustomerAlias(name)
        return try withState { now throws(KMSFault) in
            let i = try resolve(target, allowAlias: false, now: now)
            let k = state.keys[i]
            e.keyId = k.id
            guard state.aliases[name] == nil else { throw KMSFault("AlreadyExistsException", "An alias with the name \(aliasArn(name)) already exists") }
            try requireNotPendingDeletion(k)
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in
                s.aliases[name] = AliasRecord(name: name, targetKeyId: k.id, createdAt: now, updatedAt: now)
            }
            return JSONObject()
        }
    }

    func updateAlias(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let name = try r.requiredString("AliasName")
        let target = try r.requiredString("TargetKeyId")
        try Self.validateAliasName(name)
        try Self.requireCustomerAlias(name)
        return try withState { now throws(KMSFault) in
            guard let alias = state.aliases[name] else { throw .notFound("Alias \(aliasArn(name)) is not found.") }
            let i = try resolve(target, allowAlias: false, now: now)
            let k = state.keys[i]
            e.keyId = k.id
            try requireNotPendingDeletion(k)
            if let old = index(of: alias.targetKeyId) {
                let o = state.keys[old]
                guard o.keySpec.isSymmetric == k.keySpec.isSymmetric, o.keyUsage == k.keyUsage else {
                    throw .validation("\(aliasArn(name)) and \(arn(k.id)) must have the same key type and key usage.")
                }
            }
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in
                s.aliases[name]?.targetKeyId = k.id
                s.aliases[name]?.updatedAt = now
            }
            return JSONObject()
        }
    }

    func deleteAlias(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let name = try r.requiredString("AliasName")
        try Self.validateAliasName(name)
        try Self.requireCustomerAlias(name)
        return try withState { _ throws(KMSFault) in
            guard let alias = state.aliases[name] else { throw .notFound("Alias \(aliasArn(name)) is not found.") }
            e.keyId = alias.targetKeyId
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in s.aliases[name] = nil }
            return JSONObject()
        }
    }

    func listAliases(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let keyId = try r.string("KeyId")
        let limit = try Self.limit(r, max: 100, default: 50)
        return try withState { now throws(KMSFault) in
            var filter: String?
            if let keyId {
                filter = state.keys[try resolve(keyId, allowAlias: false, now: now)].id
                e.keyId = filter
            }
            let all = state.aliases.values.filter { filter == nil || $0.targetKeyId == filter }.sorted { $0.name < $1.name }
            let start = try Self.markerStart(r, count: all.count)
            let page = all[start..<min(start + limit, all.count)]
            var out: [String: Any] = [
                "Aliases": page.map {
                    ["AliasName": $0.name, "AliasArn": aliasArn($0.name), "TargetKeyId": $0.targetKeyId,
                     "CreationDate": $0.createdAt, "LastUpdatedDate": $0.updatedAt] as [String: Any]
                },
            ]
            let next = start + page.count
            out["Truncated"] = next < all.count
            if next < all.count { out["NextMarker"] = Self.marker(next) }
            return JSONObject(out)
        }
    }
}
