import ArgumentParser
import Foundation
import KeyModule

/// `s3emu audit verify | tail`: check and read the key module's hash-chained audit trail.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check or show the key module's audit trail.",
        subcommands: [Verify.self, Tail.self])

    struct Location: ParsableArguments {
        @Option(help: "Data directory of serve (env S3EMU_DATA_DIR); the trail is DATA_DIR/keymodule/audit.jsonl.")
        var dataDir: String = ProcessInfo.processInfo.environment["S3EMU_DATA_DIR"] ?? "./s3emu-data"

        @Option(help: "The audit trail file itself (overrides --data-dir).")
        var file: String?

        var path: String { file ?? URL(fileURLWithPath: dataDir).appendingPathComponent("keymodule/audit.jsonl").path }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every record's hash and chain link; exit 1 on the first break.")
        @OptionGroup var location: Location

        func run() throws {
            do {
                let s = try AuditChain.verify(path: location.path)
                print("audit trail OK: \(s.records) records, chain head \(s.lastHash)")
            } catch let p as AuditChain.Problem {
                FileHandle.standardError.write(Data("audit trail BROKEN at \(location.path) \(p)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Tail: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the last records, one line each.")
        @OptionGroup var location: Location
        @Option(name: .short, help: "How many records.") var n = 20
        @Flag(help: "Print the raw JSON lines.") var json = false

        func run() throws {
            guard let data = FileManager.default.contents(atPath: location.path) else {
                throw ValidationError("Cannot read \(location.path).")
            }
            let lines = data.split(separator: 0x0A).suffix(n)
            for raw in lines {
                let line = String(decoding: raw, as: UTF8.self)
                guard !json, let o = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] else { print(line); continue }
                var parts = ["#\(o["seq"] ?? "?")", "\(o["time"] ?? "")", "\(o["op"] ?? "")", "caller=\(o["caller"] ?? "")"]
                if let k = o["keyId"] { parts.append("key=\(k)") }
                if let v = o["keyVersion"] { parts.append("version=\(v)") }
                if let c = o["context"] as? [String: Any] {
                    parts.append("context={" + c.keys.sorted().map { "\($0)=\(c[$0]!)" }.joined(separator: ",") + "}")
                }
                parts.append("\(o["result"] ?? "")")
                print(parts.joined(separator: "  "))
            }
        }
    }
}
