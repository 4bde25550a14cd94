import ExomockLimits
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// What every exomock HTTP server (the token services and the admin API) checks before a route sees a
/// request, so no client can hold a connection or memory without bound:
///
/// - no `Host` header: `400` (RFC 9112 §3.2 requires one in HTTP/1.1);
/// - a `Content-Length` above `Limits.httpMaximumBodySize`: `413` at once, before a byte of the body is
///   read (a client announcing 1 TB and sending nothing is answered, not waited for);
/// - a body (chunked or not) that grows past the limit: `413` as soon as it does;
/// - a body not complete within `Limits.httpBodyReadTimeoutSeconds` of its header: `408`.
///
/// Each refusal carries `Connection: close`, which `CloseAfterResponseHandler` honours. The body, once read,
/// replaces the request's stream, so routes' own `collect(upTo:)` returns at once.
/// The header itself is bounded by Hummingbird's idle timeout (`Limits.httpHeaderReadTimeoutSeconds`,
/// set on each server): bytes of a header that never ends do not count as activity.
public enum HTTPRequestGuard {
    /// Hummingbird's idle timeout for every exomock HTTP server: a request header must be complete
    /// this long after the connection opens or the last answer was written (a keep-alive connection
    /// idle this long is closed too).
    public static let headerReadTimeout = TimeAmount.milliseconds(Int64(Limits.httpHeaderReadTimeoutSeconds * 1000))

    /// nil when the request may go on (its body read into memory), else the answer to send instead.
    public static func admit(
        _ request: inout Request,
        maximumBodySize: Int = Limits.httpMaximumBodySize,
        bodyReadTimeout: Duration = .milliseconds(Int64(Limits.httpBodyReadTimeoutSeconds * 1000))
    ) async -> Response? {
        if let refusal = checkHead(request, maximumBodySize: maximumBodySize) { return refusal }
        return await readBody(&request, maximumBodySize: maximumBodySize, timeout: bodyReadTimeout)
    }

    /// The checks on the header alone: a `Host`, and a `Content-Length` within the limit.
    public static func checkHead(_ request: Request, maximumBodySize: Int = Limits.httpMaximumBodySize) -> Response? {
        guard let authority = request.head.authority, !authority.isEmpty else {
            return refusal(
                .badRequest, "the request has no Host header",
                fix: "Send one (HTTP/1.1 requires it): Host: 127.0.0.1:<port>, as curl and every HTTP library do.")
        }
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), length >= 0 else {
                return refusal(
                    .badRequest, "Content-Length '\(declared.prefix(40))' is not a number of bytes",
                    fix: "Send the body's length in bytes, or use chunked transfer encoding.")
            }
            guard length <= maximumBodySize else {
                return tooLarge(maximumBodySize)
            }
        }
        return nil
    }

    /// Reads the whole body, within the size limit and the time limit, into the request.
    public static func readBody(
        _ request: inout Request,
        maximumBodySize: Int = Limits.httpMaximumBodySize,
        timeout bodyReadTimeout: Duration = .milliseconds(Int64(Limits.httpBodyReadTimeoutSeconds * 1000))
    ) async -> Response? {
        let body = request.body
        let outcome = await withTaskGroup(of: BodyOutcome.self) { group in
            group.addTask {
                do {
                    return .complete(try await body.collect(upTo: maximumBodySize))
                } catch is NIOTooManyBytesError {
                    return .tooLarge
                } catch {
                    return .failed
                }
            }
            group.addTask {
                try? await Task.sleep(for: bodyReadTimeout)
                return .timedOut
            }
            let first = await group.next() ?? .failed
            group.cancelAll()
            return first
        }
        switch outcome {
        case .complete(let buffer):
            request.body = RequestBody(buffer: buffer)
            return nil
        case .tooLarge:
            return tooLarge(maximumBodySize)
        case .timedOut, .failed:
            return refusal(
                .requestTimeout,
                "the request body did not arrive within \(Limits.httpBodyReadTimeoutSeconds) s of its header",
                fix: "Send the whole body at once, with a Content-Length that matches it.")
        }
    }

    enum BodyOutcome: Sendable {
        case complete(ByteBuffer)
        case tooLarge
        case timedOut
        case failed
    }

    static func tooLarge(_ maximum: Int) -> Response {
        refusal(
            .contentTooLarge, "the request body is larger than \(maximum) bytes",
            fix: "Send at most \(maximum) bytes; exomock's requests (token, admin) need far less.")
    }

    /// An error answer that also closes the connection.
    static func refusal(_ status: HTTPResponse.Status, _ message: String, fix: String) -> Response {
        var response = AdminJSON.error(status, message, fix: fix)
        response.headers[.connection] = "close"
        return response
    }
}

/// Closes a connection once a response carrying `Connection: close` is written: Hummingbird only closes
/// when the request asked for it, and a refused request's unread body must not be waited for.
/// Added to each HTTP server's pipeline (`HTTP1Channel.Configuration.additionalChannelHandlers`).
public final class CloseAfterResponseHandler: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private var closing = false

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            closing = response.headerFields[.connection]?.lowercased() == "close"
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closing else {
                context.write(data, promise: promise)
                return
            }
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        }
    }
}
