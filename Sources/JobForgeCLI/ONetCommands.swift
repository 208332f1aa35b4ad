import ArgumentParser
import Foundation
import JobForgeCore
import JobForgeNet
import JobForgeONet
import JobForgeStore

/// `jobforge onet import|fetch`: the O*NET source (precedence 2).
public struct ONetCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "onet",
        abstract: "Load O*NET ratings: a database release (folder or zip) or O*NET Web Services v2.",
        subcommands: [ONetImportCommand.self, ONetFetchCommand.self]
    )
    public init() {}
}

/// `jobforge onet import PATH`
public struct ONetImportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load an O*NET database release (db_29_3_text folder or zip, text or Excel-export layout).",
        discussion: """
            Loading the same release twice changes nothing; a newer release replaces the ratings. Run `jobforge build` \
            to refresh the O*NET tier. Creates the store if there is none (a file that is not a JobForge store is refused).
            """
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The release folder or zip.", valueName: "path"))
    public var path: String
    @Option(name: .long, help: ArgumentHelp("Also (re)load the NOC 2021 -> O*NET crosswalk CSV.", valueName: "csv"))
    public var crosswalk: String?

    public init() {}

    public func run() async throws {
        let db = try store.openStore()
        // A run, under the store's writer lock: the build's O*NET step reads these ratings.
        let summary = try db.withRun(command: "onet import") { _ in
            try ONetImport.importDatabase(URL(fileURLWithPath: path), into: db, crosswalk: crosswalk.map { URL(fileURLWithPath: $0) })
        }
        if output.json { try Terminal.printJSON(summary); return }
        if summary.alreadyLoaded {
            print("\(summary.release) from \(summary.location) is already loaded: nothing changed.")
        } else {
            print("loaded \(summary.release): \(summary.occupations) occupations, \(summary.ratings) ratings (\(summary.tables.joined(separator: ", ")))")
        }
        if !summary.missingTables.isEmpty { print("not in this release folder: \(summary.missingTables.joined(separator: ", "))") }
        if let warning = summary.coverageWarning { print("warning: \(warning)") }
        if let pairs = summary.crosswalkPairs { print("crosswalk: \(pairs) distinct NOC <-> O*NET pairs") }
    }
}

/// `jobforge onet fetch [--noc CODE | --soc CODE | --all]`
public struct ONetFetchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch O*NET ratings from O*NET Web Services v2 (key in ONET_API_KEY).",
        discussion: """
            Responses are cached in the store: a second run within --cache-days makes no request. Creates the store if \
            there is none (a file that is not a JobForge store is refused).
            """
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions
    @Option(name: .long, help: "A NOC 2021 unit group: fetch its crosswalked O*NET-SOC codes.",
            transform: ArgumentValues.unitGroup) public var noc: String?
    @Option(name: .long, help: "One O*NET-SOC code (15-1252.00).",
            transform: ArgumentValues.onetSOC) public var soc: String?
    @Flag(name: .long, help: "Every crosswalked O*NET-SOC code.") public var all = false
    @Option(name: .long, help: "Service base URL.") public var baseURL: String = ONetAPI.defaultBaseURL.absoluteString
    @Option(name: .long, help: "Requests in flight at once.") public var concurrency: Int = 4
    @Option(name: .long, help: "Days a cached response is reused.") public var cacheDays: Double = 30

    public init() {}

    public func validate() throws {
        guard [noc != nil, soc != nil, all].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --noc CODE, --soc CODE or --all")
        }
        guard ArgumentValues.absoluteURL(baseURL) != nil else {
            throw ValidationError("--base-url \(baseURL) is not a URL")
        }
    }

    public func run() async throws {
        let db = try store.openStore()
        let key = try ONetWebServicesConfiguration.apiKey()
        guard let base = URL(string: baseURL), base.scheme != nil else { throw ValidationError("--base-url \(baseURL) is not a URL") }
        let crosswalk = Crosswalk(pairs: try ONetArchive(db).crosswalk())
        var codes: [String]
        if let soc {
            guard let code = Codes.onetSOC(soc) else { throw ValidationError("\(soc) is not an O*NET-SOC code (NN-NNNN.NN)") }
            codes = [code]
        } else if let noc {
            guard let unitGroup = Codes.unitGroup(noc) else { throw ValidationError("\(noc) is not a NOC unit group code") }
            codes = crosswalk.socCodes(forUnitGroup: unitGroup)
            if codes.isEmpty { throw ValidationError("unit group \(unitGroup) has no O*NET-SOC code in the crosswalk (load it with `jobforge build` or `onet import --crosswalk`)") }
        } else {
            codes = crosswalk.socCodes
            if codes.isEmpty { throw ValidationError("the store has no crosswalk: run `jobforge build` first") }
        }
        let configuration = ONetWebServicesConfiguration(baseURL: base, apiKey: key, concurrency: concurrency,
                                                         cacheLifetime: cacheDays * 86_400)
        let client = ONetWebServicesClient(configuration: configuration, cache: StoreONetResponseCache(store: db),
                                           log: { Terminal.printError($0) })
        let tables: [ONetRatingTable] = [.skills, .knowledge, .abilities, .workActivities]
        let progress = ProgressLine("onet fetch", total: codes.count * tables.count)
        let report = try await client.fetchAll(socCodes: codes, tables: tables) { done, _ in progress.update(done) }
        progress.finish()
        // Fetched without the lock (it takes minutes); stored as a run, under it.
        try db.withRun(command: "onet fetch") { _ in try ONetImport.storeFetch(report, baseURL: base, apiVersion: nil, into: db) }
        if output.json {
            struct Out: Encodable { var codes: Int; var ratings: Int; var noData: Int; var failures: [String]; var requests: Int; var cacheHits: Int; var seconds: Double }
            try Terminal.printJSON(Out(codes: codes.count, ratings: report.ratings.count, noData: report.noData.count,
                                       failures: report.failures.map { "\($0.soc) \($0.table.rawValue): \($0.message)" },
                                       requests: report.networkRequests, cacheHits: report.cacheHits, seconds: report.elapsed))
        } else {
            print("fetched \(codes.count) O*NET-SOC code(s): \(report.ratings.count) ratings, \(report.noData.count) \"no data\" answers, \(report.networkRequests) requests, \(report.cacheHits) from cache, \(String(format: "%.1f", report.elapsed)) s")
            for failure in report.failures { print("failed: \(failure.soc) \(failure.table.rawValue): \(failure.message)") }
        }
        if !report.failures.isEmpty { throw ExitCode(1) }
    }
}

/// `jobforge crosswalk CODE | --coverage`
public struct CrosswalkCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "crosswalk",
        abstract: "Show the NOC 2021 <-> O*NET-SOC mapping of a code, or the unit groups O*NET cannot describe."
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions
    @Argument(help: "A NOC unit group (21231) or an O*NET-SOC code (15-1252.00).", transform: CrosswalkCode.parse)
    public var code: CrosswalkCode?
    @Flag(name: .long, help: "List unit groups with no O*NET code, and those whose codes have no ratings.") public var coverage = false

    public init() {}

    struct Mapping: Encodable { var unitGroup: String; var nocTitle: String; var soc: String; var onetTitle: String; var ratings: Int }

    public func validate() throws {
        guard coverage || code != nil else {
            throw ValidationError("give a NOC unit group or an O*NET-SOC code, or --coverage")
        }
    }

    public func run() async throws {
        let db = try store.openStoreForReading()
        let archive = ONetArchive(db)
        let crosswalk = Crosswalk(pairs: try archive.crosswalk())
        let titles = Dictionary(try archive.occupations().map { ($0.code, $0.title) }, uniquingKeysWith: { a, _ in a })
        let ratings = ONetRatingIndex(try archive.ratings())
        if coverage {
            let tier = ONetTier(crosswalk: crosswalk, ratings: ratings, mapping: try ONetDescriptorMapping(rows: []),
                                oasisScales: OaSISLevelScales(scales: [:]), release: try archive.latestReleaseName() ?? "O*NET")
            let unitGroups = try archive.nocUnitGroupCodes()
            let (withoutCode, withoutRatings) = tier.coverage(allUnitGroups: unitGroups)
            if output.json {
                struct Out: Encodable { var withoutCode: [String]; var withoutRatings: [ONetUnitGroupGap] }
                try Terminal.printJSON(Out(withoutCode: withoutCode, withoutRatings: withoutRatings)); return
            }
            print("\(withoutCode.count) unit group(s) with no O*NET code: \(withoutCode.joined(separator: ", "))")
            print("\(withoutRatings.count) unit group(s) whose O*NET codes have no ratings:")
            for gap in withoutRatings { print("  \(gap.unitGroup)  \(crosswalk.nocTitle(gap.unitGroup) ?? "")  -> \(gap.socCodes.joined(separator: ", "))") }
            return
        }
        guard let code else { throw ValidationError("give a NOC unit group or an O*NET-SOC code, or --coverage") }
        var pairs: [CrosswalkPair]
        switch code.kind {
        case .soc(let soc):
            pairs = crosswalk.pairs.filter { $0.soc == soc }
        case .unitGroup(let unitGroup):
            pairs = crosswalk.pairs.filter { $0.unitGroup == unitGroup }
        }
        let rows = pairs.map { Mapping(unitGroup: $0.unitGroup, nocTitle: $0.nocTitle, soc: $0.soc,
                                       onetTitle: titles[$0.soc] ?? $0.crosswalkONetTitle, ratings: ratings.ratings(for: $0.soc).count) }
        if output.json { try Terminal.printJSON(rows); return }
        if rows.isEmpty { print("\(code.text): no crosswalk entry (O*NET has nothing for it; the LLM tier fills it)"); return }
        for row in rows {
            let note = row.ratings == 0 ? "  (no O*NET ratings)" : "  (\(row.ratings) ratings)"
            print("\(row.unitGroup)  \(row.nocTitle)  <->  \(row.soc)  \(row.onetTitle)\(note)")
        }
    }
}
