import ArgumentParser
import EmulatorServer
import Foundation
import KeyCore
import KeyModule
import Logging
import NIOPosix

/// `s3emu keymodule`: the isolated key module process. `serve` starts and supervises one by default.
struct KeyModuleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keymodule",
        abstract: "Run the key module: the only process that holds root keys, reached over a Unix socket.")

    @Option(help: "Directory of the sealed key store and the audit trail (env S3EMU_KEYMODULE_DIR).")
    var dir: String = ProcessInfo.processInfo.environment["S3EMU_KEYMODULE_DIR"] ?? "./s3emu-data/keymodule"

    @Option(help: "Unix socket path (default DIR/keymodule.sock).")
    var socket: String?

    @Option(help: "Region used in key ARNs.")
    var region: String = ProcessInfo.processInfo.environment["S3EMU_REGION"] ?? "us-east-1"

    @Option(help: "Account id used in key ARNs.")
    var accountId: String = ProcessInfo.processInfo.environment["S3EMU_ACCOUNT_ID"] ?? "123456789012"

    @Option(help: "A file of ≥ 32 random bytes to derive the master key from (env S3EMU_MASTER_KEY_FILE).")
    var masterKeyFile: String?

    @Option(help: "A file holding the master passphrase (or set S3EMU_KEYMODULE_PASSPHRASE).")
    var passphraseFile: String?

    @Option(help: "JSON file of keys to create at start (deterministic key ids for tests).")
    var seedFile: String?

    @Flag(help: "Accept the _AdvanceClock operation (tests of rotation and deletion windows).")
    var allowClockControl = false

    @Flag(help: "Exit when stdin closes (set by serve, which supervises the module).")
    var supervised = false

    func run() async throws {
        var logger = Logger(label: "s3emu.keymodule")
        logger.logLevel = .info
        let dirURL = URL(fileURLWithPath: dir).standardizedFileURL
        try FileManager.default.createDirectory(at: dirURL, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(dirURL.path, 0o700)
        // One module per key store: a second one would rebind the socket and write the same store and audit trail.
        let lock: DirectoryLock
        do {
            lock = try DirectoryLock(directory: dirURL, name: "keymodule.lock")
        } catch {
            FileHandle.standardError.write(Data("s3emu keymodule: \(error)\n".utf8))
            throw ExitCode(2)
        }
        defer { lock.release() }
        let source = try masterKeySource()
        if source.isDevelopmentDefault {
            logger.notice("key store sealed with the built-in development passphrase: fine for tests, no protection at rest (give --master-key-file or S3EMU_KEYMODULE_PASSPHRASE)")
        }
        let engine: KeyEngine
        do {
            engine = try KeyEngine(
                storePath: dirURL.appendingPathComponent("keystore.sealed").path, masterKey: source,
                auditPath: dirURL.appendingPathComponent("audit.jsonl").path,
                configuration: .init(region: region, accountId: accountId, allowClockControl: allowClockControl))
        } catch {
            FileHandle.standardError.write(Data("s3emu keymodule: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let seedFile {
            guard let data = FileManager.default.contents(atPath: seedFile) else { throw ValidationError("Cannot read the seed file \(seedFile).") }
            let created = try engine.apply(seeds: try KeyEngine.parseSeeds(data))
            if created > 0 { logger.info("seeded \(created) key(s) from \(seedFile)") }
        }
        let socketPath = socket ?? dirURL.appendingPathComponent("keymodule.sock").path
        try AtomicPid.write(to: dirURL.appendingPathComponent("keymodule.pid").path)
        if supervised { Self.exitWhenStdinCloses() }
        let log = logger
        // One event-loop thread: each request is a few microseconds of work, so a second thread only adds lock
        // hand-offs (futex waits on the engine's and the audit trail's locks) between the server's connections.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        try await KeyModuleServer.serve(engine: engine, socketPath: socketPath, group: group, logger: log) {
            log.debug("key module listening on \(socketPath)")
        }
    }

    func masterKeySource() throws -> MasterKeySource {
        let env = ProcessInfo.processInfo.environment
        if let path = masterKeyFile ?? env["S3EMU_MASTER_KEY_FILE"] { return try MasterKeySource.keyFile(at: path) }
        if let path = passphraseFile {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("Cannot read \(path).") }
            var bytes = Array(data)
            while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
            return .passphrase(SecretBytes(bytes))
        }
        if let p = env["S3EMU_KEYMODULE_PASSPHRASE"], !p.isEmpty { return .passphrase(SecretBytes(Array(p.utf8))) }
        return .development
    }

    /// The supervisor holds our stdin open; when it goes away, so do we.
    static func exitWhenStdinCloses() {
        let thread = Thread {
            var buf = [UInt8](repeating: 0, count: 64)
            while read(0, &buf, 64) > 0 {}
            Foundation.exit(0)
        }
        thread.start()
    }
}

enum AtomicPid {
    static func write(to path: String) throws {
        try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
