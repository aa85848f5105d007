import Foundation

/// Reads the newest records of the key module's audit trail (`DATA_DIR/keymodule/audit.jsonl`, one JSON object a
/// line: `seq`, `time`, `op`, `caller`, `keyId`, `keyVersion`, `context`, `result`, `prev`, `hash`) for display.
/// It does not verify the hash chain (`s3emu audit verify` does); it reads only the end of the file.
enum AuditTrailReader {
    /// One record, as shown.
    struct Entry: Sendable, Equatable {
        var seq: Int
        var time: String
        var operation: String
        var caller: String
        var keyId: String?
        var keyVersion: Int?
        var context: [String: String]
        var result: String
    }

    /// Why the trail could not be read.
    enum ReadError: Error, Equatable, CustomStringConvertible {
        case missing(String)
        case unreadable(String)

        var description: String {
            switch self {
            case .missing(let path): "There is no audit trail at \(path) yet (it is created with the first key use)."
            case .unreadable(let path): "The audit trail at \(path) could not be read."
            }
        }
    }

    /// The last `limit` records that `include` accepts, newest first, from at most the last `maxBytes` of the file.
    /// Lines that are not records (a partial first line, a torn last line) are skipped.
    static func newest(path: String, limit: Int, maxBytes: Int = 8 << 20,
                       where include: (Entry) -> Bool = { _ in true }) throws(ReadError) -> [Entry] {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path) }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable(path) }
        defer { try? handle.close() }
        let data: Data
        do {
            let size = try handle.seekToEnd()
            let start = size > UInt64(maxBytes) ? size - UInt64(maxBytes) : 0
            try handle.seek(toOffset: start)
            var chunk = try handle.readToEnd() ?? Data()
            if start > 0, let newline = chunk.firstIndex(of: 0x0A) { chunk = chunk[chunk.index(after: newline)...] }
            data = chunk
        } catch {
            throw .unreadable(path)
        }
        var out: [Entry] = []
        for line in data.split(separator: 0x0A).reversed() {
            guard out.count < limit else { break }
            if let e = parse(Data(line)), include(e) { out.append(e) }
        }
        return out
    }

    /// One line of the trail, or nil when it is not a record.
    static func parse(_ line: Data) -> Entry? {
        guard let o = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
            let seq = (o["seq"] as? NSNumber)?.intValue, let op = o["op"] as? String
        else { return nil }
        var context: [String: String] = [:]
        if let c = o["context"] as? [String: Any] {
            for (k, v) in c { context[k] = (v as? String) ?? "\(v)" }
        }
        return Entry(seq: seq, time: o["time"] as? String ?? "", operation: op, caller: o["caller"] as? String ?? "",
                     keyId: o["keyId"] as? String, keyVersion: (o["keyVersion"] as? NSNumber)?.intValue, context: context,
                     result: o["result"] as? String ?? "")
    }
}
