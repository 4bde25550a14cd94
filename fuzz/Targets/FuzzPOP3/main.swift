import FuzzSupport
import POP3Wire

// libFuzzer target: POP3 client bytes through the line framer (in chunks whose size the first byte
// picks, shipped and tiny limits) and every line through the command parser and the SASL response
// reader. Invariants: no trap; no line over its limit; never more buffered than the limit.

func check(_ framer: inout POP3LineFramer, _ input: UnsafeRawBufferPointer, chunk: Int) {
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + chunk)
        for frame in framer.feed(input[offset..<end]) {
            guard case .line(let line) = frame else { continue }
            guard line.count < framer.maximumAuthenticateLineLength else { fatalError("a line of \(line.count) bytes") }
            if case .success(let command) = POP3CommandParser.parse(line) {
                _ = command.description
            }
            _ = POP3SASLResponse.parse(line)
        }
        guard framer.bufferedByteCount <= framer.maximumAuthenticateLineLength else {
            fatalError("\(framer.bufferedByteCount) bytes buffered")
        }
        offset = end
    }
}

runFuzzer { all in
    guard !all.isEmpty else { return }
    let chunk = Int(all[0] % 64) + 1
    let input = UnsafeRawBufferPointer(rebasing: all[1...])
    var shipped = POP3LineFramer()
    check(&shipped, input, chunk: all[0] >= 128 ? input.count : chunk)
    var tiny = POP3LineFramer(maximumLineLength: 24, maximumAuthenticateLineLength: 48)
    check(&tiny, input, chunk: chunk)
}
