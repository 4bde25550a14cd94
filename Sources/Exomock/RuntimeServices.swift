import AdminAPI
import Determinism
import EntraTokenService
import EntraTokens
import ExomockLimits
import Foundation
import Hummingbird
import HummingbirdTLS
import IMAPServer
import Journal
import ListenerSupport
import Logging
import MailAuthentication
import MailStore
import MicrosoftClouds
import NIOCore
import NIOPosix
import NIOSSL
import POP3Server
import Prometheus
import SMTPServer
import ScenarioModel
import ServiceLifecycle
import TestAuthority

/// Collects the ports HTTP servers report once they listen.
actor Readiness {
    private var expected = Int.max
    private var ports: [String: Int] = [:]
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var cancelled: Set<Int> = []
    private var nextWaiter = 0

    func expect(_ count: Int) {
        expected = count
        resumeIfDone()
    }

    func started(_ name: String, port: Int) {
        ports[name] = port
        resumeIfDone()
    }

    /// The ports by server name once all expected servers listen; throws if the task is cancelled
    /// first (a server failed to start).
    func waitForAll() async throws -> [String: Int] {
        nextWaiter += 1
        let id = nextWaiter
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if ports.count >= expected || cancelled.contains(id) {
                    continuation.resume()
                } else {
                    waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
        try Task.checkCancellation()
        return ports
    }

    private func cancel(_ id: Int) {
        cancelled.insert(id)
        waiters.removeValue(forKey: id)?.resume()
    }

    private func resumeIfDone() {
        guard ports.count >= expected else { return }
        for waiter in waiters.values { waiter.resume() }
        waiters = [:]
    }
}

/// Runs a service and names it in any error, so "port in use" says which listener.
struct LabeledService: Service {
    let what: String
    let host: String
    let port: Int
    let base: any Service

    func run() async throws {
        do {
            try await base.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ServeError.portInUse(what: what, host: host, port: port)
        } catch let error as IOError {
            throw ServeError.bindFailed(what: what, host: host, port: port, reason: error.description)
        }
    }
}

/// Keeps the mail listeners open until shutdown, then says goodbye and closes them.
struct MailListenersService: Service {
    let listeners: [MailListener]
    let servers: [any MailProtocolServer]

    func run() async throws {
        try? await gracefulShutdown()
        for server in servers { server.beginShutdown() }
        for listener in listeners { await listener.close() }
    }
}
