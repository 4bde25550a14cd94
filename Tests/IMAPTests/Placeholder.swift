import Testing

@Test func IMAPTestsPlaceholder() { #expect(Bool(true)) }
