/// Incremental `multipart/form-data` parser for browser-form POST uploads: small fields are collected, the file
/// part is handed out as it arrives, so an upload is never held whole in memory.
public struct MultipartFormParser: Sendable {
    public enum Event: Sendable, Equatable {
        /// A form field with its value (fields other than the file are kept small).
        case field(name: String, value: String)
        /// The file part begins.
        case fileStart(fieldName: String, filename: String?, contentType: String?)
        /// Bytes of the file part.
        case fileData([UInt8])
        /// The file part ended.
        case fileEnd
    }

    enum State: Sendable {
        case preamble
        case headers
        case body(name: String, isFile: Bool)
        case afterBoundary
        case done
    }

    public struct ParseError: Error, Sendable, Equatable {
        public var reason: String
    }

    private let delimiter: [UInt8]  // "\r\n--boundary"
    private var state = State.preamble
    private var pending: [UInt8] = []
    private var fieldValue: [UInt8] = []
    private var fieldBytes = 0
    /// Largest total size of the non-file fields.
    public var maxFieldBytes = 1024 * 1024

    /// The boundary parameter of the Content-Type header.
    public init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first boundary may come without the leading CRLF.
        pending = [0x0D, 0x0A]
    }

    /// The boundary of a `multipart/form-data; boundary=…` content type.
    public static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingASCIIWhitespace() }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for p in parts.dropFirst() where p.lowercased().hasPrefix("boundary=") {
            var b = p.dropFirst("boundary=".count)
            if b.hasPrefix("\"") && b.hasSuffix("\"") && b.count >= 2 { b = b.dropFirst().dropLast() }
            return b.isEmpty ? nil : String(b)
        }
        return nil
    }

    /// Whether the closing boundary was read.
    public var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    static func find(_ needle: [UInt8], in hay: [UInt8], from start: Int = 0) -> Int? {
        guard needle.count <= hay.count - start, let first = needle.first else { return nil }
        var i = start
        let last = hay.count - needle.count
        while i <= last {
            if hay[i] == first {
                var j = 1
                while j < needle.count && hay[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    public mutating func feed(_ bytes: [UInt8]) throws(ParseError) -> [Event] {
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        loop: while true {
            switch state {
            case .preamble:
                guard let i = Self.find(delimiter, in: pending) else {
                    if pending.count > delimiter.count { pending.removeFirst(pending.count - delimiter.count) }
                    break loop
                }
                pending.removeFirst(i + delimiter.count)
                state = .afterBoundary
            case .afterBoundary:
                guard pending.count >= 2 else { break loop }
                if pending[0] == UInt8(ascii: "-") && pending[1] == UInt8(ascii: "-") {
                    state = .done
                    pending.removeAll()
                    break loop
                }
                // Transport padding then CRLF.
                guard let crlf = Self.find([0x0D, 0x0A], in: pending) else { break loop }
                pending.removeFirst(crlf + 2)
                state = .headers
            case .headers:
                guard let end = Self.find([0x0D, 0x0A, 0x0D, 0x0A], in: pending) else {
                    if pending.count > 16 * 1024 { throw ParseError(reason: "part headers too large") }
                    break loop
                }
                let text = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 4)
                var name: String?
                var filename: String?
                var contentType: String?
                for line in text.split(separator: "\r\n") {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let header = line[..<colon].lowercased()
                    let value = line[line.index(after: colon)...].trimmingASCIIWhitespace()
                    if header == "content-disposition" {
                        name = Self.parameter("name", in: value)
                        filename = Self.parameter("filename", in: value)
                    } else if header == "content-type" {
                        contentType = String(value)
                    }
                }
                guard let name else { throw ParseError(reason: "part without a name") }
                let isFile = name.lowercased() == "file"
                if isFile { events.append(.fileStart(fieldName: name, filename: filename, contentType: contentType)) }
                fieldValue = []
                state = .body(name: name, isFile: isFile)
            case .body(let name, let isFile):
                if let i = Self.find(delimiter, in: pending) {
                    let chunk = Array(pending[..<i])
                    pending.removeFirst(i + delimiter.count)
                    if isFile {
                        if !chunk.isEmpty { events.append(.fileData(chunk)) }
                        events.append(.fileEnd)
                    } else {
                        try appendField(chunk)
                        events.append(.field(name: name, value: String(decoding: fieldValue, as: UTF8.self)))
                    }
                    state = .afterBoundary
                } else {
                    // Keep a tail that could be the start of the delimiter.
                    let keep = delimiter.count - 1
                    guard pending.count > keep else { break loop }
                    let chunk = Array(pending[..<(pending.count - keep)])
                    pending.removeFirst(pending.count - keep)
                    if isFile { events.append(.fileData(chunk)) } else { try appendField(chunk) }
                    break loop
                }
            case .done:
                pending.removeAll()
                break loop
            }
        }
        return events
    }

    private mutating func appendField(_ chunk: [UInt8]) throws(ParseError) {
        fieldBytes += chunk.count
        if fieldBytes > maxFieldBytes { throw ParseError(reason: "form fields too large") }
        fieldValue.append(contentsOf: chunk)
    }

    /// `name="value"` parameter of a Content-Disposition value.
    static func parameter(_ name: String, in value: Substring) -> String? {
        for part in value.split(separator: ";") {
            let t = part.trimmingASCIIWhitespace()
            guard let eq = t.firstIndex(of: "="), t[..<eq].lowercased() == name else { continue }
            var v = t[t.index(after: eq)...]
            if v.hasPrefix("\"") && v.hasSuffix("\"") && v.count >= 2 { v = v.dropFirst().dropLast() }
            return String(v)
        }
        return nil
    }
}
