import Foundation
import KeyProviders
import Logging
import NIOCore
import Synchronization

/// How `serve` runs the key module: as a child process it supervises (the default), or not at all when the
/// module was started separately and only its socket is given.
public struct KeyModuleLaunch: Sendable {
    /// The `s3emu` executable (the module is its `keymodule` subcommand).
    public var executable: String
    /// Arguments after the executable, e.g. `["keymodule", "--dir", …, "--supervised"]`.
    public var arguments: [String]
    /// Extra environment for the child (the master passphrase, when one is given).
    public var environment: [String: String]

    public init(executable: String, arguments: [String], environment: [String: String] = [:]) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }
}

/// Starts the key module, restarts it when it dies, and stops it on shutdown.
///
/// The child gets a pipe as stdin and exits when it reads end-of-file, so it never outlives `serve`, even after a
/// `kill -9` of the parent. Restarts back off from 100 ms to 2 s. While the module is down, KMS calls fail with
/// `KeyUnavailableException`; nothing is lost, because the module's state is on disk, sealed, and written before
/// it answers.
final class KeyModuleSupervisor: Sendable {
    let launch: KeyModuleLaunch
    let client: KeyModuleClient
    let logger: Logger
    private let state = Mutex<SupervisorState>(SupervisorState())

    struct SupervisorState {
        var process: Process?
        var stdin: Pipe?
        var stopping = false
        /// Restarts begin only once the first start succeeded; a module that cannot start is an error for `serve`.
        var started = false
        var exitedDuringStart = false
        var startedAt = ContinuousClock.now
        var delay: Duration = .milliseconds(100)
    }

    init(launch: KeyModuleLaunch, client: KeyModuleClient, logger: Logger) {
        self.launch = launch
        self.client = client
        self.logger = logger
    }

    /// Starts the module and waits until its socket answers (or `timeout` passes).
    func start(timeout: Duration = .seconds(20)) async throws {
        try spawn()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await isAnswering() {
                state.withLock { $0.started = true }
                return
            }
            if state.withLock({ $0.exitedDuringStart }) {
                throw KeyModuleStartError(message: "the key module exited during start-up (see its message above)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw KeyModuleStartError(message: "the key module did not answer on \(client.socketPath) within \(timeout)")
    }

    struct KeyModuleStartError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    func isAnswering() async -> Bool {
        do {
            _ = try await client.call("_Ping", caller: "s3emu-supervisor", body: [])
            return true
        } catch {
            return false
        }
    }

    private func spawn() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: launch.executable)
        p.arguments = launch.arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in launch.environment { env[k] = v }
        p.environment = env
        let pipe = Pipe()
        p.standardInput = pipe
        p.terminationHandler = { [weak self] proc in self?.exited(proc) }
        try p.run()
        state.withLock { $0.process = p; $0.stdin = pipe; $0.startedAt = .now }
        logger.debug("key module started", metadata: ["pid": "\(p.processIdentifier)"])
    }

    private func exited(_ proc: Process) {
        let (stopping, delay0) = state.withLock { s -> (Bool, Duration) in
            if s.process === proc { s.process = nil; s.stdin = nil }
            if !s.started { s.exitedDuringStart = true; return (true, .zero) }
            // A module that dies soon after starting is restarted more and more slowly (up to 2 s).
            s.delay = ContinuousClock.now - s.startedAt < .seconds(2) ? min(s.delay * 2, .seconds(2)) : .milliseconds(100)
            return (s.stopping, s.delay)
        }
        guard !stopping else { return }
        logger.warning("the key module exited (status \(proc.terminationStatus)); restarting it")
        Task {
            var delay = delay0
            while !state.withLock({ $0.stopping }) {
                try? await Task.sleep(for: delay)
                do {
                    try spawn()
                    return
                } catch {
                    logger.error("could not restart the key module: \(error)")
                    delay = min(delay * 2, .seconds(2))
                }
            }
        }
    }

    /// Stops the module (SIGTERM, then its stdin closes) and does not restart it.
    func stop() {
        let (p, pipe) = state.withLock { s -> (Process?, Pipe?) in
            s.stopping = true
            return (s.process, s.stdin)
        }
        if let p, p.isRunning { p.terminate() }
        try? pipe?.fileHandleForWriting.close()
        p?.waitUntilExit()
    }
}
