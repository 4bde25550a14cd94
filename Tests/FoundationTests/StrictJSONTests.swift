import Determinism
import Foundation
import Testing

/// Admin API bodies are read strictly (issue 15): a duplicate key is an error, not whichever value
/// Foundation keeps; numbers must be finite; nesting is bounded.
struct StrictJSONTests {
    static func problem(_ text: String) -> String? { StrictJSON.problem(in: Data(text.utf8))?.message }

    @Test func acceptsJSON() {
        for text in [
            #"{"by": "91d"}"#, #"  {"kind": "sign_out"}  "#, #"{"users": ["a@b.c", "d@e.f"], "n": -1.5e3, "x": null}"#,
            #"{"a": {"b": [true, false, {}], "c": "\u00e9\n\"q\""}}"#, "[]", #""s""#, "0", #"{"a": 1, "A": 2}"#,
        ] {
            #expect(Self.problem(text) == nil, "\(text)")
        }
    }

    /// Foundation's own decoders keep one of two equal keys silently; this was every admin body's behaviour.
    @Test func duplicateKeysAreAnError() throws {
        #expect(Self.problem(#"{"by": "1d", "by": "900d"}"#) == "the key 'by' is written more than once")
        #expect(Self.problem(#"{"kind": "x", "user": "a", "kind": "y"}"#) == "the key 'kind' is written more than once")
        // The same key spelled with an escape.
        #expect(Self.problem(#"{"by": "1d", "\u0062y": "2d"}"#) == "the key 'by' is written more than once")
        #expect(Self.problem(#"{"a": {"b": 1, "b": 2}}"#) == "the key 'a.b' is written more than once")
        #expect(Self.problem(#"{"a": [{"b": 1}, {"b": 2, "b": 3}]}"#) == "the key 'a[1].b' is written more than once")
        let fix = try #require(StrictJSON.problem(in: Data(#"{"a": 1, "a": 1}"#.utf8))?.fix)
        #expect(fix == "Write each key once.")
    }

    @Test func refusesNumbersOutOfRangeAndBadSyntax() {
        #expect(Self.problem(#"{"by": 1e400}"#) == "the number '1e400' at 'by' is out of range")
        #expect(Self.problem("-1e999") == "the number '-1e999' at '(top)' is out of range")
        for text in [
            "", "{", #"{"a" 1}"#, #"{"a": 1,}"#, "[1,]", "01", "1.", "NaN", "Infinity", #"{'a': 1}"#, #"{"a": "\x"}"#,
            "\"tab\there\"", #"{"a": 1} {"b": 2}"#, #""\ud800""#,
        ] {
            let problem = Self.problem(text)
            #expect(problem?.hasPrefix("the body is not valid JSON") == true, "\(text): \(problem ?? "accepted")")
        }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(Self.problem(deep) == "the JSON nests deeper than \(StrictJSON.maximumDepth) levels")
        let fits = String(repeating: "[", count: StrictJSON.maximumDepth) + String(repeating: "]", count: 64)
        #expect(Self.problem(fits) == nil)
        let over = "[" + fits + "]"
        #expect(Self.problem(over) == "the JSON nests deeper than \(StrictJSON.maximumDepth) levels")
    }
}
