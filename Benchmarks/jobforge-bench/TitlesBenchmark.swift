import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeStore
import JobForgeTitles

/// `jobforge-bench titles [--count N] [--data FOLDER] [--write-csv FILE]`: import, resolve and inherit
/// N job titles (default 2,000) generated from the shipped sample architecture, and print the time
/// of each part. `--write-csv FILE` only writes the generated file, to time `jobforge titles import`
/// itself with `/usr/bin/time -v` (its peak memory is the command's, not this program's).
/// Targets (release build): the whole import under 0.3 s, resolution alone under 50 ms.
///
/// "whole command" is what `jobforge titles import` does on a built store: the resolver over the
/// store's profiles, parse, resolve and store the titles, bring the winners of titles with values
/// of their own in line, and count the inherited cells (which the store derives when read).
func runTitlesBenchmark(arguments: [String]) async throws {
    var count = 2_000
    var dataFolder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("data")
    var csvOut: URL?
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--count" where index + 1 < arguments.count:
            count = Int(arguments[index + 1]) ?? count; index += 1
        case "--write-csv" where index + 1 < arguments.count:
            csvOut = URL(fileURLWithPath: arguments[index + 1]); index += 1
        case "--data" where index + 1 < arguments.count:
            dataFolder = URL(fileURLWithPath: arguments[index + 1]); index += 1
        default:
            break
        }
        index += 1
    }

    func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    func ms(_ seconds: Double) -> String { String(format: "%8.1f ms", seconds * 1000) }

    // The input: the sample's rows, repeated with the changes HR spreadsheets make to titles.
    let input = try generatedArchitecture(count: count, dataFolder: dataFolder)
    if let csvOut {
        try input.write(to: csvOut)
        print("wrote \(count) titles to \(csvOut.path)")
        return
    }

    let (reference, referenceTime) = try time { try ProfileReference.oasisFiles(dataDirectory: dataFolder) }
    let (concordance, concordanceTime) = try time { try NOCConcordance.shipped(dataDirectory: dataFolder) }
    let (resolver, indexTime) = time { TitleResolver(reference: reference, concordance: concordance) }

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-bench-titles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try SQLiteStore(path: directory.appendingPathComponent("bench.sqlite").path, schemas: BuildPipeline.schemas)
    let importer = TitleImporter(resolver: resolver)

    let (summary, importTime) = try time { try store.dbQueue.write { try importer.importData(input, file: "bench.csv", in: $0) } }
    let (_, reimportTime) = try time { try store.dbQueue.write { try importer.importData(input, file: "bench.csv", in: $0) } }

    let parsed = try ArchitectureParser(unitGroups: resolver.unitGroups, concordance: concordance).parse(input, file: "bench.csv")
    let (_, parseTime) = try time { try ArchitectureParser(unitGroups: resolver.unitGroups, concordance: concordance).parse(input, file: "bench.csv") }
    let (resolutions, resolveTime) = time { parsed.titles.map { resolver.resolve($0) } }
    // The resolver indexes a unit group the first time one of its titles comes: a fresh one pays for that.
    let (_, coldResolveTime) = time {
        let fresh = TitleResolver(reference: reference, concordance: concordance)
        return parsed.titles.map { fresh.resolve($0) }
    }

    // Inheritance: every profile's real skills ratings as authoritative candidates.
    let skillsURL = dataFolder.appendingPathComponent("oasis/skills_oasis_2023_v1.0.csv")
    let skills = try CSVReader().records(try Data(contentsOf: skillsURL), file: skillsURL.lastPathComponent)
    let descriptors = skills[0].fields.map(\.trimmingSpacesAndNBSP)
    let observedAt = Date()
    var byProfile: [String: [Candidate]] = [:]
    for record in skills.dropFirst() {
        guard let code = Codes.profile(record.fields[0]) else { continue }
        for column in 2..<min(descriptors.count, record.fields.count) {
            guard let value = Double(record.fields[column]) else { continue }
            byProfile[code, default: []].append(Candidate(
                key: CellKey(subject: .profile(code), descriptor: descriptors[column], dimension: .level), value: value,
                source: .authoritative, method: "oasis_rating", sourceLevel: .l6, sourceIDs: [code], confidence: 1,
                release: "OaSIS 2023 v1.0", observedAt: observedAt))
        }
    }
    let (inherited, inheritTime) = time {
        zip(parsed.titles, resolutions).reduce(0) { total, pair in
            total + (pair.1.inheritance(titleID: pair.0.id).map {
                TitleInheritanceRule.candidates($0, profileCandidates: byProfile[$0.profileCode] ?? [], observedAt: observedAt)
            }?.count ?? 0)
        }
    }

    // The command itself, on a store built from the shipped data (not timed: that is `jobforge build`).
    let built = try SQLiteStore(path: directory.appendingPathComponent("built.sqlite").path, schemas: BuildPipeline.schemas)
    _ = try await BuildPipeline(options: .init(dataFolder: dataFolder)).run(store: built)
    let (builtImporter, resolverTime) = try time {
        TitleImporter(resolver: try TitleImporter.resolver(store: built, dataDirectory: dataFolder))
    }
    var importOnly = 0.0
    let (commandResult, resolvingTime) = try time { () throws -> (TitleImportSummary, TitleCells.Report) in
        try built.withRun(command: "titles import") { runID in
            try built.dbQueue.write { db in
                try TitleCells.resolving(in: db, runID: runID) { db in
                    let (summary, seconds) = try time { try builtImporter.importData(input, file: "bench.csv", in: db) }
                    importOnly = seconds
                    return summary
                }
            }
        }
    }
    let commandTime = resolverTime + resolvingTime
    let (readBack, readTime) = try time {
        try built.winners(of: .title("B-0"), filter: CellFilter()).count
    }

    let methods = summary.resolvedByMethod.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    print("titles benchmark: \(count) titles (\(summary.imported) imported, \(summary.skipped) skipped)")
    print("  read OaSIS labels + titles (CSV)   \(ms(referenceTime))   (\(reference.profiles.count) profiles)")
    print("  read NOC 2016 concordance          \(ms(concordanceTime))")
    print("  build resolver index               \(ms(indexTime))")
    print("  import (parse+resolve+store)       \(ms(importTime))")
    print("  re-import, nothing changes         \(ms(reimportTime))")
    print("  parse + check alone                \(ms(parseTime))")
    print("  resolution alone                   \(ms(resolveTime))   (\(methods))")
    print("    with a fresh resolver            \(ms(coldResolveTime))   (indexing each unit group on first use)")
    print("  inheritance in memory (skills)     \(ms(inheritTime))   (\(inherited) candidates)")
    print("  whole command on a built store     \(ms(commandTime))   (\(commandResult.1.resolved) of \(commandResult.1.titles) titles resolved, \(commandResult.1.inheritedCells) cells inherited)")
    print("    resolver over the store's profiles \(ms(resolverTime))")
    print("    parse, resolve, store             \(ms(importOnly))")
    print("    reconcile and count inherited     \(ms(resolvingTime - importOnly))")
    print("  read one title's cells back        \(ms(readTime))   (\(readBack) cells)")
}

/// A job architecture of `count` titles (ids `B-0`, `B-1`, ...): the shipped sample's rows,
/// repeated with the changes HR spreadsheets make to titles.
func generatedArchitecture(count: Int, dataFolder: URL) throws -> Data {
    let sampleURL = dataFolder.appendingPathComponent("sample/job_architecture.csv")
    let sample = try CSVReader().records(try Data(contentsOf: sampleURL), file: sampleURL.lastPathComponent)
    let header = sample[0].fields
    let rows = Array(sample.dropFirst())
    let variants: [(String) -> String] = [{ $0 }, { "Senior " + $0 }, { $0 + " II" }, { "Sr. " + $0 }, { $0 + " - Team Lead" },
                                          { $0.uppercased() }, { "Lead " + $0 }, { $0 + " (bilingual)" }]
    var csv = CSVWriter.byteOrderMark + CSVWriter.line(header)
    for i in 0..<count {
        var fields = rows[i % rows.count].fields
        fields[0] = "B-\(i)"
        fields[1] = variants[(i / rows.count) % variants.count](fields[1])
        csv += CSVWriter.line(fields)
    }
    return Data(csv.utf8)
}
