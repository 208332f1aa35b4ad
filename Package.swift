// swift-tools-version: 6.1
import PackageDescription

// The folder tree follows the data flow (see docs/ARCHITECTURE.md):
// CLI -> Build -> sources (OaSIS, Titles, ONet, LLM, TBS) -> Store / Net -> Core.
// A source module never imports another source module; each owns its tables (a StoreSchema).
let package = Package(
    name: "JobForge",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "jobforge", targets: ["jobforge"]),
        .library(name: "JobForgeCore", targets: ["JobForgeCore"]),
    ],
    traits: [
        // Off by default: the README's first build stays as fast as before (see "jobforge serve").
        .trait(name: "Server", description: "`jobforge serve`: a read-only HTTP server on the store (JobForgeServer, on FlyingFox)."),
        // `jobforge publish` to PostgreSQL: off by default, since postgres-nio (SwiftNIO, swift-crypto)
        // adds minutes to a clean build. `swift build -c release --product jobforge --traits PostgreSQL`.
        .trait(name: "PostgreSQL", description: "jobforge publish: the published model to a PostgreSQL server (postgres-nio)."),
        // For the test suite only (the README's test command turns every trait on, in release): a
        // test can hold a step before its commit and kill it there (`TestHooks`). Debug builds have
        // the hooks anyway; a binary built for use never should.
        .trait(name: "TestHooks", description: "Test hooks in a release build (JOBFORGE_TEST_HOLD_IN_STEP), for the test suite only."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.20.0"),
        // Reading .xlsx workbooks (a ZIP package); its XML is parsed with libxml2 (CLibXML2).
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // The domain, no I/O: codes, descriptors, scales, subjects, cells, candidates, precedence.
        .target(name: "JobForgeCore"),
        // HTTP plumbing shared by the network sources: transport, retry policy, rate limits.
        .target(name: "JobForgeNet"),
        // The cell engine on SQLite: subjects, candidates, the override log, the packed layers,
        // runs and steps, the reference tables; each source registers its own tables with it.
        .target(name: "JobForgeStore", dependencies: [
            "JobForgeCore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // Sources: each knows Core, Store and Net, never another source.
        .target(name: "JobForgeOaSIS", dependencies: ["JobForgeCore"]),
        // The offline NOC coder: ranks unit groups for a title from their OaSIS texts (pure, no I/O).
        .target(name: "JobForgeNOCCoder", dependencies: ["JobForgeCore"]),
        .target(name: "JobForgeTitles", dependencies: [
            "JobForgeCore", "JobForgeStore", "CLibXML2", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "JobForgeONet", dependencies: [
            "JobForgeCore", "JobForgeStore", "JobForgeNet",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        .target(name: "JobForgeLLM", dependencies: [
            "JobForgeCore", "JobForgeStore", "JobForgeNet", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0",
                       providers: [.apt(["libxml2-dev"])]),
        .target(name: "JobForgeTBS", dependencies: [
            "JobForgeCore", "JobForgeStore", "JobForgeNet", "CLibXML2", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // `jobforge build`: the build steps in their fixed order, each one transaction, and what
        // spans sources (the LLM step's requests, titles' applied NOC suggestions).
        .target(name: "JobForgeBuild", dependencies: [
            "JobForgeCore", "JobForgeStore", "JobForgeNet", "JobForgeOaSIS", "JobForgeTitles", "JobForgeONet", "JobForgeLLM",
            "JobForgeNOCCoder", .product(name: "GRDB", package: "GRDB.swift"),
        ], swiftSettings: [.define("JOBFORGE_TEST_HOOKS", .when(traits: ["TestHooks"]))]),
        // `jobforge report` (and the pages `serve` shows): coverage, cost, review, profile sheets, as
        // typed values and one self-contained HTML page; reads the store only.
        .target(name: "JobForgeReport", dependencies: [
            "JobForgeCore", "JobForgeStore", "JobForgeBuild", "JobForgeTitles", "JobForgeLLM", "JobForgeONet",
        ]),
        // `jobforge serve`: the report's pages and a JSON API over HTTP, read-only (trait Server).
        .target(name: "JobForgeServer", dependencies: [
            "JobForgeCore", "JobForgeStore", "JobForgeBuild", "JobForgeTitles", "JobForgeTBS", "JobForgeReport",
            .product(name: "FlyingFox", package: "FlyingFox"), .product(name: "FlyingSocks", package: "FlyingFox"),
        ]),
        // `jobforge publish`: the store's published model into a PostgreSQL schema, one transaction.
        .target(name: "JobForgePublish", dependencies: [
            "JobForgeCore", "JobForgeStore", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .target(name: "JobForgeCLI", dependencies: [
            "JobForgeCore", "JobForgeReport", .target(name: "JobForgeServer", condition: .when(traits: ["Server"])), "JobForgeStore", "JobForgeBuild", "JobForgeTitles", "JobForgeONet",
            "JobForgeLLM", "JobForgeTBS", "JobForgeNet", "JobForgeNOCCoder", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .target(name: "JobForgePublish", condition: .when(traits: ["PostgreSQL"])),
        ]),
        .executableTarget(name: "jobforge", dependencies: ["JobForgeCLI"]),
        .executableTarget(name: "jobforge-bench", dependencies: [
            "JobForgeCLI", "JobForgeBuild", "JobForgeStore", "JobForgeOaSIS", "JobForgeTitles", "JobForgeONet",
            "JobForgeLLM", "JobForgeTBS", "JobForgeNet", "JobForgeCore", "JobForgeTestSupport", "JobForgeNOCCoder", "JobForgeReport", "JobForgeServer",
        ],
                          path: "Benchmarks/jobforge-bench"),

        // Loopback fakes (O*NET, OpenAI-compatible, canada.ca) and temp stores for the tests.
        .target(name: "JobForgeTestSupport", dependencies: [
            "JobForgeCore", "JobForgeStore", "JobForgeServer",
            .product(name: "FlyingFox", package: "FlyingFox"),
            .product(name: "FlyingSocks", package: "FlyingFox"),
        ], path: "Tests/JobForgeTestSupport"),
        .testTarget(name: "JobForgeCoreTests", dependencies: ["JobForgeCore", "JobForgeTestSupport"]),
        .testTarget(name: "JobForgeNetTests", dependencies: ["JobForgeNet", "JobForgeTestSupport"]),
        .testTarget(name: "JobForgeStoreTests", dependencies: [
            "JobForgeStore", "JobForgeTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "JobForgeOaSISTests", dependencies: [
            "JobForgeOaSIS", "JobForgeBuild", "JobForgeTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "JobForgeTitlesTests", dependencies: ["JobForgeTitles", "JobForgeTestSupport"]),
        .testTarget(name: "JobForgeONetTests", dependencies: ["JobForgeONet", "JobForgeOaSIS", "JobForgeNet", "JobForgeTestSupport"]),
        .testTarget(name: "JobForgeNOCCoderTests", dependencies: [
            "JobForgeNOCCoder", "JobForgeBuild", "JobForgeOaSIS", "JobForgeTestSupport",
        ]),
        .testTarget(name: "JobForgeLLMTests", dependencies: ["JobForgeLLM", "JobForgeNet", "JobForgeTestSupport"]),
        .testTarget(name: "JobForgeTBSTests", dependencies: ["JobForgeTBS", "JobForgeNet", "JobForgeTestSupport"]),
        .testTarget(name: "JobForgePublishTests", dependencies: ["JobForgePublish", "JobForgeTestSupport"]),
        .testTarget(name: "JobForgeCLITests", dependencies: [
            "JobForgeCLI", "JobForgeBuild", "JobForgeTitles", "JobForgeLLM", "JobForgeNet", "JobForgeONet", "JobForgeTestSupport",
            "JobForgeStore", "JobForgeReport", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .target(name: "JobForgeServer", condition: .when(traits: ["Server"])),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
