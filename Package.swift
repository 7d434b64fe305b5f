// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "AlloResto",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "alloresto", targets: ["alloresto"]),
        .library(name: "WireFormats", targets: ["WireFormats"]),
        .library(name: "AlloRestoCore", targets: ["AlloRestoCore"]),
        .library(name: "AlloRestoStore", targets: ["AlloRestoStore"]),
        .library(name: "AlloRestoServer", targets: ["AlloRestoServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/async-kit.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // JSON reader/writer, checked numbers and phone numbers: shared by the restaurant domain and the SIP bridge.
        .target(name: "WireFormats"),
        .target(name: "AlloRestoCore", dependencies: ["WireFormats"]),
        .target(
            name: "AlloRestoStore",
            dependencies: [
                "AlloRestoCore",
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQL", package: "fluent-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "AsyncKit", package: "async-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "AlloRestoServer",
            dependencies: [
                "AlloRestoCore",
                "AlloRestoStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            resources: [.copy("Templates")]
        ),
        .executableTarget(
            name: "alloresto",
            dependencies: [
                "AlloRestoServer",
                "AlloRestoStore",
                "AlloRestoCore",
                "SIPBridge",
                "SIPCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Minimal RESP2 client on NIO (no Redis package is reachable here).
        .target(name: "RedisClient", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        // SIP messages, SDP, digest, RTP, G.711: values and codecs, no I/O.
        .target(name: "SIPCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "SIPCoreTests", dependencies: ["SIPCore", "AlloRestoTestSupport"]),
        // The SIP bridge service: lines, calls, media <-> WebSocket (Twilio Media Streams), Redis hand-off, REST.
        .target(
            name: "SIPBridge",
            dependencies: [
                "SIPCore", "RedisClient", "WireFormats",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Audio")]
        ),
        .testTarget(
            name: "SIPBridgeTests",
            dependencies: [
                "SIPBridge", "SIPCore", "RedisClient", "AlloRestoCore", "AlloRestoTestSupport", "alloresto",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Scenarios")]
        ),
        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "AlloRestoTestSupport", .product(name: "NIOCore", package: "swift-nio")]),
        // Shared by the test targets: opens throwaway databases (SQLite, and PostgreSQL when configured).
        .target(name: "AlloRestoTestSupport", dependencies: ["AlloRestoStore", "AlloRestoCore"], path: "Tests/Support"),
        // sip-agent-server's stand-in and a call emulator, written from the public contract: no AlloResto module.
        .target(
            name: "SipAgentServerDouble",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/SipAgentServerDouble"
        ),
        .testTarget(name: "AlloRestoCoreTests", dependencies: ["AlloRestoCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AlloRestoStoreTests", dependencies: ["AlloRestoStore", "AlloRestoCore", "AlloRestoTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(
            name: "AlloRestoServerTests",
            dependencies: [
                "AlloRestoServer", "AlloRestoStore", "AlloRestoCore", "AlloRestoTestSupport", "SipAgentServerDouble",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Runs the built `alloresto` binary as a user would (import, demo, start-up errors).
        .testTarget(name: "AlloRestoCLITests", dependencies: ["AlloRestoTestSupport", "SipAgentServerDouble", "alloresto"], resources: [.copy("Fixtures")]),
        // package-benchmark suites: `swift package --disable-sandbox benchmark`.
        .executableTarget(
            name: "SessionEndpointBenchmark",
            dependencies: [
                "AlloRestoServer", "AlloRestoStore", "AlloRestoCore",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Benchmarks/SessionEndpoint",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Concurrent bridged calls: sipp, redis-server and the built `alloresto sip-bridge` (release), echo workers.
        .executableTarget(
            name: "SIPBridgeBenchmark",
            dependencies: [
                "SIPBridge", "SIPCore", "RedisClient", "WireFormats", "AlloRestoTestSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/SIPBridge",
            exclude: ["uac-bench.xml"],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
