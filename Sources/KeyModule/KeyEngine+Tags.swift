import Foundation
import KeyCore

/// Tags: TagResource, UntagResource, ListResourceTags.
extension KeyEngine {
    static func parseTags(_ r: JSONObject) throws(KMSFault) -> [KeyRecord.Tag] {
        guard let list = try r.objects("Tags") else { return [] }
        var tags: [KeyRecord.Tag] = []
        for t in list {
            guard let key = try? t.string("TagKey"), let value = try? t.string("TagValue") else {
                throw KMSFault("TagException", "Each tag needs a TagKey and a TagValue.")
            }
            guard (1...128).contains(key.count), value.count <= 256 else {
                throw KMSFault("TagException", "Tag keys are 1–128 characters and tag values 0–256.")
            }
            if key.hasPrefix("aws:") { throw KMSFault("TagException", "Tag keys must not start with aws:.") }
            if let i = tags.firstIndex(where: { $0.key == key }) { tags[i].value = value } else { tags.append(.init(key: key, value: value)) }
        }
        return tags
    }

    func tagResource(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        guard try r.objects("Tags") != nil else { throw JSONObject.nullViolation("Tags") }
        let tags = try Self.parseTags(r)
        return try withState { now throws(KMSFault) in
            let i = try resolve(id, allowAlias: false, now: now)
            e.keyId = state.keys[i].id
            try requireNotPendingDeletion(state.keys[i])
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in
                for t in tags {
                    if let j = s.keys[i].tags.firstIndex(where: { $0.key == t.key }) { s.keys[i].tags[j].value = t.value } else { s.keys[i].tags.append(t) }
                }
            }
            return JSONObject()
        }
    }

    func untagResource(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        guard let keys = try r.strings("TagKeys") else { throw JSONObject.nullViolation("TagKeys") }
        return try withState { now throws(KMSFault) in
            let i = try resolve(id, allowAlias: false, now: now)
            e.keyId = state.keys[i].id
            try requireNotPendingDeletion(state.keys[i])
            try mutate { (s: inout KeyStoreState) throws(KMSFault) in s.keys[i].tags.removeAll { keys.contains($0.key) } }
            return JSONObject()
        }
    }

    func listResourceTags(_ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        let id = try r.requiredString("KeyId")
        let limit = try Self.limit(r, max: 50, default: 50)
        return try withState { now throws(KMSFault) in
            let k = state.keys[try resolve(id, allowAlias: false, now: now)]
            e.keyId = k.id
            let start = try Self.markerStart(r, count: k.tags.count)
            let page = k.tags[start..<min(start + limit, k.tags.count)]
            var out: [String: Any] = ["Tags": page.map { ["TagKey": $0.key, "TagValue": $0.value] }]
            let next = start + page.count
            out["Truncated"] = next < k.tags.count
            if next < k.tags.count { out["NextMarker"] = Self.marker(next) }
            return JSONObject(out)
        }
    }
}
