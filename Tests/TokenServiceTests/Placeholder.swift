import Testing

@Test func TokenServiceTestsPlaceholder() { #expect(Bool(true)) }
