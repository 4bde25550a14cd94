import FuzzSupport
import IMAPWire
import NIOCore

// libFuzzer target: IMAP client bytes through the framer (delivered in chunks whose size the first
// byte picks) and every framed command through the parser. Two framers run side by side: one with the
// shipped limits, one with tiny ones so the limit paths (over-long lines, literals, AUTHENTICATE lines)
// are reached by short inputs. Invariants: no trap, every frame within the limits, every BAD/BYE text
// one printable line.

func printable(_ text: String) -> Bool { text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } }

func check(_ framer: inout IMAPFramer, _ input: UnsafeRawBufferPointer, chunk: Int) {
    let parser = IMAPParser()
    let bound =
        framer.maximumAuthenticateLineLength + framer.maximumLiteralsPerCommand
        * (framer.maximumLiteralSize + framer.maximumLineLength)
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + chunk)
        var buffer = ByteBuffer(bytes: input[offset..<end])
        offset = end
        while let frame = framer.next(from: &buffer) {
            switch frame {
            case .command(let bytes):
                guard bytes.count <= bound else {
                    fatalError("a framed command of \(bytes.count) bytes, bound \(bound)")
                }
                if case .failure(let error) = parser.parse(bytes) {
                    guard printable(error.text), printable(error.tag), error.text.utf8.count < 400 else {
                        fatalError("BAD text not one short printable line: \(error)")
                    }
                }
            case .continuationNeeded: break
            case .rejected(let tag, let reason), .fatal(let tag, let reason):
                guard printable(tag), printable(reason.description) else { fatalError("bad rejection \(frame)") }
            }
        }
        guard buffer.readableBytes == 0 else { fatalError("the framer left bytes unread without a frame") }
    }
}

runFuzzer { all in
    guard !all.isEmpty else { return }
    let chunk = Int(all[0] % 64) + 1
    let input = UnsafeRawBufferPointer(rebasing: all[1...])
    var shipped = IMAPFramer()
    check(&shipped, input, chunk: all[0] >= 128 ? input.count : chunk)
    var tiny = IMAPFramer(
        maximumLineLength: 40, maximumAuthenticateLineLength: 80, maximumLiteralSize: 32, maximumLiteralsPerCommand: 3)
    check(&tiny, input, chunk: chunk)
}
