/// Builds the small XML documents S3 answers with. Text is escaped; element names are trusted (ours).
public struct XMLWriter: Sendable {
    private var out: String

    /// Starts a document with the XML declaration S3 sends.
    public init() { out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" }

    /// The document so far.
    public var document: String { out }

    /// Opens `<name>`, with the S3 namespace when `namespace` is true.
    public mutating func open(_ name: String, namespace: Bool = false) {
        out += namespace ? "<\(name) xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" : "<\(name)>"
    }

    /// Closes `</name>`.
    public mutating func close(_ name: String) { out += "</\(name)>" }

    /// Writes `<name>escaped text</name>`.
    public mutating func element(_ name: String, _ text: String) {
        out += "<\(name)>"
        out += XMLWriter.escape(text)
        out += "</\(name)>"
    }

    /// Writes the element only when `text` is not nil.
    public mutating func element(_ name: String, ifPresent text: String?) {
        if let text { element(name, text) }
    }

    /// Escapes text content for XML as S3 does (`&`, `<`, `>`, `"` and control characters; not `'`).
    public static func escape(_ text: String) -> String {
        var needs = false
        for u in text.utf8 where u == UInt8(ascii: "&") || u == UInt8(ascii: "<") || u == UInt8(ascii: ">") || u == UInt8(ascii: "\"") || u < 0x20 {
            needs = true
            break
        }
        if !needs { return text }
        var r = ""
        r.reserveCapacity(text.utf8.count + 16)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"": r += "&quot;"
            case "\n": r += "&#xA;"
            case "\r": r += "&#xD;"
            case "\t": r += "&#x9;"
            default:
                if ch.value < 0x20 { r += "&#x\(String(ch.value, radix: 16, uppercase: true));" } else { r.unicodeScalars.append(ch) }
            }
        }
        return r
    }
}
