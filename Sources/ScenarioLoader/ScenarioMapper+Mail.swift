import ExomockLimits
import Foundation
import MicrosoftClouds
import ScenarioModel
import Yams

/// Mailboxes, their folders and messages (files or generated).
extension ScenarioMapper {
    static func mailbox(_ node: Node, _ path: String, _ r: inout NodeReader) -> Mailbox? {
        guard let f = r.mapping(node, path, keys: Keys.mailbox, what: "mailbox") else { return nil }
        let address = r.required(f, "address").flatMap { r.string($0, f.path("address")) }
        var mailbox = Mailbox(address: address ?? "")
        var o = OptionalFields()
        o.read(f["type"], into: &mailbox.kind) { r.choice($0, f.path("type"), Mailbox.Kind.self, what: "mailbox type") }
        o.read(f["imap_enabled"], into: &mailbox.imapEnabled) { r.bool($0, f.path("imap_enabled")) }
        o.read(f["pop_enabled"], into: &mailbox.popEnabled) { r.bool($0, f.path("pop_enabled")) }
        o.read(f["folders"], into: &mailbox.folders) {
            list($0, f.path("folders"), example: "`- name: Inbox`", &r, folder)
        }
        o.readOptional(f["smtp_client_authentication_disabled"], into: &mailbox.smtpClientAuthenticationDisabled) {
            r.bool($0, f.path("smtp_client_authentication_disabled"))
        }
        o.read(f["send_as"], into: &mailbox.sendAs) {
            r.strings($0, f.path("send_as"), example: "`[agent@contoso.onmicrosoft.us]`")
        }
        guard o.ok, address != nil else { return nil }
        return mailbox
    }

    static func folder(_ node: Node, _ path: String, _ r: inout NodeReader) -> Folder? {
        guard let f = r.mapping(node, path, keys: Keys.folder, what: "folder") else { return nil }
        let name = r.required(f, "name").flatMap { r.string($0, f.path("name")) }
        var messages: [MessageSource] = []
        var o = OptionalFields()
        o.read(f["messages"], into: &messages) {
            list($0, f.path("messages"), example: "`- generate: {count: 5}` or `- file: messages/a.eml`", &r, message)
        }
        guard o.ok, let name else { return nil }
        let generatedBytes = messages.reduce(0) { total, source in
            guard case .generated(let count, let size, _) = source else { return total }
            return total + count * size
        }
        guard generatedBytesFit(generatedBytes, f.path("messages"), at: f["messages"]?.mark, &r) else { return nil }
        return Folder(name: name, messages: messages)
    }

    static func message(_ node: Node, _ path: String, _ r: inout NodeReader) -> MessageSource? {
        guard let f = r.mapping(node, path, keys: Keys.message, what: "message source") else { return nil }
        return messageSource(f, path, &r)
    }

    /// The `file` or `generate` of a mapping that holds a message source (a folder entry, a `deliver` step).
    static func messageSource(_ f: Fields, _ path: String, _ r: inout NodeReader) -> MessageSource? {
        switch (f["file"], f["generate"]) {
        case (let file?, nil):
            let filePath = r.string(file, f.path("file"))
            var flags: [String] = []
            var o = OptionalFields()
            o.read(f["flags"], into: &flags) { r.strings($0, f.path("flags"), example: "`[\\Seen]`") }
            guard o.ok, let filePath else { return nil }
            return .file(path: filePath, flags: flags)
        case (nil, let generate?):
            if f["flags"] != nil {
                r.report(
                    f.path("flags"), at: f["flags"]?.mark, "`flags` applies to `file` messages only",
                    "Remove `flags`; generated messages start unread."
                )
                return nil
            }
            return generated(generate, f.path("generate"), &r)
        case (.some, .some):
            r.report(path, at: f.mark, "a message source has both `file` and `generate`", "Split it into two entries.")
            return nil
        case (nil, nil):
            r.report(
                path, at: f.mark, "a message source needs `file` or `generate`",
                "Write `- file: messages/ticket.eml` or `- generate: {count: 5, size: 2KiB, seed: 1}`."
            )
            return nil
        }
    }

    static func generated(_ node: Node, _ path: String, _ r: inout NodeReader) -> MessageSource? {
        guard let f = r.mapping(node, path, keys: Keys.generate, what: "generate block") else { return nil }
        let count = r.required(f, "count").flatMap {
            r.int($0, f.path("count"), minimum: 0, maximum: Limits.scenarioMaximumGeneratedMessages)
        }
        var size = defaultGeneratedSize
        var seed: UInt64 = 1
        var o = OptionalFields()
        o.read(f["size"], into: &size) { node in
            guard let bytes = r.size(node, f.path("size")) else { return nil }
            guard bytes >= 1, bytes <= Limits.scenarioMaximumMessageSize else {
                r.report(
                    f.path("size"), at: node.mark, "\(bytes) bytes is out of range",
                    "Use a size from 1 byte to \(Limits.scenarioMaximumMessageSize) bytes (35MiB)."
                )
                return nil
            }
            return bytes
        }
        o.read(f["seed"], into: &seed) { r.unsigned64($0, f.path("seed")) }
        guard o.ok, let count else { return nil }
        guard generatedBytesFit(count * size, path, at: node.mark, &r) else { return nil }
        return .generated(count: count, size: size, seed: seed)
    }

    /// Whether `bytes` of generated mail fit `Limits.scenarioMaximumGeneratedFolderBytes`; reports it when not.
    static func generatedBytesFit(_ bytes: Int, _ path: String, at mark: Mark?, _ r: inout NodeReader) -> Bool {
        let limit = Limits.scenarioMaximumGeneratedFolderBytes
        guard bytes > limit else { return true }
        r.report(
            path, at: mark,
            "count × size is \(bytes) bytes of generated mail for one folder; the limit is \(limit) bytes (2GiB)",
            "Generate fewer or smaller messages, or spread them over more folders or mailboxes "
                + "(Limits.scenarioMaximumGeneratedFolderBytes)."
        )
        return false
    }
}
