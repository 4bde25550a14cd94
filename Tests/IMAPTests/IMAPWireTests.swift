import ExomockLimits
import IMAPWire
import NIOCore
import Testing

/// Feeds `input` to a framer in chunks of `chunk` bytes and collects the frames.
func frames(_ input: String, chunk: Int = .max, framer: IMAPFramer = IMAPFramer()) -> [IMAPFrame] {
    frames(Array(input.utf8), chunk: chunk, framer: framer)
}

func frames(_ bytes: [UInt8], chunk: Int = .max, framer start: IMAPFramer = IMAPFramer()) -> [IMAPFrame] {
    var framer = start
    var out: [IMAPFrame] = []
    var buffer = ByteBuffer()
    var i = 0
    while i < bytes.count {
        let end = min(bytes.count, i + max(1, min(chunk, bytes.count)))
        buffer.writeBytes(bytes[i..<end])
        i = end
        while let frame = framer.next(from: &buffer) { out.append(frame) }
        #expect(buffer.readableBytes == 0, "the framer must consume every byte it is given")
    }
    return out
}

func command(_ s: String) -> IMAPFrame { .command(Array(s.utf8)) }

@Suite struct IMAPFramerTests {
    @Test(arguments: [1, 2, 3, 7, 1000])
    func linesAndLiteralsInAnyChunking(chunk: Int) {
        let input = "a1 NOOP\r\na2 LOGIN {4}\r\nuser {4+}\r\npass\r\na3 APPEND Inbox {0}\r\n\r\n"
        #expect(
            frames(input, chunk: chunk) == [
                command("a1 NOOP"), .continuationNeeded, command("a2 LOGIN {4}\r\nuser {4+}\r\npass"),
                .continuationNeeded, command("a3 APPEND Inbox {0}\r\n"),
            ])
    }

    @Test func bareLFIsAccepted() {
        #expect(frames("a NOOP\nb NOOP\r\n") == [command("a NOOP"), command("b NOOP")])
    }

    @Test func unterminatedLiteralWaits() {
        #expect(frames("a APPEND Inbox {10}\r\nabc") == [.continuationNeeded])
    }

    @Test func lineLimitIsEnforcedWithTagAndResync() {
        let framer = IMAPFramer(maximumLineLength: 32)
        let long = "t9 SELECT " + String(repeating: "x", count: 40) + "\r\nt10 NOOP\r\n"
        #expect(
            frames(long, chunk: 5, framer: framer) == [
                .rejected(tag: "t9", reason: .lineTooLong(limit: 32)), command("t10 NOOP"),
            ])
        // The default limit, crossed by one byte.
        let atLimit = "a " + String(repeating: "x", count: Limits.imapMaximumLineLength - 4) + "\r\n"
        #expect(atLimit.utf8.count == Limits.imapMaximumLineLength)
        #expect(
            frames(atLimit).count == 1
                && frames(atLimit).first
                    != .rejected(tag: "a", reason: .lineTooLong(limit: Limits.imapMaximumLineLength))
        )
        let over = "a " + String(repeating: "x", count: Limits.imapMaximumLineLength - 3) + "\r\n"
        #expect(frames(over) == [.rejected(tag: "a", reason: .lineTooLong(limit: Limits.imapMaximumLineLength))])
    }

    @Test func endlessLineUsesNoMemory() {
        var framer = IMAPFramer(maximumLineLength: 64)
        var buffer = ByteBuffer()
        for _ in 0..<1000 {
            buffer.writeBytes(Array(repeating: UInt8(ascii: "x"), count: 1000))
            #expect(framer.next(from: &buffer) == nil)
        }
        buffer.writeString("\r\n")
        #expect(framer.next(from: &buffer) == .rejected(tag: "*", reason: .lineTooLong(limit: 64)))
    }

    @Test func hugeLiteralAnnouncementsAreRefusedBeforeAnyByte() {
        let limit = Limits.imapMaximumLiteralSize
        #expect(
            frames("a APPEND Inbox {\(limit + 1)}\r\n") == [
                .rejected(tag: "a", reason: .literalTooLarge(size: "\(limit + 1)", limit: limit))
            ])
        #expect(frames("a APPEND Inbox {\(limit)}\r\n") == [.continuationNeeded])
        #expect(
            frames("a APPEND Inbox {99999999999999999999999}\r\n") == [
                .rejected(tag: "a", reason: .literalTooLarge(size: "99999999999999999999...", limit: limit))
            ])
        // Non-synchronising: the bytes follow regardless, so the connection cannot be resynchronised.
        #expect(
            frames("b APPEND Inbox {\(limit + 1)+}\r\n") == [
                .fatal(tag: "b", reason: .literalTooLarge(size: "\(limit + 1)", limit: limit))
            ])
    }

    @Test func literalCountLimit() {
        let max = Limits.imapMaximumLiteralsPerCommand
        var ok = "a ID ("
        for _ in 0..<max { ok += "{1+}\r\nx " }
        ok += ")\r\n"
        #expect(frames(ok).count == 1)
        var over = "a ID ("
        for _ in 0...max { over += "{1+}\r\nx " }
        over += ")\r\n"
        #expect(frames(over).contains(.rejected(tag: "a", reason: .tooManyLiterals(limit: max))))
    }

    @Test func tagRecovery() {
        #expect(IMAPFramer.tag(of: Array("A001 FOO".utf8)) == "A001")
        #expect(IMAPFramer.tag(of: Array(" FOO".utf8)) == "*")
        #expect(IMAPFramer.tag(of: Array("a(b FOO".utf8)) == "*")
        #expect(IMAPFramer.tag(of: Array("+x FOO".utf8)) == "*")
    }
}

func parse(_ s: String) -> Result<TaggedCommand, IMAPParseError> { IMAPParser().parse(Array(s.utf8)) }
func parsed(_ s: String) -> IMAPCommand? { try? parse(s).get().command }
func badText(_ s: String) -> String? {
    if case .failure(let e) = parse(s) { return "\(e.tag) BAD \(e.text)" }
    return nil
}

@Suite struct IMAPParserTests {
    @Test func simpleCommands() {
        #expect(parsed("a capability") == .capability)
        #expect(parsed("a NOOP") == .noop)
        #expect(parsed("a LOGOUT") == .logout)
        #expect(parsed("a STARTTLS") == .startTLS)
        #expect(parsed("a1.2 IDLE") == .idle)
        #expect(parsed("a ID NIL") == .id(nil))
        #expect(
            parsed(#"a ID ("name" "Thunderbird" "version" NIL)"#)
                == .id([IDPair(key: "name", value: "Thunderbird"), IDPair(key: "version", value: nil)]))
        #expect(
            parsed("a AUTHENTICATE xoauth2 dXNlcj0=")
                == .authenticate(mechanism: "XOAUTH2", initialResponse: "dXNlcj0="))
        #expect(parsed("a AUTHENTICATE XOAUTH2") == .authenticate(mechanism: "XOAUTH2", initialResponse: nil))
        #expect(parsed(#"a LOGIN "me@x.com" {3}"# + "\r\npwd") == .login(user: "me@x.com", password: "pwd"))
        #expect(parsed(#"a SELECT "Sent Items""#) == .select("Sent Items"))
        #expect(parsed("a EXAMINE INBOX") == .examine("INBOX"))
        #expect(parsed(#"a LIST "" "*""#) == .list(reference: "", pattern: "*"))
        #expect(parsed(#"a LSUB "" %"#) == .lsub(reference: "", pattern: "%"))
        #expect(parsed("a STATUS INBOX (MESSAGES UIDNEXT unseen)") == .status("INBOX", [.messages, .uidNext, .unseen]))
        #expect(parsed("a RENAME Old New") == .rename(from: "Old", to: "New"))
        #expect(parsed("a UID EXPUNGE 1:3") == .uidExpunge(SequenceSet([.init(.number(1), .number(3))])))
    }

    @Test func appendWithFlagsAndDate() throws {
        let cmd = parsed("a APPEND Drafts (\\Seen \\Draft) \"05-Jan-2026 10:00:00 +0100\" {5}\r\nhello")
        let date = IMAPDateTime(
            date: IMAPDate(year: 2026, month: 1, day: 5), hour: 10, minute: 0, second: 0, zoneMinutes: 60)
        #expect(
            cmd == .append(mailbox: "Drafts", flags: ["\\Seen", "\\Draft"], date: date, message: Array("hello".utf8)))
        #expect(date.secondsSince1970 == 1_767_603_600)
    }

    @Test func fetchItemsAndSections() {
        let cmd = parsed(
            "a UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From Subject)] BODY[1.2.MIME] BODY[]<0.16384> RFC822.SIZE)"
        )
        #expect(
            cmd
                == .fetch(
                    SequenceSet([.init(.number(1), .last)]),
                    [
                        .uid, .flags,
                        .body(section: Section(text: .headerFields(["From", "Subject"])), peek: true, partial: nil),
                        .body(section: Section(part: [1, 2], text: .mime), peek: false, partial: nil),
                        .body(section: Section(), peek: false, partial: PartialRange(offset: 0, count: 16384)),
                        .rfc822Size,
                    ], uid: true))
        #expect(
            parsed("a FETCH 1 FAST")
                == .fetch(
                    SequenceSet([.init(.number(1), .number(1))]), [.flags, .internalDate, .rfc822Size], uid: false))
        #expect(
            parsed("a FETCH 2,4:5 BODY")
                == .fetch(
                    SequenceSet([.init(.number(2), .number(2)), .init(.number(4), .number(5))]),
                    [.bodyStructureNonExtensible], uid: false))
    }

    @Test func searchKeys() {
        #expect(parsed("a SEARCH UNSEEN") == .search(charset: nil, .unseen, uid: false))
        #expect(
            parsed("a UID SEARCH CHARSET UTF-8 OR FROM alice SUBJECT \"printer fire\" NOT DELETED SINCE 1-Feb-2026")
                == .search(
                    charset: "UTF-8",
                    .and([
                        .or(.from("alice"), .subject("printer fire")), .not(.deleted),
                        .since(IMAPDate(year: 2026, month: 2, day: 1)),
                    ]),
                    uid: true))
        #expect(
            parsed("a SEARCH (LARGER 100 SMALLER 5000) UID 1:4 2,3 HEADER X-Lab-Seq 7")
                == .search(
                    charset: nil,
                    .and([
                        .and([.larger(100), .smaller(5000)]), .uid(SequenceSet([.init(.number(1), .number(4))])),
                        .sequence(SequenceSet([.init(.number(2), .number(2)), .init(.number(3), .number(3))])),
                        .header("X-Lab-Seq", "7"),
                    ]),
                    uid: false))
    }

    @Test func storeCopyMove() {
        #expect(
            parsed("a STORE 1:2 +FLAGS.SILENT (\\Deleted)")
                == .store(
                    SequenceSet([.init(.number(1), .number(2))]), .add, silent: true, flags: ["\\Deleted"], uid: false))
        #expect(
            parsed("a UID STORE 5 -FLAGS \\Seen")
                == .store(
                    SequenceSet([.init(.number(5), .number(5))]), .remove, silent: false, flags: ["\\Seen"], uid: true))
        #expect(
            parsed("a UID MOVE 5 Archive") == .move(SequenceSet([.init(.number(5), .number(5))]), "Archive", uid: true))
        #expect(
            parsed("a COPY 1:* \"Deleted Items\"")
                == .copy(SequenceSet([.init(.number(1), .last)]), "Deleted Items", uid: false))
    }

    @Test func malformedInputGetsTaggedBAD() {
        #expect(badText("a FROB") == "a BAD Command Error. 12 Unknown command FROB.")
        #expect(
            badText("") == "* BAD Command Error. 12 The command has no tag; start each command with a tag such as a1.")
        #expect(
            badText(" NOOP")
                == "* BAD Command Error. 12 The command has no tag; start each command with a tag such as a1.")
        #expect(badText("a") == "a BAD Command Error. 12 Expected a space and a command after the tag.")
        #expect(badText("a FETCH 0 FLAGS")?.hasPrefix("a BAD Command Argument Error. 11") == true)
        #expect(badText("a FETCH 1:x FLAGS")?.hasPrefix("a BAD Command Argument Error. 11 Bad sequence set") == true)
        #expect(badText("a FETCH , FLAGS")?.hasPrefix("a BAD Command Argument Error. 11 Bad sequence set") == true)
        #expect(badText("a FETCH 99999999999 FLAGS")?.hasPrefix("a BAD Command Argument Error. 11") == true)
        #expect(badText("a SELECT \"unterminated")?.contains("Unterminated quoted string") == true)
        #expect(badText("a SELECT {10}\r\nabc")?.contains("Literal shorter than announced") == true)
        #expect(badText("a NOOP extra")?.contains("Unexpected text after") == true)
        #expect(badText("a SEARCH SINCE 31-Foo-2026")?.contains("Bad date") == true)
        #expect(badText("a SELECT \u{00e9}t\u{00e9}") != nil)
        #expect(badText("a\u{00e9} NOOP")?.hasPrefix("a BAD Command Error. 12") == true)
        #expect(badText("a FETCH 1 (FLAGS")?.contains("Unbalanced") == true || badText("a FETCH 1 (FLAGS") != nil)
        #expect(badText("a UID FROB 1") == "a BAD Command Error. 12 Unknown command UID FROB.")
        #expect(badText("a STATUS INBOX ()")?.contains("at least one") == true)
        #expect(badText("a APPEND Inbox hello")?.contains("literal") == true)
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let deep = "a SEARCH " + String(repeating: "(", count: 3000) + "ALL" + String(repeating: ")", count: 3000)
        #expect(
            badText(deep)
                == "a BAD Command Argument Error. 11 Nesting deeper than \(Limits.imapMaximumNestingDepth) levels (Limits.imapMaximumNestingDepth)."
        )
        let nots = "a SEARCH " + String(repeating: "NOT ", count: 3000) + "ALL"
        #expect(badText(nots)?.contains("Nesting deeper") == true)
        let ok = "a SEARCH " + String(repeating: "NOT ", count: Limits.imapMaximumNestingDepth - 1) + "ALL"
        #expect(parsed(ok) != nil)
    }

    @Test func thousandPipelinedCommandsAllFrameAndParse() {
        let input = String(repeating: "a NOOP\r\n", count: 1000)
        let all = frames(input, chunk: 97)
        #expect(all.count == 1000)
        for f in all {
            guard case .command(let bytes) = f else {
                Issue.record("not a command")
                continue
            }
            #expect(IMAPParser().parse(bytes).map(\.command) == .success(.noop))
        }
    }
}

@Suite struct IMAPEncoderTests {
    func wire(_ r: IMAPResponse) -> String { String(decoding: r.encoded(), as: UTF8.self) }

    @Test func statusLinesAndData() {
        #expect(wire(.ok("a1", "LOGOUT completed.")) == "a1 OK LOGOUT completed.\r\n")
        #expect(wire(.ok("a2", "SELECT completed.", code: "READ-WRITE")) == "a2 OK [READ-WRITE] SELECT completed.\r\n")
        #expect(
            wire(.bye("Microsoft Exchange Server IMAP4 server signing off."))
                == "* BYE Microsoft Exchange Server IMAP4 server signing off.\r\n")
        #expect(wire(.continuation("")) == "+ \r\n")
        #expect(wire(.capability(["IMAP4", "IMAP4rev1"])) == "* CAPABILITY IMAP4 IMAP4rev1\r\n")
        #expect(wire(.exists(3)) == "* 3 EXISTS\r\n")
        #expect(
            wire(.list(attributes: ["\\HasNoChildren", "\\Sent"], delimiter: "/", name: "Sent Items"))
                == "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n")
        #expect(
            wire(.list(attributes: ["\\HasNoChildren"], delimiter: "/", name: "INBOX"))
                == "* LIST (\\HasNoChildren) \"/\" INBOX\r\n")
        #expect(
            wire(.status(name: "INBOX", [(.messages, 3), (.unseen, 1)])) == "* STATUS INBOX (MESSAGES 3 UNSEEN 1)\r\n")
        #expect(wire(.search([])) == "* SEARCH\r\n")
        #expect(wire(.search([1, 5])) == "* SEARCH 1 5\r\n")
        #expect(
            wire(
                .id([
                    IDPair(key: "name", value: "Microsoft.Exchange.Imap4.Imap4Server"),
                    IDPair(key: "version", value: "15.20"),
                ]))
                == "* ID (\"name\" \"Microsoft.Exchange.Imap4.Imap4Server\" \"version\" \"15.20\")\r\n")
        #expect(wire(.namespace(#"(("" "/")) NIL NIL"#)) == "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n")
    }

    @Test func fetchWithLiteralsAndQuoting() {
        let r = IMAPResponse.fetch(
            1,
            [
                FetchItem("UID", .number(7)), FetchItem("FLAGS", .list([.atom("\\Seen")])),
                FetchItem("BODY[]<0>", .literal(Array("ab\r\n".utf8))), FetchItem("X", .text("say \"hi\" \\ ok")),
                FetchItem("Y", .text("line\r\nbreak")),
            ])
        #expect(
            wire(r)
                == "* 1 FETCH (UID 7 FLAGS (\\Seen) BODY[]<0> {4}\r\nab\r\n X \"say \\\"hi\\\" \\\\ ok\" Y {11}\r\nline\r\nbreak)\r\n"
        )
        #expect(r.description.contains("[4 bytes]"))
    }
}

@Suite struct ModifiedUTF7Tests {
    @Test func rfc3501Examples() {
        #expect(ModifiedUTF7.encode("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
        #expect(ModifiedUTF7.decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-") == "~peter/mail/台北/日本語")
        #expect(ModifiedUTF7.encode("Données & Été") == "Donn&AOk-es &- &AMk-t&AOk-")
        #expect(ModifiedUTF7.decode("Donn&AOk-es &- &AMk-t&AOk-") == "Données & Été")
        #expect(ModifiedUTF7.encode("Sent Items") == "Sent Items")
        #expect(ModifiedUTF7.decode("&Jjo!") == nil)
        #expect(ModifiedUTF7.decode("&Jjo") == nil)
        #expect(ModifiedUTF7.encode("😀") == "&2D3eAA-")
        #expect(ModifiedUTF7.decode("&2D3eAA-") == "😀")
    }
}
