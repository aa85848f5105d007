import Crypto
import Foundation
import KeyCore
import Synchronization

/// One audit record: who used or managed which key, how, and with what result. Never plaintext or key material.
public struct AuditEvent: Sendable {
    public var operation: String
    public var caller: String
    public var keyId: String?
    /// The backing-key (material) index a crypto operation used.
    public var keyVersion: UInt32?
    public var context: [String: String]?
    /// `ok` or the KMS error `__type`.
    public var result: String

    public init(operation: String, caller: String, keyId: String? = nil, keyVersion: UInt32? = nil,
                context: [String: String]? = nil, result: String = "ok") {
        self.operation = operation
        self.caller = caller
        self.keyId = keyId
        self.keyVersion = keyVersion
        self.context = context
        self.result = result
    }
}

/// The tamper-evident audit trail: JSON lines, each chained to the one before by a SHA-256 hash.
///
/// ```
/// line_n = {"seq":n,"time":"<ISO 8601 UTC, ms>","op":…,"caller":…,["keyId":…,]["keyVersion":…,]["context":{…},]
///           "result":"ok"|"<__type>","prev":"<hash_(n-1)>","hash":"<hash_n>"}
/// hash_n = hex(SHA-256(the bytes of line_n before `,"hash":"`))        hash_0 of the genesis is 64 × "0"
/// ```
/// Editing any byte of a line breaks its own hash; deleting or reordering lines breaks the `prev` link and the
/// `seq` run. Cutting records off the end leaves a shorter chain that is still whole, so after every append the
/// chain head is also written to `audit.jsonl.head` (`u20 seq ‖ " " ‖ hash ‖ "\n"`, overwritten in place): a trail
/// shorter than its head, or whose record at that sequence has another hash, is reported as truncated.
/// ``AuditChain/verify(path:)`` checks all three. Lines are appended with one `write(2)` each (O_APPEND);
/// ``sync()`` makes them durable (after management operations and periodically).
public final class AuditLog: Sendable {
    public static let genesis = String(repeating: "0", count: 64)

    private struct Tail {
        var seq: UInt64
        /// Lowercase hex of the last record's hash.
        var hash: [UInt8]
        var unsynced = 0
    }

    private let fd: Int32
    private let headFd: Int32
    private let tail: Mutex<Tail>
    private let clock: @Sendable () -> Date

    public let path: String

    /// Opens (creating) the trail at `path` and continues its chain.
    public init(path: String, clock: @escaping @Sendable () -> Date) throws {
        self.path = path
        self.clock = clock
        let last = try AuditChain.lastRecord(path: path)
        fd = Foundation.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KMSFault.internalError("Cannot open the audit trail \(path).") }
        headFd = Foundation.open(AuditChain.headPath(path), O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard headFd >= 0 else { throw KMSFault.internalError("Cannot open the audit trail head \(path).head.") }
        tail = Mutex(Tail(seq: last?.seq ?? 0, hash: Array((last?.hash ?? Self.genesis).utf8)))
        if let last { writeHead(seq: last.seq, hash: Array(last.hash.utf8)) }
    }

    deinit {
        close(fd)
        close(headFd)
    }

    private func writeHead(seq: UInt64, hash: [UInt8]) {
        var line: [UInt8] = []
        line.reserveCapacity(86)
        AuditRecordWriter.appendDecimal(seq, width: 20, to: &line)
        line.append(0x20)
        line += hash
        line.append(0x0A)
        _ = line.withUnsafeBytes { pwrite(headFd, $0.baseAddress!, $0.count, 0) }
    }

    /// Appends one record.
    public func append(_ event: AuditEvent) {
        let ms = Int64((clock().timeIntervalSince1970 * 1000).rounded(.down))
        let context = event.context.map { c in c.keys.sorted().map { ($0, c[$0]!) } } ?? []
        tail.withLock { t in
            var w = AuditRecordWriter()
            w.raw("{\"seq\":")
            w.number(t.seq + 1)
            w.raw(",\"time\":\"")
            w.timestamp(milliseconds: ms)
            w.raw("\",\"op\":")
            w.string(event.operation)
            w.raw(",\"caller\":")
            w.string(event.caller)
            if let k = event.keyId {
                w.raw(",\"keyId\":")
                w.string(k)
            }
            if let v = event.keyVersion {
                w.raw(",\"keyVersion\":")
                w.number(UInt64(v))
            }
            if !context.isEmpty {
                w.raw(",\"context\":{")
                for (i, (key, value)) in context.enumerated() {
                    if i > 0 { w.raw(",") }
                    w.string(key)
                    w.raw(":")
                    w.string(value)
                }
                w.raw("}")
            }
            w.raw(",\"result\":")
            w.string(event.result)
            w.raw(",\"prev\":\"")
            w.raw(t.hash)
            w.raw("\"")
            let hash = Array(AuditChain.hash(w.bytes).utf8)
            w.raw(",\"hash\":\"")
            w.raw(hash)
            w.raw("\"}\n")
            let written = w.bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress!, $0.count) }
            if written == w.bytes.count {
                t.seq += 1
                t.hash = hash
                t.unsynced += 1
                writeHead(seq: t.seq, hash: hash)
            }
        }
    }

    /// Makes every appended record durable.
    public func sync() {
        tail.withLock { t in
            if t.unsynced > 0 { fdatasync(fd); fdatasync(headFd); t.unsynced = 0 }
        }
    }
}

/// Reading and checking an audit trail (used by the module at start and by `s3emu audit`).
public enum AuditChain {
    public struct Record: Sendable {
        public var seq: UInt64
        public var hash: String
        public var line: String
    }

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// The summary of a good chain.
    public struct Summary: Sendable {
        public var records: Int
        public var lastHash: String
    }

    static func hash(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).lowercaseHex }

    /// Where the chain head is kept beside the trail.
    public static func headPath(_ path: String) -> String { path + ".head" }

    /// Checks every line's hash, `prev` link and sequence number, then that the trail reaches the recorded head.
    /// Returns the first problem found.
    public static func verify(path: String) throws -> Summary {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Problem(line: 0, reason: "cannot read \(path)")
        }
        defer { try? handle.close() }
        var head: (seq: UInt64, hash: String)?
        if let data = FileManager.default.contents(atPath: headPath(path)) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let parts = text.split(separator: " ")
            guard parts.count == 2, let seq = UInt64(parts[0]) else {
                throw Problem(line: 0, reason: "the chain head file \(headPath(path)) is malformed")
            }
            head = (seq, String(parts[1]))
        }
        var prev = AuditLog.genesis
        var count = 0
        var pending: [UInt8] = []
        var headSeen = false
        func check(_ raw: ArraySlice<UInt8>) throws {
            let lineNumber = count + 1
            let r = try parse(String(decoding: raw, as: UTF8.self), lineNumber: lineNumber)
            guard r.prev == prev else { throw Problem(line: lineNumber, reason: "prev does not match the hash of the line before (a line was removed, reordered or edited)") }
            guard r.seq == UInt64(lineNumber) else { throw Problem(line: lineNumber, reason: "sequence number \(r.seq), expected \(lineNumber)") }
            if let head, head.seq == r.seq {
                guard head.hash == r.hash else { throw Problem(line: lineNumber, reason: "the record differs from the recorded chain head") }
                headSeen = true
            }
            prev = r.hash
            count += 1
        }
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            pending += chunk
            var start = 0
            while let nl = pending[start...].firstIndex(of: 0x0A) {
                if nl == start { throw Problem(line: count + 1, reason: "empty line") }
                try check(pending[start..<nl])
                start = nl + 1
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty { try check(pending[...]) }
        if let head, !headSeen, head.seq > 0 {
            throw Problem(line: count, reason: "the trail ends at record \(count) but its head records \(head.seq): records were cut off the end")
        }
        return Summary(records: count, lastHash: prev)
    }

    struct Parsed {
        var seq: UInt64
        var prev: String
        var hash: String
    }

    static func parse(_ line: String, lineNumber: Int) throws -> Parsed {
        let marker = ",\"hash\":\""
        guard let r = line.range(of: marker, options: .backwards), line.hasSuffix("\"}") else {
            throw Problem(line: lineNumber, reason: "not an audit record")
        }
        let body = String(line[..<r.lowerBound])
        let stated = String(line[r.upperBound...].dropLast(2))
        guard hash(Array(body.utf8)) == stated else { throw Problem(line: lineNumber, reason: "hash does not match the record (edited)") }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let seq = (obj["seq"] as? NSNumber)?.uint64Value, let prev = obj["prev"] as? String
        else { throw Problem(line: lineNumber, reason: "not an audit record") }
        return Parsed(seq: seq, prev: prev, hash: stated)
    }

    /// The last complete record, to continue the chain after a restart (reads only the end of the file).
    static func lastRecord(path: String) throws -> Record? {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = handle.seekToEndOfFile()
        guard size > 0 else { return nil }
        var window: UInt64 = 64 * 1024
        while true {
            let start = size > window ? size - window : 0
            handle.seek(toFileOffset: start)
            var data = [UInt8](handle.readDataToEndOfFile())
            // A torn final line (a crash mid-append) is cut off so the chain continues from the last whole record.
            if data.last != 0x0A {
                guard let nl = data.lastIndex(of: 0x0A) else {
                    if start == 0 { handle.truncateFile(atOffset: 0); return nil }
                    window *= 4
                    continue
                }
                handle.truncateFile(atOffset: start + UInt64(nl + 1))
                data.removeSubrange((nl + 1)...)
            }
            let body = data.dropLast()
            guard let previous = body.lastIndex(of: 0x0A) else {
                if start > 0 { window *= 4; continue }
                let line = String(decoding: body, as: UTF8.self)
                let p = try parse(line, lineNumber: 1)
                return Record(seq: p.seq, hash: p.hash, line: line)
            }
            let line = String(decoding: body[(previous + 1)...], as: UTF8.self)
            let p = try parse(line, lineNumber: 0)
            return Record(seq: p.seq, hash: p.hash, line: line)
        }
    }
}
