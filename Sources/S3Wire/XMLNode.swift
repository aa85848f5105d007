/// A parsed XML element: the small DOM that S3 request bodies (CompleteMultipartUpload, Delete,
/// CreateBucketConfiguration, …) need. Namespaces are dropped to local names; DTDs are refused.
public struct XMLNode: Sendable, Equatable {
    /// Local element name (any `prefix:` removed).
    public var name: String
    /// Child elements in document order.
    public var children: [XMLNode]
    /// Concatenated character data directly inside this element (entities decoded, not trimmed).
    public var text: String

    public init(name: String, children: [XMLNode] = [], text: String = "") {
        self.name = name
        self.children = children
        self.text = text
    }

    /// First child with this name.
    public func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// All children with this name.
    public func children(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }

    /// Text of the first child with this name.
    public func value(_ name: String) -> String? { child(name)?.text }

    /// Parses a whole document; throws `XMLParseError` when it is not well-formed.
    public static func parse<Bytes: Collection>(_ bytes: Bytes) throws -> XMLNode where Bytes.Element == UInt8 {
        var parser = XMLParserCore(Array(bytes))
        return try parser.parseDocument()
    }
}

/// The document is not well-formed (or uses a feature refused here, such as a DTD).
public struct XMLParseError: Error, Sendable, Equatable {
    public var offset: Int
    public var reason: String
}

private struct XMLParserCore {
    let b: [UInt8]
    var i = 0
    static let maxDepth = 64

    init(_ bytes: [UInt8]) { b = bytes }

    func fail(_ reason: String) -> XMLParseError { XMLParseError(offset: i, reason: reason) }

    mutating func parseDocument() throws -> XMLNode {
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        try skipMisc()
        guard i < b.count, b[i] == UInt8(ascii: "<") else { throw fail("no root element") }
        let root = try parseElement(depth: 0)
        try skipMisc()
        guard i == b.count else { throw fail("content after root element") }
        return root
    }

    mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
    }

    func hasPrefix(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return i + u.count <= b.count && Array(b[i..<(i + u.count)]) == u
    }

    mutating func skip(past terminator: String) throws {
        let t = Array(terminator.utf8)
        while i + t.count <= b.count {
            if b[i] == t[0], Array(b[i..<(i + t.count)]) == t {
                i += t.count
                return
            }
            i += 1
        }
        throw fail("unterminated construct")
    }

    /// Skips white space, comments and processing instructions (including the XML declaration).
    mutating func skipMisc() throws {
        while true {
            skipSpace()
            if hasPrefix("<?") {
                try skip(past: "?>")
            } else if hasPrefix("<!--") {
                try skip(past: "-->")
            } else if hasPrefix("<!") {
                throw fail("DTDs are not accepted")
            } else {
                return
            }
        }
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        !(c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: ">") || c == UInt8(ascii: "/")
            || c == UInt8(ascii: "=") || c == UInt8(ascii: "<") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'"))
    }

    mutating func parseName() throws -> String {
        let start = i
        while i < b.count, Self.isNameByte(b[i]) { i += 1 }
        guard i > start else { throw fail("expected a name") }
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    static func localName(_ qname: String) -> String {
        if let colon = qname.lastIndex(of: ":") { return String(qname[qname.index(after: colon)...]) }
        return qname
    }

    mutating func parseElement(depth: Int) throws -> XMLNode {
        guard depth < Self.maxDepth else { throw fail("too deeply nested") }
        i += 1  // '<'
        let qname = try parseName()
        // Attributes: parsed for well-formedness, then ignored.
        while true {
            skipSpace()
            guard i < b.count else { throw fail("unterminated start tag") }
            if b[i] == UInt8(ascii: "/") {
                guard i + 1 < b.count, b[i + 1] == UInt8(ascii: ">") else { throw fail("bad empty-element tag") }
                i += 2
                return XMLNode(name: Self.localName(qname))
            }
            if b[i] == UInt8(ascii: ">") {
                i += 1
                break
            }
            _ = try parseName()
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "=") else { throw fail("expected '='") }
            i += 1
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") else { throw fail("expected quote") }
            let q = b[i]
            i += 1
            while i < b.count, b[i] != q {
                if b[i] == UInt8(ascii: "<") { throw fail("'<' in attribute") }
                i += 1
            }
            guard i < b.count else { throw fail("unterminated attribute") }
            i += 1
        }
        var node = XMLNode(name: Self.localName(qname))
        var text: [UInt8] = []
        while true {
            guard i < b.count else { throw fail("unterminated element \(qname)") }
            if b[i] == UInt8(ascii: "<") {
                if hasPrefix("</") {
                    i += 2
                    let end = try parseName()
                    guard end == qname else { throw fail("mismatched end tag") }
                    skipSpace()
                    guard i < b.count, b[i] == UInt8(ascii: ">") else { throw fail("bad end tag") }
                    i += 1
                    break
                } else if hasPrefix("<!--") {
                    try skip(past: "-->")
                } else if hasPrefix("<![CDATA[") {
                    i += 9
                    let start = i
                    try skip(past: "]]>")
                    text.append(contentsOf: b[start..<(i - 3)])
                } else if hasPrefix("<?") {
                    try skip(past: "?>")
                } else if hasPrefix("<!") {
                    throw fail("markup declaration in content")
                } else {
                    node.children.append(try parseElement(depth: depth + 1))
                }
            } else if b[i] == UInt8(ascii: "&") {
                text.append(contentsOf: try parseEntity())
            } else {
                text.append(b[i])
                i += 1
            }
        }
        guard let s = String(validating: text, as: UTF8.self) else { throw fail("invalid UTF-8") }
        node.text = s
        return node
    }

    mutating func parseEntity() throws -> [UInt8] {
        let start = i
        while i < b.count, b[i] != UInt8(ascii: ";"), i - start < 12 { i += 1 }
        guard i < b.count, b[i] == UInt8(ascii: ";") else { throw fail("bad entity") }
        let name = String(decoding: b[(start + 1)..<i], as: UTF8.self)
        i += 1
        switch name {
        case "amp": return [UInt8(ascii: "&")]
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        default:
            var digits = Substring(name)
            var radix = 10
            guard digits.first == "#" else { throw fail("unknown entity") }
            digits = digits.dropFirst()
            if digits.first == "x" || digits.first == "X" {
                radix = 16
                digits = digits.dropFirst()
            }
            guard let v = UInt32(digits, radix: radix), let scalar = Unicode.Scalar(v) else { throw fail("bad character reference") }
            return Array(String(Character(scalar)).utf8)
        }
    }
}
