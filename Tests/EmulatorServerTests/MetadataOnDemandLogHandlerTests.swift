import Logging
import NIOConcurrencyHelpers
import Testing

@testable import EmulatorServer

@Suite struct MetadataOnDemandLogHandlerTests {
    /// Records what reaches it: each message with the metadata it had, and how often its metadata was set.
    struct Recorder: LogHandler {
        let lines: NIOLockedValueBox<[String]>
        let metadataWrites: NIOLockedValueBox<Int>
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:] {
            didSet { metadataWrites.withLockedValue { $0 += 1 } }
        }
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let meta = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            lines.withLockedValue { $0.append("\(event.level) [\(meta)] \(event.message)") }
        }
    }

    @Test func metadataReachesTheWrappedHandlerOnlyWithAMessage() {
        let lines = NIOLockedValueBox<[String]>([])
        let writes = NIOLockedValueBox(0)
        var logger = Logger(label: "t") { _ in Recorder(lines: lines, metadataWrites: writes) }
        logger.handler = MetadataOnDemandLogHandler(wrapping: logger.handler)
        logger.logLevel = .warning
        for i in 0..<100 {
            var perRequest = logger
            perRequest[metadataKey: "hb.request.id"] = "\(i)"
            perRequest.info("not printed at warning level")
        }
        #expect(writes.withLockedValue { $0 } == 0, "setting metadata formats nothing")
        logger[metadataKey: "hb.request.id"] = "42"
        logger.warning("printed", metadata: ["extra": "1"])
        logger.debug("filtered")
        #expect(lines.withLockedValue { $0 } == ["warning [hb.request.id=42] printed"])
        #expect(logger[metadataKey: "hb.request.id"] == "42")
    }
}
