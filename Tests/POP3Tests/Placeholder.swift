import Testing

@Test func POP3TestsPlaceholder() { #expect(Bool(true)) }
