import Foundation
import KeyCore
import KeyModule
@testable import KeyProviders
import Logging
import NIOPosix
import Testing

/// The client against a real module server on a Unix socket, which is stopped and started again under it.
@Suite struct KeyModuleClientTests {
    /// A module serving `engine` on `socket` with an event-loop group of its own, so that shutting the group down
    /// closes the clients' connections as a dying module process would.
    struct RunningModule {
        let group: MultiThreadedEventLoopGroup
        let task: Task<Void, any Error>

        static func start(_ engine: KeyEngine, socket: String) async throws -> RunningModule {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let (bound, signal) = AsyncStream.makeStream(of: Void.self)
            let task = Task {
                try await KeyModuleServer.serve(engine: engine, socketPath: socket, group: group,
                                                logger: Logger(label: "test-module")) { signal.finish() }
            }
            for await _ in bound {}
            return RunningModule(group: group, task: task)
        }

        func stop() async throws {
            try await group.shutdownGracefully()
            task.cancel()
            _ = await task.result
        }
    }

    @Test func callsWorkFailClearlyWhileTheModuleIsDownAndResumeWhenItIsBack() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kmc-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = dir.appendingPathComponent("m.sock").path
        let engine = KeyEngine()
        // A generous timeout: under a parallel test run a reply can wait seconds for a core (the down-module case
        // fails at connect, without waiting).
        let client = KeyModuleClient(socketPath: socket, timeout: .seconds(120))

        var module = try await RunningModule.start(engine, socket: socket)
        let created = try await client.call("CreateKey", caller: "t", json: [:])
        let keyId = try #require((created["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)
        // Many calls over the cached connections, some concurrent.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<25 {
                        let d = try await client.call("DescribeKey", caller: "t", json: ["KeyId": keyId])
                        #expect((d["KeyMetadata"] as? [String: Any])?["KeyId"] as? String == keyId)
                    }
                }
            }
            try await group.waitForAll()
        }

        try await module.stop()
        let fault: KMSFault?
        do {
            _ = try await client.call("DescribeKey", caller: "t", json: ["KeyId": keyId])
            fault = nil
        } catch {
            fault = error
        }
        #expect(fault?.type == "KeyUnavailableException")
        #expect(fault?.message.contains("not reachable") == true)

        module = try await RunningModule.start(engine, socket: socket)
        let again = try await client.call("DescribeKey", caller: "t", json: ["KeyId": keyId])
        #expect((again["KeyMetadata"] as? [String: Any])?["KeyId"] as? String == keyId)
        await client.close()
        try await module.stop()
    }
}
