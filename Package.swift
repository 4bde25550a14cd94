// swift-tools-version:6.2
import PackageDescription

/// Settings every exomock target shares: Swift 6 mode (the tools default), explicit `any`,
/// and warnings as errors in our own code only.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")
let nioEmbedded = Target.Dependency.product(name: "NIOEmbedded", package: "swift-nio")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTLS = Target.Dependency.product(name: "HummingbirdTLS", package: "hummingbird")
let hummingbirdTesting = Target.Dependency.product(name: "HummingbirdTesting", package: "hummingbird")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let cryptoExtras = Target.Dependency.product(name: "_CryptoExtras", package: "swift-crypto")
let x509 = Target.Dependency.product(name: "X509", package: "swift-certificates")
let asn1 = Target.Dependency.product(name: "SwiftASN1", package: "swift-asn1")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let httpClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
// Hummingbird's HTTP parts (HTTPResponsePart) live here; Hummingbird already builds it.
let nioHTTPTypes = Target.Dependency.product(name: "NIOHTTPTypes", package: "swift-nio-extras")

let package = Package(
    name: "exomock",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "exomock", targets: ["exomock"]),
        .library(name: "Exomock", targets: ["Exomock", "FlowRunner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // MARK: Values: no sockets, no I/O.
        .target(name: "ExomockLimits", swiftSettings: strict),
        .target(name: "MicrosoftClouds", swiftSettings: strict),
        .target(name: "Determinism", swiftSettings: strict),
        .target(name: "Journal", dependencies: ["Determinism", "ExomockLimits"], swiftSettings: strict),
        .target(
            name: "ScenarioModel", dependencies: ["MicrosoftClouds", "Determinism", "ExomockLimits"],
            swiftSettings: strict),
        .target(
            name: "ScenarioLoader",
            dependencies: [
                "ScenarioModel", "MicrosoftClouds", "Determinism", "ExomockLimits",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // RS256 signing through the system's OpenSSL 3 (libssl-dev): 2-2.4x BoringSSL on CPUs with AVX-512 IFMA.
        .target(name: "CSystemCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "TestAuthority", dependencies: ["MicrosoftClouds", x509, crypto, asn1], swiftSettings: strict),
        .target(
            name: "EntraTokens",
            dependencies: [
                "MicrosoftClouds", "Determinism", "ScenarioModel", "ExomockLimits", "CSystemCrypto", crypto,
                cryptoExtras,
                x509, asn1,
            ],
            swiftSettings: strict
        ),
        .target(
            name: "MailStore",
            dependencies: ["ScenarioModel", "Determinism", "ExomockLimits"],
            swiftSettings: strict
        ),
        .target(
            name: "MailAuthentication",
            dependencies: ["EntraTokens", "MailStore", "ScenarioModel", "MicrosoftClouds", "Journal", "ExomockLimits"],
            swiftSettings: strict
        ),
        .target(name: "IMAPWire", dependencies: ["ExomockLimits", nioCore], swiftSettings: strict),
        .target(name: "POP3Wire", dependencies: ["ExomockLimits", nioCore], swiftSettings: strict),
        .target(name: "SMTPWire", dependencies: ["ExomockLimits", nioCore], swiftSettings: strict),
        // The client side: IMAP and POP3 sessions over TLS or STARTTLS, as a mail handler speaks them.
        .target(
            name: "MailClient", dependencies: ["ExomockLimits", "Determinism", nioCore, nioPosix, nioSSL],
            swiftSettings: strict
        ),

        // MARK: Listeners and services: sockets at the edges.
        .target(
            name: "ListenerSupport",
            dependencies: [
                "Journal", "TestAuthority", "MicrosoftClouds", "Determinism", "ExomockLimits", "MailAuthentication",
                "ScenarioModel",
                nioCore, nioPosix, nioSSL, .product(name: "NIOTLS", package: "swift-nio"), lifecycle, logging,
            ],
            swiftSettings: strict
        ),
        .target(
            name: "IMAPServer",
            dependencies: [
                "IMAPWire", "MailStore", "MailAuthentication", "ListenerSupport", "Journal", "Determinism",
                "ScenarioModel", "MicrosoftClouds", "ExomockLimits", nioCore, nioPosix, nioSSL, logging,
            ],
            swiftSettings: strict
        ),
        .target(
            name: "POP3Server",
            dependencies: [
                "POP3Wire", "MailStore", "MailAuthentication", "ListenerSupport", "Journal", "Determinism",
                "ScenarioModel", "MicrosoftClouds", "ExomockLimits", nioCore, nioPosix, nioSSL, logging,
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SMTPServer",
            dependencies: [
                "SMTPWire", "MailStore", "MailAuthentication", "ListenerSupport", "ScenarioModel", "MicrosoftClouds",
                "ExomockLimits", "Journal", nioCore,
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EntraTokenService",
            dependencies: [
                "EntraTokens", "ScenarioModel", "Journal", "Determinism", "MicrosoftClouds", "ExomockLimits",
                hummingbird, logging, nioCore, nioHTTPTypes,
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AdminAPI",
            dependencies: [
                "ScenarioModel", "Journal", "Determinism", "ExomockLimits", hummingbird, logging,
                nioCore, nioHTTPTypes, .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Exomock",
            dependencies: [
                "MicrosoftClouds", "Determinism", "Journal", "ScenarioModel", "ScenarioLoader", "ExomockLimits",
                "TestAuthority", "ListenerSupport", "AdminAPI", "EntraTokens", "EntraTokenService",
                "MailStore", "MailAuthentication", "IMAPServer", "POP3Server", "SMTPServer",
                nioCore, nioPosix, nioSSL, hummingbird, hummingbirdTLS, lifecycle, logging,
            ],
            swiftSettings: strict
        ),
        // Plays a scenario's flow against a running mock over real sockets: transcripts, JUnit.
        .target(
            name: "FlowRunner",
            dependencies: [
                "ScenarioModel", "ScenarioLoader", "MicrosoftClouds", "Determinism", "MailClient", "MailStore",
                "Exomock",
                "Journal", nioCore, nioPosix, nioSSL, httpClient, crypto, logging,
            ],
            swiftSettings: strict
        ),
        // `exomock load`: many simulated mail handlers at once through the flow runner's clients.
        .target(
            name: "LoadGenerator",
            dependencies: [
                "FlowRunner", "MailClient", "Exomock", "ScenarioModel", "ScenarioLoader", "MicrosoftClouds",
                "ExomockLimits", nioCore, nioSSL, .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ExomockCLI",
            dependencies: [
                "Exomock", "FlowRunner", "LoadGenerator", "ScenarioLoader", "ScenarioModel", "TestAuthority",
                "MicrosoftClouds",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), lifecycle, logging,
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "exomock", dependencies: ["ExomockCLI"], swiftSettings: strict),

        // MARK: Tests. One target per area; integration tests start real listeners on 127.0.0.1.
        .target(
            name: "ExomockTestSupport",
            dependencies: [
                "Determinism", "Journal", "ScenarioModel", "MicrosoftClouds", "ListenerSupport", "EntraTokens",
                "MailAuthentication",
                nioCore, nioPosix, nioSSL,
            ],
            path: "Tests/ExomockTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "FoundationTests",
            dependencies: [
                "MicrosoftClouds", "Determinism", "Journal", "ScenarioModel", "ScenarioLoader", "ExomockLimits",
                "TestAuthority", "Exomock", "ExomockCLI", "ExomockTestSupport", x509, nioCore, nioPosix, nioSSL,
                httpClient, "AdminAPI",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TokenServiceTests",
            dependencies: [
                "EntraTokens", "EntraTokenService", "ScenarioModel", "ScenarioLoader", "Journal", "Determinism",
                "MicrosoftClouds", "Exomock", "ExomockTestSupport", hummingbird, hummingbirdTesting, httpClient,
                crypto, cryptoExtras,
            ],
            exclude: ["clients"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IMAPTests",
            dependencies: [
                "IMAPWire", "IMAPServer", "MailStore", "MailAuthentication", "EntraTokens", "ScenarioModel",
                "ScenarioLoader", "Journal", "Determinism", "MicrosoftClouds", "ListenerSupport", "Exomock",
                "ExomockTestSupport", "ExomockLimits", nioCore, nioEmbedded, nioPosix, nioSSL,
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "POP3Tests",
            dependencies: [
                "POP3Wire", "POP3Server", "MailStore", "MailAuthentication", "EntraTokens", "ScenarioModel",
                "ScenarioLoader", "Journal", "Determinism", "MicrosoftClouds", "ListenerSupport", "Exomock",
                "ExomockTestSupport", "ExomockLimits", nioCore, nioEmbedded, nioPosix, nioSSL,
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SMTPTests",
            dependencies: [
                "SMTPWire", "SMTPServer", "MailStore", "MailAuthentication", "EntraTokens", "ScenarioModel",
                "ScenarioLoader",
                "Journal", "Determinism", "MicrosoftClouds", "ListenerSupport", "Exomock", "ExomockTestSupport",
                "ExomockLimits", nioCore, nioEmbedded, nioPosix, nioSSL,
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LoadGeneratorTests",
            dependencies: [
                "LoadGenerator", "MailClient", "ExomockCLI", "ExomockTestSupport", "ScenarioModel", "ScenarioLoader",
                nioCore, nioEmbedded,
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "FlowRunnerTests",
            dependencies: [
                "FlowRunner", "MailClient", "ScenarioModel", "ScenarioLoader", "Exomock", "ExomockCLI",
                "ExomockTestSupport",
                "MicrosoftClouds", nioCore, nioEmbedded, nioPosix, nioSSL,
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        // The malformed-input corpus (Tests/Corpus) against every parser, and a sample against `exomock serve`.
        .testTarget(
            name: "CorpusTests",
            dependencies: [
                "IMAPWire", "POP3Wire", "SMTPWire", "EntraTokenService", "EntraTokens", "MailAuthentication",
                "ScenarioLoader", "Determinism", "MicrosoftClouds", "ExomockLimits", "ExomockTestSupport", nioCore,
            ],
            swiftSettings: strict
        ),
    ]
)

// libFuzzer targets (docs/robustness.md): only when fuzz/build.sh sets EXOMOCK_FUZZ, in its own build
// directory, so the ordinary build and test run never compile them.
if Context.environment["EXOMOCK_FUZZ"] != nil {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzIMAPFramer", ["IMAPWire", nioCore]),
        ("FuzzIMAPParser", ["IMAPWire"]),
        ("FuzzPOP3", ["POP3Wire"]),
        // FormParameters.swift is linked in from Sources/EntraTokenService (no HTTP server in the build).
        ("FuzzFormDecoder", ["ExomockLimits"]),
        ("FuzzXOAUTH2", ["MailAuthentication"]),
        ("FuzzTokenVerifier", ["EntraTokens", "Determinism", "MicrosoftClouds"]),
        ("FuzzScenarioLoader", ["ScenarioLoader"]),
    ]
    package.targets.append(.target(name: "FuzzSupport", path: "fuzz/Targets/FuzzSupport", swiftSettings: strict))
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name, dependencies: target.dependencies + ["FuzzSupport"],
                path: "fuzz/Targets/\(target.name)", swiftSettings: strict))
    }
}

// The bare TLS handshake baseline (bench/handshake.sh, docs/benchmarks.md): only when EXOMOCK_BENCH is set,
// so the ordinary build, the tests and CI never compile it.
if Context.environment["EXOMOCK_BENCH"] != nil {
    package.targets.append(
        .executableTarget(
            name: "exomock-tls-baseline", dependencies: ["ListenerSupport", nioCore, nioPosix, nioSSL],
            path: "bench/tls-baseline/server", swiftSettings: strict))
}
