import Foundation
import JobForgeCore
import JobForgeONet
import JobForgeStore
import JobForgeTestSupport

/// `jobforge-bench onet-import [--runs N] [--folder PATH] [--read-only]`: times the three phases of
/// `jobforge onet import` / the build's O*NET import on a release (default: the shipped
/// `data/onet/db_29_3_text`), over N runs (default 5):
///
/// 1. read: `ONetDatabaseReader.read` (read, hash and parse the files);
/// 2. insert: `SQLiteStore.importONetRelease` into a fresh temporary store (its creation not timed);
/// 3. read back: `SQLiteStore.onetRatings()` from that store.
///
/// `--read-only` runs phase 1 alone (for a profiler). Targets (release build): read < 0.15 s,
/// insert < 0.2 s, read back < 0.15 s. It also prints digests of what was parsed (every field,
/// doubles by bit pattern), to compare a parser with an older one, and checks that the ratings
/// read back are the ones inserted.
func runONetImportBenchmark(arguments: [String]) async throws {
    var runs = 5
    var folder = RepoPaths.data.appendingPathComponent("onet/db_29_3_text")
    var readOnly = false
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--read-only":
            readOnly = true
        case "--runs" where index + 1 < arguments.count:
            runs = max(1, Int(arguments[index + 1]) ?? runs); index += 1
        case "--folder" where index + 1 < arguments.count:
            folder = URL(fileURLWithPath: arguments[index + 1]); index += 1
        default:
            break
        }
        index += 1
    }

    /// Per phase, the process's CPU seconds (all threads: the reader hashes on a second one), which
    /// tell working from waiting for a busy machine or the disk.
    var cpu: [String: [Double]] = [:]
    func processCPU() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
    /// The result and the wall-clock seconds.
    func time<T>(_ phase: String, _ body: () throws -> T) rethrows -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = processCPU()
        let result = try body()
        cpu[phase, default: []].append(processCPU() - cpuStart)
        return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    let temp = try TemporaryDirectory(prefix: "onet-import-bench")
    defer { temp.remove() }
    var readTimes: [Double] = [], insertTimes: [Double] = [], readBackTimes: [Double] = []
    var database: ONetDatabase?
    var readBack: [ONetRating] = []
    for run in 1...runs {
        let (parsed, readSeconds) = try time("read") { try ONetDatabaseReader.read(folder) }
        if readOnly {
            print(String(format: "run %d: read %.3f s (cpu %.3f s)", run, readSeconds, cpu["read"]!.last!))
            continue
        }
        let store = try SQLiteStore(path: temp.path("run-\(run).sqlite").path, schemas: [ONetSchema.self])
        let tables = ONetRatingTable.allCases.filter { !parsed.missingTables.contains($0) }
        let release = ONetReleaseInfo(name: parsed.releaseName, origin: .database, fingerprint: parsed.fingerprint,
                                      location: folder.path, loadedAt: Date(), ratings: parsed.ratings.count)
        let (_, insertSeconds) = try time("insert") {
            try ONetArchive(store).importRelease(release, occupations: parsed.occupations, ratings: parsed.ratings, tables: tables)
        }
        let (ratings, readBackSeconds) = try time("read back") { try ONetArchive(store).ratings() }
        print(String(format: "run %d: read %.3f s (cpu %.3f s), insert %.3f s (cpu %.3f s), read back %.3f s (cpu %.3f s)", run,
                     readSeconds, cpu["read"]!.last!, insertSeconds, cpu["insert"]!.last!, readBackSeconds, cpu["read back"]!.last!))
        readTimes.append(readSeconds); insertTimes.append(insertSeconds); readBackTimes.append(readBackSeconds)
        database = parsed
        readBack = ratings
    }
    guard let database else { return }

    func summary(_ name: String, _ times: [Double], cpu: [Double], target: Double) -> String {
        let sorted = times.sorted()
        return String(format: "%@: min %.3f s, median %.3f s, max %.3f s (target < %.2f s); cpu median %.3f s",
                      name, sorted[0], sorted[sorted.count / 2], sorted[sorted.count - 1], target, cpu.sorted()[cpu.count / 2])
    }
    print("onet import: \(database.releaseName), \(database.occupations.count) occupations, \(database.ratings.count) ratings, \(runs) runs")
    print(summary("read + parse", readTimes, cpu: cpu["read"]!, target: 0.15))
    print(summary("insert      ", insertTimes, cpu: cpu["insert"]!, target: 0.2))
    print(summary("read back   ", readBackTimes, cpu: cpu["read back"]!, target: 0.15))

    // Same values as the parser before the speed-up? Compare these digests across versions.
    print("fingerprint: \(database.fingerprint)")
    print("parsed ratings digest: \(digest(database.ratings))")
    print("occupations digest: \(SHA256.hex(database.occupations.map { "\($0.code)\t\($0.title)\t\($0.description)" }.joined(separator: "\n")))")
    // The store returns the rows ordered by code, table, element, scale and category.
    let expected = database.ratings.sorted {
        ($0.soc, $0.table.rawValue, $0.elementID, $0.scaleID, $0.category) < ($1.soc, $1.table.rawValue, $1.elementID, $1.scaleID, $1.category)
    }
    print("read back \(readBack.count) ratings, identical to the parsed ones: \(readBack == expected)")
}

/// Every field of every rating, doubles by bit pattern, in order.
private func digest(_ ratings: [ONetRating]) -> String {
    func number(_ value: Double?) -> String { value.map { String($0.bitPattern, radix: 16) } ?? "-" }
    func flag(_ value: Bool?) -> String { value.map { $0 ? "Y" : "N" } ?? "-" }
    var text = ""
    text.reserveCapacity(ratings.count * 120)
    for r in ratings {
        text += "\(r.table.rawValue)\t\(r.soc)\t\(r.elementID)\t\(r.elementName)\t\(r.scaleID)\t\(r.category)\t"
        text += "\(number(r.value))\t\(r.n.map(String.init) ?? "-")\t\(number(r.standardError))\t\(number(r.lowerCI))\t"
        text += "\(number(r.upperCI))\t\(flag(r.recommendSuppress))\t\(flag(r.notRelevant))\t\(r.date ?? "-")\t\(r.domainSource ?? "-")\n"
    }
    return SHA256.hex(text)
}
