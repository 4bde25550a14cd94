import Testing

@Test func FoundationTestsPlaceholder() { #expect(Bool(true)) }
