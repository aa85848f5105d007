import Foundation

/// A decoded KMS JSON 1.1 body with typed, validating accessors.
///
/// KMS answers a wrongly typed member with `SerializationException` and a constraint violation with
/// `ValidationException` ("1 validation error detected: Value ... at 'x' failed to satisfy constraint: ...").
public struct JSONObject: @unchecked Sendable {
    public var values: [String: Any]

    public init(_ values: [String: Any] = [:]) { self.values = values }

    /// Parses a request body; an empty body is an empty object.
    public init(parsing bytes: [UInt8]) throws(KMSFault) {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { values = [:]; return }
        guard let any = try? JSONSerialization.jsonObject(with: Data(bytes)), let dict = any as? [String: Any] else {
            throw .serialization("Start of structure or map found where not expected.")
        }
        values = dict
    }

    public subscript(key: String) -> Any? {
        get { values[key] }
        set { values[key] = newValue }
    }

    public func string(_ key: String) throws(KMSFault) -> String? {
        guard let v = values[key], !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw .serialization("Unexpected value type for '\(key)'.") }
        return s
    }

    public func requiredString(_ key: String) throws(KMSFault) -> String {
        guard let s = try string(key) else { throw Self.nullViolation(key) }
        return s
    }

    public func int(_ key: String) throws(KMSFault) -> Int? {
        guard let v = values[key], !(v is NSNull) else { return nil }
        if Self.isBoolean(v) { throw .serialization("Unexpected value type for '\(key)'.") }
        switch v {
        case let i as Int: return i
        case let d as Double where d == d.rounded() && abs(d) < 1e15: return Int(d)
        case let n as NSNumber where n.doubleValue == n.doubleValue.rounded() && abs(n.doubleValue) < 1e15: return n.intValue
        default: throw .serialization("Unexpected value type for '\(key)'.")
        }
    }

    public func bool(_ key: String) throws(KMSFault) -> Bool? {
        guard let v = values[key], !(v is NSNull) else { return nil }
        guard Self.isBoolean(v), let b = v as? Bool else { throw .serialization("Unexpected value type for '\(key)'.") }
        return b
    }

    /// A base64 blob member.
    public func blob(_ key: String) throws(KMSFault) -> [UInt8]? {
        guard let s = try string(key) else { return nil }
        guard let d = Data(base64Encoded: s) else { throw .serialization("Invalid base64 in '\(key)'.") }
        return Array(d)
    }

    public func requiredBlob(_ key: String) throws(KMSFault) -> [UInt8] {
        guard let b = try blob(key) else { throw Self.nullViolation(key) }
        return b
    }

    /// A string→string map member (an encryption context).
    public func stringMap(_ key: String) throws(KMSFault) -> [String: String] {
        guard let v = values[key], !(v is NSNull) else { return [:] }
        guard let dict = v as? [String: Any] else { throw .serialization("Unexpected value type for '\(key)'.") }
        var out: [String: String] = [:]
        for (k, value) in dict {
            guard let s = value as? String else { throw .serialization("Unexpected value type for '\(key)'.") }
            out[k] = s
        }
        return out
    }

    /// An array of objects member.
    public func objects(_ key: String) throws(KMSFault) -> [JSONObject]? {
        guard let v = values[key], !(v is NSNull) else { return nil }
        guard let arr = v as? [Any] else { throw .serialization("Unexpected value type for '\(key)'.") }
        var out: [JSONObject] = []
        for item in arr {
            guard let d = item as? [String: Any] else { throw .serialization("Unexpected value type for '\(key)'.") }
            out.append(JSONObject(d))
        }
        return out
    }

    public func strings(_ key: String) throws(KMSFault) -> [String]? {
        guard let v = values[key], !(v is NSNull) else { return nil }
        guard let arr = v as? [Any] else { throw .serialization("Unexpected value type for '\(key)'.") }
        var out: [String] = []
        for item in arr {
            guard let s = item as? String else { throw .serialization("Unexpected value type for '\(key)'.") }
            out.append(s)
        }
        return out
    }

    /// Serialises (member order is not significant; sorting costs a locale-aware compare per key on Linux).
    public func serialized() -> [UInt8] {
        guard let d = try? JSONSerialization.data(withJSONObject: values, options: [.withoutEscapingSlashes]) else {
            return Array("{}".utf8)
        }
        return Array(d)
    }

    public static func nullViolation(_ key: String) -> KMSFault {
        .validation("1 validation error detected: Value null at '\(lowerFirst(key))' failed to satisfy constraint: Member must not be null")
    }

    /// The constraint message KMS uses for a value out of its allowed set or range.
    public static func violation(_ key: String, value: Any, constraint: String) -> KMSFault {
        .validation("1 validation error detected: Value '\(value)' at '\(lowerFirst(key))' failed to satisfy constraint: \(constraint)")
    }

    /// JSON `true`/`false` (Foundation on Linux hands numbers and booleans back as NSNumber; only booleans are
    /// the CF boolean subclass).
    static func isBoolean(_ v: Any) -> Bool {
        if type(of: v) == Bool.self { return true }
        return String(describing: type(of: v)).contains("Boolean")
    }

    static func lowerFirst(_ s: String) -> String { s.prefix(1).lowercased() + s.dropFirst() }
}
