import Exomock
import ExomockTestSupport
import Foundation
import ListenerSupport
import MicrosoftClouds
import ScenarioLoader
import ScenarioModel
import Testing

/// Network faults below TLS against real clients (curl, Python imaplib, poplib and ssl) on a scenario served
/// in this process: what each client's user sees. Faults are added to the live board while serving, so each
/// also shows that a fault applies to the next connection and stops when removed.
@Suite(.serialized)
struct NetworkFaultClientTests {
    struct Live: Sendable {
        let mock: RunningScenario
        var board: FaultBoard { mock.changes.live.faults }
        var ca: String { mock.ready.caFile }

        func listener(_ service: MailService, _ tls: TLSMode = .implicit) throws -> (host: String, port: Int) {
            let l = try #require(mock.ready.listener(cloud: .gccHigh, service: service, tls: tls))
            return (l.host, l.port)
        }

        var tokenURL: String { "\(mock.ready.clouds[0].authorityURL)/contoso.onmicrosoft.us/oauth2/v2.0/token" }

        /// curl's client-credentials request to the token service: (exit status, stderr, stdout).
        func curlToken(url: String? = nil, extra: [String] = []) async throws -> ProgramResult {
            try await runClient(
                "curl",
                [
                    "-sS", "--max-time", "20", "--cacert", ca, "-o", "/dev/null", "-w", "%{http_code}",
                    url ?? tokenURL, "-d", "grant_type=client_credentials",
                    "-d", "client_id=11111111-2222-3333-4444-555555555555", "-d", "client_secret=quickstart-secret",
                    "-d", "scope=https://outlook.office365.us/.default",
                ] + extra, package: "curl", timeout: 30)
        }

        /// Runs a Python script with arguments; its stdout.
        func python(_ script: String, _ arguments: [String]) async throws -> ProgramResult {
            try await runClient("python3", ["-c", script] + arguments, package: "python3", timeout: 60)
        }

        /// Bytes of the plaintext greeting of a STARTTLS listener (read by a client with no fault in force).
        func greetingLength(_ service: MailService) async throws -> Int {
            let l = try listener(service, .starttls)
            let result = try await python(
                """
                import socket, sys
                s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
                data = b""
                while not data.endswith(b"\\r\\n"):
                    data += s.recv(1024)
                print(len(data))
                """, [l.host, String(l.port)])
            return try #require(Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(result)")
        }
    }

    static func serve(handshakeSeconds: Double? = nil, _ body: @escaping @Sendable (Live) async throws -> Void)
        async throws
    {
        var scenario = try ScenarioLoader.load(
            file: TestSupport.repositoryRoot.appendingPathComponent("Scenarios/quickstart.yaml").path)
        scenario.faults = []
        var options = ServeOptions(certificatesDirectory: TestSupport.processCertificatesDirectory("network-faults"))
        if let handshakeSeconds { options.tlsHandshakeTimeoutSeconds = handshakeSeconds }
        let (served, serveOptions) = (scenario, options)
        _ = try await withTimeLimit(240) {
            try await ExomockServer.run(served, options: serveOptions) { mock in try await body(Live(mock: mock)) }
        }
    }

    static func fault(_ service: Fault.Service, _ kind: Fault.Kind, count: Int? = nil) -> Fault {
        Fault(service: service, kind: kind, count: count)
    }

    @Test("reset: curl's user sees 'Connection reset by peer' from the token service; removed, curl gets its token")
    func curlSeesReset() async throws {
        try await Self.serve { live in
            #expect(try await live.curlToken().output == "200")
            let id = live.board.add(Self.fault(.token, .reset))
            let reset = try await live.curlToken()
            #expect(reset.status == 35 || reset.status == 56, "curl: (35) or (56): \(reset)")
            #expect(reset.error.contains("Connection reset by peer"), "\(reset.error)")
            live.board.remove(id: id)
            #expect(try await live.curlToken().output == "200", "removed: the next connection is served")
            let fired = live.mock.journal.events().filter { $0.event == .faultFired }
            #expect(fired.count == 1 && fired.first?.detail["kind"] == "reset", "\(fired)")
        }
    }

    @Test("certificate: curl and Python ssl report an expired certificate and a host name mismatch")
    func certificateProblems() async throws {
        try await Self.serve { live in
            var expired = Self.fault(.token, .certificate)
            expired.certificate = .expired
            var id = live.board.add(expired)
            let curlExpired = try await live.curlToken()
            #expect(curlExpired.status == 60, "\(curlExpired)")
            #expect(curlExpired.error.contains("certificate has expired"), "\(curlExpired.error)")
            live.board.remove(id: id)

            var wrongHost = Self.fault(.token, .certificate)
            wrongHost.certificate = .wrongHost
            id = live.board.add(wrongHost)
            let curlWrongHost = try await live.curlToken()
            #expect(curlWrongHost.status == 60, "\(curlWrongHost)")
            #expect(
                curlWrongHost.error.contains("no alternative certificate subject name matches target host name"),
                "\(curlWrongHost.error)")
            live.board.remove(id: id)
            #expect(try await live.curlToken().output == "200", "the real certificate again")

            // Python's imaplib over implicit TLS with the default context (verification and host name check on).
            let imap = try live.listener(.imap)
            let script = """
                import imaplib, ssl, sys
                context = ssl.create_default_context(cafile=sys.argv[1])
                try:
                    imaplib.IMAP4_SSL(sys.argv[2], int(sys.argv[3]), ssl_context=context, timeout=10)
                    print("connected")
                except ssl.SSLCertVerificationError as error:
                    print("SSLCertVerificationError:", error.verify_message)
                """
            expired.service = .imap
            id = live.board.add(expired)
            let pythonExpired = try await live.python(script, [live.ca, imap.host, String(imap.port)])
            #expect(
                pythonExpired.output.contains("SSLCertVerificationError: certificate has expired"), "\(pythonExpired)")
            live.board.remove(id: id)
            wrongHost.service = .imap
            id = live.board.add(wrongHost)
            let pythonWrongHost = try await live.python(script, [live.ca, imap.host, String(imap.port)])
            #expect(
                pythonWrongHost.output.contains("SSLCertVerificationError: IP address mismatch"), "\(pythonWrongHost)")
            live.board.remove(id: id)
            let fine = try await live.python(script, [live.ca, imap.host, String(imap.port)])
            #expect(fine.output.contains("connected"), "\(fine)")
        }
    }

    @Test("tls_refuse: curl and imaplib (implicit TLS and STARTTLS) see a handshake failure alert")
    func tlsRefused() async throws {
        try await Self.serve { live in
            live.board.add(Self.fault(.token, .tlsRefuse))
            let curl = try await live.curlToken()
            #expect(curl.status == 35, "\(curl)")
            #expect(curl.error.contains("alert handshake failure"), "\(curl.error)")

            live.board.add(Self.fault(.imap, .tlsRefuse))
            let implicit = try live.listener(.imap)
            let starttls = try live.listener(.imap, .starttls)
            let script = """
                import imaplib, ssl, sys
                context = ssl.create_default_context(cafile=sys.argv[1])
                context.check_hostname = False
                try:
                    if sys.argv[4] == "implicit":
                        imaplib.IMAP4_SSL(sys.argv[2], int(sys.argv[3]), ssl_context=context, timeout=10)
                    else:
                        imaplib.IMAP4(sys.argv[2], int(sys.argv[3]), timeout=10).starttls(ssl_context=context)
                    print("connected")
                except ssl.SSLError as error:
                    print("SSLError:", error.reason)
                """
            for (l, mode) in [(implicit, "implicit"), (starttls, "starttls")] {
                let result = try await live.python(script, [live.ca, l.host, String(l.port), mode])
                #expect(result.output.contains("SSLError: SSLV3_ALERT_HANDSHAKE_FAILURE"), "\(mode): \(result)")
            }
        }
    }

    @Test("stall: imaplib times out waiting for the greeting, and, stalled after the greeting, on CAPABILITY")
    func imaplibTimesOutOnStall() async throws {
        try await Self.serve { live in
            let greeting = try await live.greetingLength(.imap)
            let l = try live.listener(.imap, .starttls)
            // imaplib asks CAPABILITY itself after the greeting (Exchange's has none); Debug 4 shows on stderr
            // what it received before timing out.
            let script = """
                import imaplib, sys, time
                imaplib.Debug = 4
                start = time.monotonic()
                try:
                    client = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]), timeout=2)
                    print("answered")
                except TimeoutError as error:
                    print("TimeoutError:", error, round(time.monotonic() - start))
                """
            var stall = Self.fault(.imap, .stall, count: 1)
            live.board.add(stall)
            let atOnce = try await live.python(script, [l.host, String(l.port)])
            #expect(atOnce.output == "TimeoutError: timed out 2\n", "\(atOnce)")
            #expect(!atOnce.error.contains("< b'* OK"), "no greeting: \(atOnce.error)")

            stall.bytes = greeting
            live.board.add(stall)
            let afterGreeting = try await live.python(script, [l.host, String(l.port)])
            #expect(afterGreeting.output == "TimeoutError: timed out 2\n", "\(afterGreeting)")
            #expect(afterGreeting.error.contains("< b'* OK"), "the greeting, then silence: \(afterGreeting.error)")
        }
    }

    @Test("close_after: the FIN cuts an answer: poplib's USER reads a cut status line, imaplib an unterminated line")
    func closeAfterCutsReads() async throws {
        // The cut falls inside the answer to a command the client sent, so the client never writes after the
        // FIN (a write there would draw a reset, and the client would see either).
        try await Self.serve { live in
            let popGreeting = try await live.greetingLength(.pop3)
            var cut = Self.fault(.pop3, .closeAfter, count: 1)
            cut.bytes = popGreeting + 1
            live.board.add(cut)
            let pop = try live.listener(.pop3, .starttls)
            let poplib = try await live.python(
                """
                import poplib, sys
                client = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=10)
                print(client.getwelcome().decode()[:3])
                try:
                    client.user("someone@contoso.onmicrosoft.us")
                except poplib.error_proto as error:
                    print("error_proto:", error)
                """, [pop.host, String(pop.port)])
            #expect(poplib.output == "+OK\nerror_proto: b''\n", "USER's '+' and then EOF: \(poplib)")

            let imapGreeting = try await live.greetingLength(.imap)
            cut.service = .imap
            cut.bytes = imapGreeting + 4
            live.board.add(cut)
            let imap = try live.listener(.imap, .starttls)
            // imaplib's own CAPABILITY at connect (Exchange's greeting has none) gets '* CA', then EOF.
            let imaplib = try await live.python(
                """
                import imaplib, sys
                try:
                    imaplib.IMAP4(sys.argv[1], int(sys.argv[2]), timeout=10)
                except imaplib.IMAP4.abort as error:
                    print("abort:", error)
                """, [imap.host, String(imap.port)])
            #expect(
                imaplib.output == "abort: command: CAPABILITY => socket error: unterminated line: b'* CA'\n",
                "\(imaplib)")
        }
    }
}
