// The commands exomock's IMAP server knows (RFC 3501, RFC 2971 ID, RFC 4315 UID EXPUNGE, RFC 6851 MOVE,
// RFC 3691 UNSELECT), parsed with `IMAPParser.Cursor` (IMAPParser.swift).

extension IMAPParser {

    func parseCommand(_ c: inout Cursor) throws(Failure) -> IMAPCommand {
        let nameBytes = c.take { IMAPGrammar.isAtomChar($0) }
        let name = String(decoding: nameBytes.map(Cursor.upper), as: UTF8.self)
        switch name {
        case "CAPABILITY": return .capability
        case "NOOP": return .noop
        case "LOGOUT": return .logout
        case "STARTTLS": return .startTLS
        case "NAMESPACE": return .namespace
        case "IDLE": return .idle
        case "CHECK": return .check
        case "CLOSE": return .close
        case "UNSELECT": return .unselect
        case "EXPUNGE": return .expunge
        case "ID":
            try c.expectSpace("the ID parameters")
            if c.consumeKeyword("NIL") { return .id(nil) }
            guard c.consume(UInt8(ascii: "(")) else { throw .argument("ID takes NIL or a parenthesised list") }
            var pairs: [IDPair] = []
            while !c.consume(UInt8(ascii: ")")) {
                if !pairs.isEmpty { try c.expectSpace("the next ID field") }
                let key = String(decoding: try c.string(), as: UTF8.self)
                try c.expectSpace("the ID value")
                pairs.append(IDPair(key: key, value: try c.nstring()))
                if pairs.count > 30 { throw .argument("ID has more than 30 fields (RFC 2971)") }
            }
            return .id(pairs)
        case "AUTHENTICATE":
            try c.expectSpace("the SASL mechanism")
            let mechanism = try c.atom().uppercased()
            var initial: String?
            if c.skipSpace() {
                let ir = c.take { $0 > 32 && $0 < 127 }
                guard !ir.isEmpty else { throw .argument("empty SASL initial response") }
                initial = String(decoding: ir, as: UTF8.self)
            }
            return .authenticate(mechanism: mechanism, initialResponse: initial)
        case "LOGIN":
            try c.expectSpace("the user name")
            let user = try c.astring()
            try c.expectSpace("the password")
            return .login(user: user, password: try c.astring())
        case "SELECT", "EXAMINE", "CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE":
            try c.expectSpace("the mailbox name")
            let mailbox = try c.astring()
            switch name {
            case "SELECT": return .select(mailbox)
            case "EXAMINE": return .examine(mailbox)
            case "CREATE": return .create(mailbox)
            case "DELETE": return .delete(mailbox)
            case "SUBSCRIBE": return .subscribe(mailbox)
            default: return .unsubscribe(mailbox)
            }
        case "RENAME":
            try c.expectSpace("the old mailbox name")
            let from = try c.astring()
            try c.expectSpace("the new mailbox name")
            return .rename(from: from, to: try c.astring())
        case "LIST", "LSUB":
            try c.expectSpace("the reference name")
            let reference = try c.astring()
            try c.expectSpace("the mailbox pattern")
            let pattern = try c.listMailbox()
            return name == "LIST"
                ? .list(reference: reference, pattern: pattern) : .lsub(reference: reference, pattern: pattern)
        case "STATUS":
            try c.expectSpace("the mailbox name")
            let mailbox = try c.astring()
            try c.expectSpace("the status items")
            guard c.consume(UInt8(ascii: "(")) else { throw .argument("STATUS items must be in parentheses") }
            var items: [StatusAttribute] = []
            while !c.consume(UInt8(ascii: ")")) {
                if !items.isEmpty { try c.expectSpace("the next status item") }
                let a = try c.atom().uppercased()
                guard let item = StatusAttribute(rawValue: a) else {
                    throw .argument("unknown STATUS item \(Self.shown(a))")
                }
                items.append(item)
            }
            guard !items.isEmpty else { throw .argument("STATUS needs at least one item") }
            return .status(mailbox, items)
        case "APPEND":
            try c.expectSpace("the mailbox name")
            let mailbox = try c.astring()
            try c.expectSpace("the message")
            var flags: [String] = []
            var date: IMAPDateTime?
            if c.peek == UInt8(ascii: "(") {
                flags = try c.flagList()
                try c.expectSpace("the message")
            }
            if c.peek == 34 {
                date = try c.dateTime()
                try c.expectSpace("the message")
            }
            guard c.peek == UInt8(ascii: "{") else { throw .argument("APPEND needs the message as a literal {size}") }
            return .append(mailbox: mailbox, flags: flags, date: date, message: try c.literal())
        case "SEARCH": return try search(&c, uid: false)
        case "FETCH": return try fetch(&c, uid: false)
        case "STORE": return try store(&c, uid: false)
        case "COPY", "MOVE":
            try c.expectSpace("the sequence set")
            let set = try c.sequenceSet()
            try c.expectSpace("the destination mailbox")
            let destination = try c.astring()
            return name == "COPY" ? .copy(set, destination, uid: false) : .move(set, destination, uid: false)
        case "UID":
            try c.expectSpace("the UID command")
            let sub = String(decoding: c.take { IMAPGrammar.isAtomChar($0) }.map(Cursor.upper), as: UTF8.self)
            switch sub {
            case "SEARCH": return try search(&c, uid: true)
            case "FETCH": return try fetch(&c, uid: true)
            case "STORE": return try store(&c, uid: true)
            case "COPY", "MOVE":
                try c.expectSpace("the UID set")
                let set = try c.sequenceSet()
                try c.expectSpace("the destination mailbox")
                let destination = try c.astring()
                return sub == "COPY" ? .copy(set, destination, uid: true) : .move(set, destination, uid: true)
            case "EXPUNGE":
                try c.expectSpace("the UID set")
                return .uidExpunge(try c.sequenceSet())
            default: throw .unknown("UID \(Self.shown(sub))")
            }
        case "": throw .unknown("(empty)")
        default: throw .unknown(Self.shown(name))
        }
    }

    func search(_ c: inout Cursor, uid: Bool) throws(Failure) -> IMAPCommand {
        try c.expectSpace("the search keys")
        var charset: String?
        if c.consumeKeyword("CHARSET ") {
            charset = try c.astring()
            try c.expectSpace("the search keys")
        }
        var keys: [SearchKey] = [try searchKey(&c)]
        while c.skipSpace() { keys.append(try searchKey(&c)) }
        return .search(charset: charset, keys.count == 1 ? keys[0] : .and(keys), uid: uid)
    }

    func searchKey(_ c: inout Cursor) throws(Failure) -> SearchKey {
        try c.enter()
        defer { c.leave() }
        if c.consume(UInt8(ascii: "(")) {
            var keys: [SearchKey] = [try searchKey(&c)]
            while c.skipSpace() { keys.append(try searchKey(&c)) }
            guard c.consume(UInt8(ascii: ")")) else { throw .argument("unbalanced parentheses in SEARCH") }
            return keys.count == 1 ? keys[0] : .and(keys)
        }
        if let p = c.peek, (p >= 48 && p <= 57) || p == UInt8(ascii: "*") { return .sequence(try c.sequenceSet()) }
        let word = try c.atom().uppercased()
        func arg() throws(Failure) -> String {
            try c.expectSpace("the \(word) argument")
            return try c.astring()
        }
        func dateArg() throws(Failure) -> IMAPDate {
            try c.expectSpace("the \(word) date")
            return try c.date()
        }
        switch word {
        case "ALL": return .all
        case "ANSWERED": return .answered
        case "DELETED": return .deleted
        case "FLAGGED": return .flagged
        case "SEEN": return .seen
        case "DRAFT": return .draft
        case "RECENT": return .recent
        case "NEW": return .new
        case "OLD": return .old
        case "UNANSWERED": return .unanswered
        case "UNDELETED": return .undeleted
        case "UNFLAGGED": return .unflagged
        case "UNSEEN": return .unseen
        case "UNDRAFT": return .undraft
        case "KEYWORD":
            try c.expectSpace("the keyword")
            return .keyword(try c.atom())
        case "UNKEYWORD":
            try c.expectSpace("the keyword")
            return .unkeyword(try c.atom())
        case "SINCE": return .since(try dateArg())
        case "BEFORE": return .before(try dateArg())
        case "ON": return .on(try dateArg())
        case "SENTSINCE": return .sentSince(try dateArg())
        case "SENTBEFORE": return .sentBefore(try dateArg())
        case "SENTON": return .sentOn(try dateArg())
        case "FROM": return .from(try arg())
        case "TO": return .to(try arg())
        case "CC": return .cc(try arg())
        case "BCC": return .bcc(try arg())
        case "SUBJECT": return .subject(try arg())
        case "BODY": return .body(try arg())
        case "TEXT": return .text(try arg())
        case "HEADER":
            let field = try arg()
            try c.expectSpace("the HEADER value")
            return .header(field, try c.astring())
        case "LARGER", "SMALLER":
            try c.expectSpace("the size")
            let n = try c.number()
            return word == "LARGER" ? .larger(n) : .smaller(n)
        case "UID":
            try c.expectSpace("the UID set")
            return .uid(try c.sequenceSet())
        case "NOT":
            try c.expectSpace("the key to negate")
            return .not(try searchKey(&c))
        case "OR":
            try c.expectSpace("the first OR key")
            let a = try searchKey(&c)
            try c.expectSpace("the second OR key")
            return .or(a, try searchKey(&c))
        default: throw .argument("unknown SEARCH key \(Self.shown(word))")
        }
    }

    func fetch(_ c: inout Cursor, uid: Bool) throws(Failure) -> IMAPCommand {
        try c.expectSpace("the sequence set")
        let set = try c.sequenceSet()
        try c.expectSpace("the FETCH items")
        var items: [FetchAttribute] = []
        if c.consume(UInt8(ascii: "(")) {
            while !c.consume(UInt8(ascii: ")")) {
                if !items.isEmpty { try c.expectSpace("the next FETCH item") }
                items += try fetchAttribute(&c, allowMacro: false)
                guard !c.atEnd else { throw .argument("unbalanced parentheses in FETCH") }
            }
            guard !items.isEmpty else { throw .argument("FETCH needs at least one item") }
        } else {
            items = try fetchAttribute(&c, allowMacro: true)
        }
        if uid, !items.contains(.uid) { items.insert(.uid, at: 0) }
        return .fetch(set, items, uid: uid)
    }

    func fetchAttribute(_ c: inout Cursor, allowMacro: Bool) throws(Failure) -> [FetchAttribute] {
        let word = String(
            decoding: c.take { IMAPGrammar.isAtomChar($0) && $0 != UInt8(ascii: "[") }.map(Cursor.upper), as: UTF8.self)
        switch word {
        case "ALL" where allowMacro: return [.flags, .internalDate, .rfc822Size, .envelope]
        case "FAST" where allowMacro: return [.flags, .internalDate, .rfc822Size]
        case "FULL" where allowMacro:
            return [.flags, .internalDate, .rfc822Size, .envelope, .bodyStructureNonExtensible]
        case "FLAGS": return [.flags]
        case "UID": return [.uid]
        case "INTERNALDATE": return [.internalDate]
        case "RFC822.SIZE": return [.rfc822Size]
        case "RFC822": return [.rfc822]
        case "RFC822.HEADER": return [.rfc822Header]
        case "RFC822.TEXT": return [.rfc822Text]
        case "ENVELOPE": return [.envelope]
        case "BODYSTRUCTURE": return [.bodyStructure]
        case "BODY", "BODY.PEEK":
            guard c.consume(UInt8(ascii: "[")) else {
                if word == "BODY" { return [.bodyStructureNonExtensible] }
                throw .argument("BODY.PEEK needs a section in brackets")
            }
            let section = try self.section(&c)
            var partial: PartialRange?
            if c.consume(UInt8(ascii: "<")) {
                let offset = try c.number()
                guard c.consume(UInt8(ascii: ".")) else { throw .argument("partial fetch must be <offset.count>") }
                let count = try c.number()
                guard count > 0, c.consume(UInt8(ascii: ">")) else {
                    throw .argument("partial fetch must be <offset.count> with count > 0")
                }
                partial = PartialRange(offset: offset, count: count)
            }
            return [.body(section: section, peek: word == "BODY.PEEK", partial: partial)]
        default: throw .argument("unknown FETCH item \(word.isEmpty ? "(empty)" : Self.shown(word))")
        }
    }

    func section(_ c: inout Cursor) throws(Failure) -> Section {
        var parts: [Int] = []
        var text: SectionText?
        while let p = c.peek, p >= 48, p <= 57 {
            let n = try c.number()
            guard n > 0 else { throw .argument("section part numbers start at 1") }
            parts.append(n)
            if parts.count > maximumDepth { throw .tooDeep }
            guard c.consume(UInt8(ascii: ".")) else { break }
        }
        if c.peek != UInt8(ascii: "]") {
            let word = String(decoding: c.take { IMAPGrammar.isAtomChar($0) }.map(Cursor.upper), as: UTF8.self)
            switch word {
            case "HEADER": text = .header
            case "TEXT": text = .text
            case "MIME":
                guard !parts.isEmpty else { throw .argument("MIME needs a part number, e.g. BODY[1.MIME]") }
                text = .mime
            case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
                try c.expectSpace("the header field list")
                guard c.consume(UInt8(ascii: "(")) else { throw .argument("header field list must be in parentheses") }
                var fields: [String] = []
                while !c.consume(UInt8(ascii: ")")) {
                    if !fields.isEmpty { try c.expectSpace("the next header field") }
                    fields.append(try c.astring())
                    if fields.count > 256 { throw .argument("too many header fields") }
                }
                guard !fields.isEmpty else { throw .argument("header field list is empty") }
                text = word == "HEADER.FIELDS" ? .headerFields(fields) : .headerFieldsNot(fields)
            default: throw .argument("unknown section \(Self.shown(word))")
            }
        }
        guard c.consume(UInt8(ascii: "]")) else { throw .argument("section must end with ]") }
        return Section(part: parts, text: text)
    }

    func store(_ c: inout Cursor, uid: Bool) throws(Failure) -> IMAPCommand {
        try c.expectSpace("the sequence set")
        let set = try c.sequenceSet()
        try c.expectSpace("the flag operation")
        let mode: StoreMode
        if c.consume(UInt8(ascii: "+")) {
            mode = .add
        } else if c.consume(UInt8(ascii: "-")) {
            mode = .remove
        } else {
            mode = .replace
        }
        guard c.consumeKeyword("FLAGS") else { throw .argument("STORE takes FLAGS, +FLAGS or -FLAGS") }
        let silent = c.consumeKeyword(".SILENT")
        try c.expectSpace("the flags")
        var flags: [String]
        if c.peek == UInt8(ascii: "(") {
            flags = try c.flagList()
        } else {
            flags = [try c.flag()]
            while c.skipSpace() { flags.append(try c.flag()) }
        }
        return .store(set, mode, silent: silent, flags: flags, uid: uid)
    }
}
