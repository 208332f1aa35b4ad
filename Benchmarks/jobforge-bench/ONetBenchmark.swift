import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeNet
import JobForgeONet
import JobForgeStore
import JobForgeTestSupport

/// `jobforge-bench onet [--latency 0.05] [--concurrency 8] [--tables skills,knowledge] [--offline-only]`
///
/// 1. Fetches every crosswalked O*NET-SOC code from the loopback fake with added latency and
///    compares the time with the ideal `requests x latency / concurrency` (target: within 1.2x).
/// 2. Fetches again through the same store cache: target 0 requests.
/// 3. The offline O*NET tier: read the shipped files, build the index, produce the offers for
///    every unit group (part of the 2 s build budget); `--offline-only` stops there.
func runONetBenchmark(arguments: [String]) async throws {
    func option(_ name: String) -> String? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }
    let latency = Double(option("--latency") ?? "") ?? 0.05
    let concurrency = Int(option("--concurrency") ?? "") ?? 8
    let tables = (option("--tables") ?? "skills,knowledge,abilities,work_activities")
        .split(separator: ",").compactMap { ONetRatingTable(rawValue: String($0)) }

    let data = RepoPaths.data
    let offlineStart = Date()
    let database = try ONetDatabaseReader.read(data.appendingPathComponent("onet/db_29_3_text"))
    let readSeconds = Date().timeIntervalSince(offlineStart)
    let crosswalk = try Crosswalk.load(data.appendingPathComponent("crosswalk/noc2021_onet26.csv"))
    let mapping = try ONetDescriptorMapping.load(data.appendingPathComponent("mappings/onet_oasis_descriptors.csv"))
    // The level scales as the tier reads them: the store's, from the authoritative step (not timed).
    let scaleStore = try TemporaryDirectory(prefix: "jobforge-bench-scales")
    defer { scaleStore.remove() }
    let built = try SQLiteStore(path: scaleStore.path("scales.sqlite").path, schemas: BuildPipeline.schemas)
    _ = try await BuildPipeline(options: .init(dataFolder: data, steps: [.authoritative])).run(store: built)
    let scales = OaSISLevelScales(try built.descriptors(category: nil).flatMap(\.scales))
    let tierStart = Date()
    let tier = ONetTier(crosswalk: crosswalk, ratings: ONetRatingIndex(database.ratings), mapping: mapping,
                        oasisScales: scales, release: database.releaseName)
    // What the build asks: every unit group (its profiles and titles are offered the same values).
    let unitGroups = crosswalk.unitGroups
    let result = tier.offers(forUnitGroups: unitGroups)
    let tierSeconds = Date().timeIntervalSince(tierStart)
    print(String(format: "onet offline: read database %.3f s (%d ratings), tier %.3f s (%d unit groups -> %d offers, %d gaps), total %.3f s",
                 readSeconds, database.ratings.count, tierSeconds, unitGroups.count, result.offers.count, result.gaps.count,
                 Date().timeIntervalSince(offlineStart)))

    if arguments.contains("--offline-only") { return }

    let server = try await FakeONetServer.start(apiKey: "bench-key-0000", latency: latency)
    let temp = try TemporaryDirectory(prefix: "onet-bench")
    defer { temp.remove() }
    let store = try SQLiteStore(path: temp.path("bench.sqlite").path, schemas: [ONetSchema.self])
    let configuration = ONetWebServicesConfiguration(baseURL: server.baseURL, apiKey: "bench-key-0000", concurrency: concurrency)
    let codes = crosswalk.socCodes
    let first = try await ONetWebServicesClient(configuration: configuration, cache: StoreONetResponseCache(store: store))
        .fetchAll(socCodes: codes, tables: tables)
    let ideal = Double(first.networkRequests) * latency / Double(concurrency)
    print(String(format: "onet fetch: %d codes x %d tables, %d requests, latency %.0f ms, concurrency %d: %.2f s (ideal %.2f s, ratio %.2f), %d ratings, %d no-data, %d failures",
                 codes.count, tables.count, first.networkRequests, latency * 1000, concurrency, first.elapsed, ideal,
                 first.elapsed / max(ideal, 0.001), first.ratings.count, first.noData.count, first.failures.count))
    let second = try await ONetWebServicesClient(configuration: configuration, cache: StoreONetResponseCache(store: store))
        .fetchAll(socCodes: codes, tables: tables)
    print(String(format: "onet fetch again: %d requests, %d cache hits, %.2f s", second.networkRequests, second.cacheHits, second.elapsed))
    await server.stop()
}
