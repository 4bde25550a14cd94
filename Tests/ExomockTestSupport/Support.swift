// Shared helpers for exomock's tests.
