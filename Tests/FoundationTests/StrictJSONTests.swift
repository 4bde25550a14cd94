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

    /// An admin body names its keys: an unknown one is refused (before, `/clock/advance` ignored it), and only
    /// at the top level; a body that is not an object is refused too.
    @Test func keysNamedByTheRouteOnly() throws {
        func problem(_ text: String) -> StrictJSON.Problem? { StrictJSON.problem(in: Data(text.utf8), keys: ["by"]) }
        #expect(problem(#"{"by": "1d"}"#) == nil)
        #expect(problem(#"{"by": {"x": 1}}"#) == nil)
        let unknown = try #require(problem(#"{"by": "1d", "x": 1}"#))
        #expect(unknown.message == "unknown key 'x'" && unknown.fix == "Use only these keys: by.")
        #expect(problem(#"{"x": 1, "x": 2}"#)?.message == "unknown key 'x'")
        #expect(problem("{}") == nil)
        #expect(problem(#"["by"]"#)?.message == "the body must be a JSON object")
        #expect(problem(" ")?.message == "the body must be a JSON object")
        #expect(StrictJSON.problem(in: Data(#"{"x": 1}"#.utf8)) == nil)
    }

    /// A key thousands of characters long, or holding a line break, is quoted short and escaped.
    @Test func quotesKeysShortAndEscaped() throws {
        let long = String(repeating: "k", count: 100_000)
        let message = try #require(StrictJSON.problem(in: Data(#"{"\#(long)": 1}"#.utf8), keys: ["by"])?.message)
        #expect(message == "unknown key '\(String(repeating: "k", count: QuotedInput.maximumShown - 3))...'")
        let broken = try #require(StrictJSON.problem(in: Data(#"{"a\r\nb\u0000": 1}"#.utf8), keys: ["by"])?.message)
        #expect(broken == #"unknown key 'a\u{d}\u{a}b\u{0}'"#)
    }
}

struct QuotedInputTests {
    @Test func clipsAndEscapes() {
        #expect(QuotedInput.shown("91d") == "91d")
        #expect(QuotedInput.shown(String(repeating: "x", count: 40)) == String(repeating: "x", count: 40))
        #expect(QuotedInput.shown(String(repeating: "x", count: 100_000)) == String(repeating: "x", count: 37) + "...")
        #expect(QuotedInput.shown("a\u{0}b\r\n\u{7f}\u{85}\u{2028}é") == #"a\u{0}b\u{d}\u{a}\u{7f}\u{85}\u{2028}é"#)
        #expect(QuotedInput.escaped("\\Seen") == "\\Seen")
    }
}
