/// The key module's socket protocol, version 1: length-prefixed frames over a Unix socket.
///
/// ```
/// frame    = u32be(length of the rest) ‖ u8 version (=1) ‖ u8 kind ‖ u64be requestId ‖ payload
/// kind 1   request:   u16be(len op) ‖ op (UTF-8, a KMS operation name such as "GenerateDataKey")
///                     ‖ u16be(len caller) ‖ caller (UTF-8: the access key or "s3") ‖ body (KMS JSON 1.1 request)
/// kind 2   success:   body (KMS JSON 1.1 response)
/// kind 3   error:     body = {"__type": "...", "message": "..."}
/// ```
/// Requests on one connection may be answered out of order; `requestId` pairs them. A frame longer than
/// ``maxFrame`` or with an unknown version closes the connection. The module answers every operation the KMS
/// API serves, so the KMS front end only authenticates and forwards, and key material never crosses the socket
/// except as the data keys and plaintexts KMS itself returns.
public struct KeyModuleMessage: Sendable, Equatable {
    public enum Kind: UInt8, Sendable { case request = 1, success = 2, error = 3 }

    public static let version: UInt8 = 1
    public static let maxFrame = 1 << 20

    public var kind: Kind
    public var requestId: UInt64
    public var operation: String
    public var caller: String
    public var body: [UInt8]

    public init(kind: Kind, requestId: UInt64, operation: String = "", caller: String = "", body: [UInt8]) {
        self.kind = kind
        self.requestId = requestId
        self.operation = operation
        self.caller = caller
        self.body = body
    }

    /// The whole frame, length prefix included.
    public func encoded() -> [UInt8] {
        var rest: [UInt8] = [Self.version, kind.rawValue]
        rest.reserveCapacity(16 + operation.utf8.count + caller.utf8.count + body.count)
        rest.appendU64(requestId)
        if kind == .request {
            let op = Array(operation.utf8.prefix(0xFFFF)), who = Array(caller.utf8.prefix(0xFFFF))
            rest.append(UInt8(op.count >> 8)); rest.append(UInt8(op.count & 0xFF)); rest += op
            rest.append(UInt8(who.count >> 8)); rest.append(UInt8(who.count & 0xFF)); rest += who
        }
        rest += body
        var frame: [UInt8] = []
        frame.reserveCapacity(4 + rest.count)
        frame.appendU32(UInt32(rest.count))
        return frame + rest
    }

    public enum DecodeError: Error, Sendable { case unsupportedVersion(UInt8), badKind(UInt8), truncated, tooLarge }

    /// Decodes the part of a frame after its length prefix.
    public static func decode(_ rest: [UInt8]) throws(DecodeError) -> KeyModuleMessage {
        guard rest.count >= 10 else { throw .truncated }
        guard rest[0] == version else { throw .unsupportedVersion(rest[0]) }
        guard let kind = Kind(rawValue: rest[1]) else { throw .badKind(rest[1]) }
        let id = rest.readU64(at: 2)
        var at = 10
        var op = "", caller = ""
        if kind == .request {
            func string() throws(DecodeError) -> String {
                guard at + 2 <= rest.count else { throw .truncated }
                let n = Int(rest[at]) << 8 | Int(rest[at + 1])
                guard at + 2 + n <= rest.count else { throw .truncated }
                defer { at += 2 + n }
                return String(decoding: rest[(at + 2)..<(at + 2 + n)], as: UTF8.self)
            }
            op = try string()
            caller = try string()
        }
        return KeyModuleMessage(kind: kind, requestId: id, operation: op, caller: caller, body: Array(rest[at...]))
    }
}
