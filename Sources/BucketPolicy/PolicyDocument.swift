import Foundation
import S3Wire

/// A bucket policy, parsed and validated from a PutBucketPolicy body.
///
/// ```swift
/// let policy = try PolicyDocument(json: body, bucket: "bkt")   // throws 400 MalformedPolicy
/// let decision = PolicyEvaluator(document: policy).evaluate(request: request)
/// ```
///
/// Keep the body bytes as sent for GetBucketPolicy; this value is for evaluation only.
public struct PolicyDocument: Sendable, Hashable {
    /// The policy languages S3 accepts. A policy without `Version` is taken as `2008-10-17`.
    public static let versions: Set<String> = ["2012-10-17", "2008-10-17"]
    /// Bucket policies are limited to 20 KB.
    public static let maximumSize = 20 * 1024

    /// `Version` as written; nil when absent.
    public var version: String?
    /// `Id` as written; nil when absent.
    public var id: String?
    /// The statements, in document order (a single statement object becomes a one-element array).
    public var statements: [PolicyStatement]

    public init(version: String? = "2012-10-17", id: String? = nil, statements: [PolicyStatement]) {
        self.version = version
        self.id = id
        self.statements = statements
    }

    /// Parses and validates a PutBucketPolicy body for a policy of `bucket`.
    ///
    /// Errors are 400 `MalformedPolicy` with one of ``MalformedPolicyMessage``; the first fault found is reported:
    /// first byte, JSON validity, size, top-level members, `Version`, `Id`, `Statement`, then each statement in
    /// order (see ``PolicyStatement``). Resources must name `bucket` or its objects.
    public init(json body: [UInt8], bucket: String) throws(S3Error) {
        typealias M = MalformedPolicyMessage
        guard body.first == UInt8(ascii: "{") else { throw .malformedPolicy(M.notJSONObject) }
        // Foundation tolerates a trailing comma before `]`/`}`; JSON (and S3) does not.
        guard !Self.hasTrailingComma(body) else { throw .malformedPolicy(M.invalidJSON) }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            throw .malformedPolicy(M.invalidJSON)
        }
        guard Self.compactSize(body) <= Self.maximumSize else { throw .malformedPolicy(M.tooLarge) }
        guard let top = parsed as? [String: Any] else { throw .malformedPolicy(M.notJSONObject) }
        guard top.keys.allSatisfy(["Version", "Id", "Statement"].contains) else { throw .malformedPolicy(M.syntax) }

        var version: String?
        if let raw = top["Version"] {
            guard let text = raw as? String, Self.versions.contains(text) else {
                throw .malformedPolicy(M.invalidVersion)
            }
            version = text
        }
        var id: String?
        if let raw = top["Id"] {
            guard let text = raw as? String else { throw .malformedPolicy(M.syntax) }
            id = text
        }

        guard let rawStatement = top["Statement"] else { throw .malformedPolicy(M.missingStatement) }
        let elements: [Any]
        if let list = rawStatement as? [Any] {
            guard !list.isEmpty else { throw .malformedPolicy(M.emptyStatement) }
            elements = list
        } else if rawStatement is [String: Any] {
            elements = [rawStatement]
        } else {
            throw .malformedPolicy(M.syntax)
        }
        var statements: [PolicyStatement] = []
        for element in elements {
            statements.append(try PolicyStatement.parse(element, bucket: bucket))
        }
        self.init(version: version, id: id, statements: statements)
    }

    /// Convenience for a body held as a string.
    public init(json text: String, bucket: String) throws(S3Error) {
        try self.init(json: Array(text.utf8), bucket: bucket)
    }

    /// Whether a `,` is followed (after whitespace) by `]` or `}` outside JSON strings.
    static func hasTrailingComma(_ body: [UInt8]) -> Bool {
        var inString = false
        var escaped = false
        var afterComma = false
        for byte in body {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if afterComma { return true }
            case UInt8(ascii: "\""):
                inString = true
            default:
                break
            }
            afterComma = byte == UInt8(ascii: ",")
        }
        return false
    }

    /// The body's size without whitespace outside JSON strings (what the 20 KB limit counts).
    static func compactSize(_ body: [UInt8]) -> Int {
        var size = 0
        var inString = false
        var escaped = false
        for byte in body {
            if inString {
                size += 1
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                continue
            } else {
                size += 1
                if byte == UInt8(ascii: "\"") { inString = true }
            }
        }
        return size
    }
}
