import Foundation

/// The server-name token Exchange puts at the end of its IMAP4 and POP3 greetings
/// (`... service is ready. [TQBOADIA...]`): base64 of the server name in UTF-16LE. One function, so the two
/// greetings cannot drift.
public enum ExchangeServerName {
    /// Base64 of `serverName`'s UTF-16 code units, low byte first.
    public static func greetingToken(_ serverName: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(serverName.utf16.count * 2)
        for unit in serverName.utf16 {
            bytes.append(UInt8(truncatingIfNeeded: unit))
            bytes.append(UInt8(truncatingIfNeeded: unit >> 8))
        }
        return Data(bytes).base64EncodedString()
    }
}
