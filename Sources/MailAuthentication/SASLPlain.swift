import Foundation

/// The SASL `PLAIN` message (RFC 4616 §2): base64 of `[authzid] NUL authcid NUL passwd`, as IMAP
/// `AUTHENTICATE PLAIN` and POP3 `AUTH PLAIN` carry it. One parser, so both protocols judge a PLAIN
/// response the same way.
public struct SASLPlain: Sendable, Equatable {
    /// The identity to act as (`authzid`); nil when empty (act as `user`).
    public var authorizationIdentity: String?
    /// The authentication identity (`authcid`): the user name.
    public var user: String
    public var password: String

    public init(authorizationIdentity: String? = nil, user: String, password: String) {
        self.authorizationIdentity = authorizationIdentity
        self.user = user
        self.password = password
    }

    /// Why a PLAIN response was refused; the raw value is the journal's `detail`.
    public enum Failure: String, Error, Sendable, Equatable {
        case invalidBase64 = "invalid base64"
        case notThreeFields = "not authzid NUL user NUL password"
        /// RFC 4616: `authcid = 1*SAFE`.
        case emptyUser = "empty user name"
        /// RFC 4616: `passwd = 1*SAFE`.
        case emptyPassword = "empty password"
    }

    /// Decodes a base64 PLAIN response. Missing `=` padding is tolerated (some clients strip it).
    public static func parse(base64 text: String) -> Result<SASLPlain, Failure> {
        var padded = text.trimmingCharacters(in: .whitespaces)
        if padded.utf8.count % 4 != 0 { padded += String(repeating: "=", count: 4 - padded.utf8.count % 4) }
        guard let data = Data(base64Encoded: padded) else { return .failure(.invalidBase64) }
        let fields = data.split(separator: 0, omittingEmptySubsequences: false)
        guard fields.count == 3 else { return .failure(.notThreeFields) }
        guard !fields[1].isEmpty else { return .failure(.emptyUser) }
        guard !fields[2].isEmpty else { return .failure(.emptyPassword) }
        let authzid = String(decoding: fields[0], as: UTF8.self)
        return .success(
            SASLPlain(
                authorizationIdentity: authzid.isEmpty ? nil : authzid,
                user: String(decoding: fields[1], as: UTF8.self),
                password: String(decoding: fields[2], as: UTF8.self)))
    }
}
