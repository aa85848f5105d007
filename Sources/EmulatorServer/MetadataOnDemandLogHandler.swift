import Logging

/// Logs through another handler but keeps metadata to itself until a message is actually logged.
///
/// The HTTP framework sets a request id on its logger for every request. `StreamLogHandler` re-formats all of its
/// metadata on each such change (about 2 % of the server's CPU for a 4 KiB request), although the framework's logger
/// runs at warning level and almost never prints. This handler stores the metadata and hands it to the wrapped handler
/// only for a message that passes the level, so output is exactly what the wrapped handler would write.
struct MetadataOnDemandLogHandler: LogHandler {
    private let inner: any LogHandler
    var metadata: Logger.Metadata
    var logLevel: Logger.Level
    var metadataProvider: Logger.MetadataProvider?

    init(wrapping inner: any LogHandler) {
        self.inner = inner
        metadata = inner.metadata
        logLevel = inner.logLevel
        metadataProvider = inner.metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var handler = inner
        handler.metadata = metadata
        handler.metadataProvider = metadataProvider
        handler.logLevel = logLevel
        handler.log(event: event)
    }
}
