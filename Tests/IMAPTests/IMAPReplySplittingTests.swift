import ExomockLimits
import ExomockTestSupport
import Foundation
import IMAPServer
import IMAPWire
import Testing

/// Issue 15, reply splitting: client bytes with CR, LF or NUL (folder names sent as literals, a SEARCH
/// charset) never reach a response line unescaped. Each case answers with exactly the lines it should,
/// none holding CR, LF or NUL inside it, the tagged one on the command's tag.
@Suite struct IMAPReplySplittingTests {
    static let hostile = [
        "x\r\n* BYE injected", "x\r\nz OK injected", "a\0b", "\r\n", "Nope\n* 1 EXISTS", "\u{7F}\u{1B}[2J",
    ]

    /// `<tag> <verb> {n}\r\n<name>` (a synchronising literal inline, as the framer hands it over).
    static func literal(_ name: String) -> String { "{\(name.utf8.count)}\r\n\(name)" }

    /// The commands that put a client's name or string into a refusal.
    static func commands(_ name: String) -> [String] {
        let l = literal(name)
        return [
            "t SELECT \(l)", "t EXAMINE \(l)", "t CREATE \(l)", "t DELETE \(l)", "t RENAME \(l) New",
            "t RENAME Drafts \(l)", "t SUBSCRIBE \(l)", "t UNSUBSCRIBE \(l)", "t STATUS \(l) (MESSAGES)",
            "t APPEND \(l) {5}\r\nhello", "t COPY 1 \(l)", "t MOVE 1 \(l)", "t UID COPY 1 \(l)",
            "t SEARCH CHARSET \(l) ALL", "t LIST \"\" \(l)",
        ]
    }

    /// The response lines of a wire text that has no literals, each checked to be one clean line.
    static func lines(_ wire: String, _ command: String) -> [String] {
        #expect(wire.hasSuffix("\r\n"), "\(command.debugDescription): \(wire.debugDescription)")
        let lines = wire.components(separatedBy: "\r\n").dropLast()
        for line in lines {
            #expect(
                !line.contains("\r") && !line.contains("\n") && !line.contains("\0"),
                "\(command.debugDescription) split a reply: \(wire.debugDescription)")
        }
        return Array(lines)
    }

    @Test(arguments: hostile)
    func hostileNamesNeverSplitAReply(name: String) throws {
        var h = try SessionHarness()
        _ = h.login()
        _ = h.send("s SELECT INBOX")
        for command in Self.commands(name) {
            let output = h.send(command)
            let lines = Self.lines(output.wire, command)
            let tagged = lines.filter { $0.hasPrefix("t ") }
            #expect(tagged.count == 1, "\(command.debugDescription): \(output.wire.debugDescription)")
            #expect(
                lines.allSatisfy { $0.hasPrefix("t ") || $0.hasPrefix("* ") },
                "\(command.debugDescription): \(output.wire.debugDescription)")
            #expect(lines.last?.hasPrefix("t ") == true, "the tagged reply ends the answer: \(lines)")
            _ = h.send("s SELECT INBOX")
        }
    }

    @Test func namesThatCanBeQuotedAreShownQuotedAndOthersLeftOut() throws {
        var h = try SessionHarness()
        _ = h.login()
        #expect(h.wire("a SELECT \"Say \\\"hi\\\"\"") == "a NO The folder \"Say \\\"hi\\\"\" doesn't exist.\r\n")
        #expect(h.wire("b SELECT \(Self.literal("x\r\ny"))") == "b NO The folder \"x&AA0ACg-y\" doesn't exist.\r\n")
        // Over Limits.imapMaximumEchoedTextBytes: left out of the sentence.
        let long = String(repeating: "n", count: Limits.imapMaximumEchoedTextBytes + 1)
        #expect(h.wire("c SELECT \(long)") == "c NO The folder named in the command doesn't exist.\r\n")
        let atLimit = String(repeating: "n", count: Limits.imapMaximumEchoedTextBytes)
        #expect(h.wire("d SELECT \(atLimit)") == "d NO The folder \"\(atLimit)\" doesn't exist.\r\n")
        #expect(
            h.wire("e CREATE \(Self.literal("bad\0name"))")
                == "e NO The folder \"bad&AAA-name\" is not a valid name: it must be non-empty, without empty levels or control characters.\r\n"
        )
        _ = h.send("f SELECT INBOX")
        #expect(
            h.wire("g SEARCH CHARSET \(Self.literal("KOI8\r\nR")) ALL")
                == "g NO [BADCHARSET (US-ASCII UTF-8)] The charset named in the command is not supported; use UTF-8 or US-ASCII.\r\n"
        )
    }

    @Test func everyResponseTextIsSanitizedOnItsWayOut() {
        let output = IMAPOutput([
            .no("t", "a\r\nb\0c\u{E9}"), .bye("x\ny"), .continuation("p\rq"),
            .untaggedStatus("OK", code: "X\r\nY", text: "ok"),
        ])
        #expect(output.wire == "t NO a??b?c?\r\n* BYE x?y\r\n+ p?q\r\n* OK [X??Y] ok\r\n")
    }

    /// Python imaplib sends the names as literals (`M.literal`) over a real listener and still reads
    /// one tagged NO per command, no injected untagged response, and a working session after them.
    @Test func imaplibSendsHostileLiteralsAndReadsOneReplyEach() async throws {
        try await withTimeLimit(90) {
            let live = try await LiveIMAP.start()
            defer { Task { await live.stop() } }
            let (dir, path) = try writeTemp("split.py", pythonReplySplittingScript)
            defer { try? FileManager.default.removeItem(at: dir) }
            let r = try await runClient(
                "python3",
                [path, "127.0.0.1", String(live.implicit.port), live.certificate.certificatePath, imapMailbox],
                package: "python3")
            #expect(r.status == 0, "\(r.output) \(r.error)")
            #expect(r.output.contains("CASES 12"), "\(r.output)")
            #expect(r.output.contains("NOOP OK"), "\(r.output)")
            #expect(!r.output.contains("INJECTED"), "\(r.output)")
        }
    }
}

/// imaplib: log in, then SELECT / CREATE / DELETE / SUBSCRIBE with names sent as literals that hold CR,
/// LF and NUL; each must end in one NO, with no BYE or injected untagged response, and NOOP works after.
let pythonReplySplittingScript = #"""
    import imaplib, ssl, sys
    host, port, cafile, user = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctx = ssl.create_default_context(cafile=cafile)
    M = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
    M.debug = 4
    auth = ("user=%s\x01auth=Bearer good-token\x01\x01" % user).encode()
    M.authenticate("XOAUTH2", lambda _: auth)
    names = [b"x\r\n* BYE injected", b"x\r\nA999 OK injected", b"a\x00b"]
    cases = 0
    for name in names:
        for verb in ["SELECT", "CREATE", "DELETE", "SUBSCRIBE"]:
            M.literal = name
            M.untagged_responses.clear()
            try:
                typ, data = M._simple_command(verb)
            except imaplib.IMAP4.abort as e:
                print("INJECTED abort", verb, e)
                sys.exit(2)
            except imaplib.IMAP4.error as e:
                typ, data = "BAD", [str(e).encode()]
            if typ not in ("NO", "BAD"):
                print("INJECTED", verb, typ, data)
            if "BYE" in M.untagged_responses or "EXISTS" in M.untagged_responses:
                print("INJECTED untagged", verb, M.untagged_responses)
            text = data[-1].decode() if data and data[-1] else ""
            if "injected" in text and "\r" in text:
                print("INJECTED text", verb, text)
            cases += 1
    print("CASES", cases)
    typ, data = M.noop()
    print("NOOP", typ)
    M.logout()
    """#
