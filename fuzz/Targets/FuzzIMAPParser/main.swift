import FuzzSupport
import IMAPWire

// libFuzzer target: one framed IMAP command (literals inline) straight into the parser, as if the
// framer had passed it. Invariants: no trap; a failure carries a usable tag and a BAD text that is one
// short printable line (no client byte can split the reply); a success's tag is the input's tag.

runFuzzer { input in
    let bytes = Array(input)
    switch IMAPParser().parse(bytes) {
    case .success(let command):
        guard bytes.starts(with: Array(command.tag.utf8) + [32]) else {
            fatalError("tag \(command.tag) not the input's")
        }
    case .failure(let error):
        let printable = { (text: String) in text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } }
        guard printable(error.tag), printable(error.text), error.text.utf8.count < 400, !error.tag.isEmpty else {
            fatalError("BAD not one short printable line: \(error)")
        }
    }
}
