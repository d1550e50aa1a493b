// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "payflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "payflow", targets: ["PayFlowCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // The dashboard test speaks the DevTools protocol to headless Chromium over a WebSocket.
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        // MARK: - C libraries, linked from the system (apt: libhiredis-dev, libpq-dev)
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "CLibpq",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        // MARK: - Clients: Swift values in, Swift values out, C calls on threads of their own
        .target(
            name: "PayFlowRedis",
            dependencies: [
                "CHiredis",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "PayFlowPostgres",
            dependencies: [
                "CLibpq",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: - The consumer-group runtime every service stands on
        .target(
            name: "PayFlowRuntime",
            dependencies: [
                "PayFlowDomain",
                "PayFlowRedis",
                "PayFlowPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),

        // MARK: - HTTP plumbing of the spec-first APIs
        /// The JSON error body, the error middleware of the generated OpenAPI
        /// layer and `GET /openapi.json`, once for the generator and analytics
        /// APIs. A target of its own rather than part of PayFlowRuntime, so that
        /// the runtime (and every consumer service on it) does not link
        /// OpenAPIRuntime.
        .target(
            name: "PayFlowHTTP",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: - The payment domain: stream names and the event contract
        .target(
            name: "PayFlowDomain",
            dependencies: []
        ),

        // MARK: - Services

        /// The event generator: simulation, ground truth, REST API.
        .target(
            name: "PayFlowGenerator",
            dependencies: [
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"]
        ),

        /// The generator's REST API, generated from `openapi.json` (spec first).
        .target(
            name: "PayFlowGeneratorAPI",
            dependencies: [
                "PayFlowHTTP",
                "PayFlowGenerator",
                "PayFlowDomain",
                "PayFlowRuntime",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Also served as `GET /openapi.json`: the document the code was generated from.
            resources: [.copy("openapi.json")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),

        /// Anti-fraud: rules over per-account state kept in Redis, alerts out.
        .target(
            name: "PayFlowAntiFraud",
            dependencies: [
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"]
        ),

        /// Reconciliation: events against the reference ledger, mismatches out.
        .target(
            name: "PayFlowReconciliation",
            dependencies: [
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"]
        ),

        /// Notification: templated messages per event and alert, delivered to
        /// the log or a signed webhook, each recorded once.
        .target(
            name: "PayFlowNotification",
            dependencies: [
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            exclude: ["README.md"]
        ),

        /// Scoring: what the services found against the generator's answer key
        /// (`fraud-report`, `reconciliation-report`, the dashboard's detection
        /// figures). It reads tables only, so it needs no service module.
        .target(
            name: "PayFlowScoring",
            dependencies: [
                "PayFlowDomain",
                "PayFlowPostgres",
            ],
            exclude: ["README.md"]
        ),

        /// Analytics: exact aggregates of events, alerts and mismatches.
        .target(
            name: "PayFlowAnalytics",
            dependencies: [
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            exclude: ["README.md"]
        ),

        /// The analytics HTTP API, generated from `openapi.json` (spec first).
        .target(
            name: "PayFlowAnalyticsAPI",
            dependencies: [
                "PayFlowHTTP",
                "PayFlowAnalytics",
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowPostgres",
                "PayFlowRedis",
                // The dashboard's detection scores are the scoring reports.
                "PayFlowScoring",
                // The dashboard's controls reach the generator's API through this process.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("openapi.json")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),

        /// Audit log: every entry of every stream, stored once, hash-chained.
        .target(
            name: "PayFlowAuditLog",
            dependencies: [
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            exclude: ["README.md"]
        ),

        /// Balances: each account's running balance, the worked example of
        /// a new consumer-group service (docs/extending.md).
        .target(
            name: "PayFlowBalances",
            dependencies: [
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        /// Benchmarks that run inside one process (`payflow bench ...`).
        .target(
            name: "PayFlowBench",
            dependencies: [
                // DrainWatch's "audit exact" covers every stream the audit log copies.
                "PayFlowAuditLog",
                // The slow webhook receiver verifies signatures as a customer would.
                "PayFlowNotification",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowDomain",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: - The one executable: `payflow <subcommand>`
        .executableTarget(
            name: "PayFlowCLI",
            dependencies: [
                "PayFlowRuntime",
                "PayFlowDomain",
                "PayFlowGenerator",
                "PayFlowGeneratorAPI",
                "PayFlowAntiFraud",
                "PayFlowReconciliation",
                "PayFlowNotification",
                "PayFlowAnalytics",
                "PayFlowAnalyticsAPI",
                "PayFlowAuditLog",
                "PayFlowBalances",
                "PayFlowScoring",
                "PayFlowBench",
                "PayFlowPostgres",
                "PayFlowRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: - Tests: real redis-server and PostgreSQL on loopback
        .target(
            name: "PayFlowTestSupport",
            dependencies: [
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            path: "Tests/PayFlowTestSupport"
        ),
        .testTarget(
            name: "PayFlowRedisTests",
            dependencies: ["PayFlowRedis", "PayFlowTestSupport"]
        ),
        .testTarget(
            name: "PayFlowPostgresTests",
            dependencies: [
                "PayFlowPostgres",
                "PayFlowTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PayFlowRuntimeTests",
            dependencies: [
                "PayFlowRuntime",
                "PayFlowPostgres",
                "PayFlowRedis",
                "PayFlowTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "PayFlowBenchTests",
            dependencies: [
                "PayFlowBench",
                "PayFlowDomain",
                "PayFlowRedis",
                "PayFlowTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PayFlowDomainTests",
            dependencies: ["PayFlowDomain"]
        ),
        .testTarget(
            name: "PayFlowGeneratorTests",
            dependencies: [
                "PayFlowGenerator",
                "PayFlowScoring",
                "PayFlowRuntime",
                "PayFlowDomain",
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "PayFlowGeneratorAPITests",
            dependencies: [
                "PayFlowGeneratorAPI",
                "PayFlowGenerator",
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "PayFlowAntiFraudTests",
            dependencies: [
                "PayFlowAntiFraud",
                "PayFlowScoring",
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowGenerator",
                "PayFlowTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "PayFlowReconciliationTests",
            dependencies: [
                "PayFlowReconciliation",
                "PayFlowScoring",
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowGenerator",
                "PayFlowTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "PayFlowNotificationTests",
            dependencies: [
                "PayFlowNotification",
                // Its figures as analytics reads them (GET /v1/stats/notifications).
                "PayFlowAnalytics",
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowGenerator",
                "PayFlowTestSupport",
                // The template values test renders with the dictionary context they replaced.
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "PayFlowAnalyticsTests",
            dependencies: [
                "PayFlowAnalytics",
                "PayFlowAnalyticsAPI",
                "PayFlowScoring",
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowGenerator",
                "PayFlowTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "PayFlowBalancesTests",
            dependencies: [
                "PayFlowBalances",
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PayFlowAuditLogTests",
            dependencies: [
                "PayFlowAuditLog",
                "PayFlowDomain",
                "PayFlowRuntime",
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowGenerator",
                "PayFlowTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `make test-faults`: the whole platform as processes, with faults injected.
        .testTarget(
            name: "PayFlowFaultTests",
            dependencies: [
                // Built first so the tests can run the real `payflow` binary.
                "PayFlowCLI",
                "PayFlowAuditLog",
                // StoreRefusalTests runs every service's builder in-process.
                "PayFlowAntiFraud",
                "PayFlowNotification",
                "PayFlowReconciliation",
                "PayFlowAnalyticsAPI",
                "PayFlowDomain",
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowRuntime",
                "PayFlowTestSupport",
                .product(name: "Logging", package: "swift-log"),
                // The webhook endpoint that counts deliveries (DeliveryCounter), on an event loop of its own.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PayFlowProcessTests",
            dependencies: [
                // Built first so the tests can run the real `payflow` binary.
                "PayFlowCLI",
                "PayFlowDomain",
                "PayFlowRedis",
                "PayFlowPostgres",
                "PayFlowRuntime",
                "PayFlowTestSupport",
                // Drives headless Chromium over the DevTools protocol (DashboardControlsProcessTests).
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
