import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeNOCCoder

/// `jobforge-bench noc-coder [--data FOLDER] [--fuzzy-every N] [--set name=value ...]`: the offline
/// NOC coder's accuracy by leave-one-out over the OaSIS example titles (each title hidden from the
/// index, the unit groups ranked from the rest), beside fuzzy matching alone and a plain TF-IDF
/// over example titles (the baseline); then the share of the shipped sample architecture's given
/// codes that rank first / in the top 5, and the titles the code audit puts in doubt. Prints the
/// index build time and the per-title query time (median, p99).
///
/// Fuzzy matching alone scores every example title of every group (18,666 x 18,666 pairs for the
/// whole set): it runs on every Nth title (`--fuzzy-every`, default 20). `--set` changes a tuning
/// weight (`--set fuzzy=0.3 --set characters=0.2`), for tuning.
func runNOCCoderBenchmark(arguments: [String]) async throws {
    var dataFolder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("data")
    var fuzzyEvery = 20
    var tuning = NOCCoder.Tuning()
    var skipBaselines = false
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--data" where index + 1 < arguments.count:
            dataFolder = URL(fileURLWithPath: arguments[index + 1]); index += 1
        case "--fuzzy-every" where index + 1 < arguments.count:
            fuzzyEvery = Int(arguments[index + 1]) ?? fuzzyEvery; index += 1
        case "--only-coder":
            skipBaselines = true
        case "--set" where index + 1 < arguments.count:
            let parts = arguments[index + 1].split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Double(parts[1]) else { print("--set name=value"); exit(2) }
            switch parts[0] {
            case "exampleTitles": tuning.exampleTitles = value
            case "labels": tuning.labels = value
            case "leadStatements": tuning.leadStatements = value
            case "mainDuties": tuning.mainDuties = value
            case "words": tuning.words = value
            case "bigrams": tuning.bigrams = value
            case "characters": tuning.characters = value
            case "k1": tuning.k1 = value
            case "b0": tuning.b[0] = value
            case "b1": tuning.b[1] = value
            case "nearestTitle": tuning.nearestTitle = value
            case "nearestTitleCharacters": tuning.nearestTitleCharacters = value
            case "fuzzy": tuning.fuzzy = value
            case "fuzzyGroups": tuning.fuzzyGroups = Int(value)
            default: print("unknown weight \(parts[0])"); exit(2)
            }
            index += 1
        default:
            break
        }
        index += 1
    }

    // CPU time of this thread: on a shared, loaded machine the wall clock measures the neighbours.
    func cpuSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
    func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = cpuSeconds()
        let result = try body()
        return (result, cpuSeconds() - start)
    }
    func percent(_ hits: Int, _ total: Int) -> String { String(format: "%5.1f%%", 100 * Double(hits) / Double(max(total, 1))) }

    let (documents, loadTime) = try time { try NOCCoderDocuments.load(dataFolder: dataFolder) }
    let (coder, buildTime) = time { NOCCoder(documents, tuning: tuning) }
    print("documents: \(documents.count) unit groups, \(coder.exampleTitleCount) example titles, read in \(String(format: "%.0f", loadTime * 1000)) ms CPU")
    print("index build: \(String(format: "%.0f", buildTime * 1000)) ms CPU")

    // The whole set, leave-one-out.
    let titles = coder.exampleTitleCount
    var top1 = 0, top5 = 0
    var queryTimes: [Double] = []
    queryTimes.reserveCapacity(titles)
    for title in 0..<titles {
        let code = coder.exampleTitle(at: title).code
        let (ranked, seconds) = time { coder.rank(leavingOutExampleTitle: title, top: 5) }
        queryTimes.append(seconds)
        if ranked.first?.code == code { top1 += 1 }
        if ranked.contains(where: { $0.code == code }) { top5 += 1 }
    }
    queryTimes.sort()
    let median = queryTimes[queryTimes.count / 2] * 1000, p99 = queryTimes[queryTimes.count * 99 / 100] * 1000

    if !skipBaselines {
        let baseline = PlainTFIDF(documents)
        var baseline1 = 0, baseline5 = 0
        for title in 0..<titles {
            let (text, code) = coder.exampleTitle(at: title)
            let ranked = baseline.rank(text, hiding: (code, text))
            if ranked.first == code { baseline1 += 1 }
            if ranked.prefix(5).contains(code) { baseline5 += 1 }
        }
        print("leave-one-out over \(titles) OaSIS example titles      top-1   top-5")
        print("  plain TF-IDF over example titles (baseline)   \(percent(baseline1, titles))  \(percent(baseline5, titles))")

        let fuzzy = FuzzyOnly(documents)
        var fuzzy1 = 0, fuzzy5 = 0, fuzzyCount = 0
        for title in stride(from: 0, to: titles, by: max(1, fuzzyEvery)) {
            let (text, code) = coder.exampleTitle(at: title)
            let ranked = fuzzy.rank(text, hidingExampleTitle: title)
            fuzzyCount += 1
            if ranked.first == code { fuzzy1 += 1 }
            if ranked.prefix(5).contains(code) { fuzzy5 += 1 }
        }
        print("  fuzzy WRatio alone (every \(fuzzyEvery)th title, \(fuzzyCount))     \(percent(fuzzy1, fuzzyCount))  \(percent(fuzzy5, fuzzyCount))")
    }
    print("  NOCCoder                                       \(percent(top1, titles))  \(percent(top5, titles))")
    print(String(format: "query time per title (leave-one-out, CPU): median %.2f ms, p99 %.2f ms", median, p99))

    // The shipped sample architecture: its titles with a given NOC 2021 code.
    let sampleURL = dataFolder.appendingPathComponent("sample/job_architecture.csv")
    let records = try CSVReader().records(try Data(contentsOf: sampleURL), file: sampleURL.lastPathComponent)
    let header = records[0].fields.map { $0.trimmingCharacters(in: .whitespaces) }
    guard let titleColumn = header.firstIndex(of: "Job Title"), let codeColumn = header.firstIndex(of: "NOC 2021") else {
        print("the sample has no Job Title / NOC 2021 columns"); return
    }
    var coded = 0, sample1 = 0, sample5 = 0
    var doubts: [CodeAudit] = []
    for record in records.dropFirst() {
        guard record.fields.count > max(titleColumn, codeColumn), let code = Codes.unitGroup(record.fields[codeColumn]) else { continue }
        let title = record.fields[titleColumn]
        coded += 1
        let audit = coder.audit(title: title, givenCode: code)
        if audit.given?.rank == 1 { sample1 += 1 }
        if let rank = audit.given?.rank, rank <= 5 { sample5 += 1 }
        if audit.verdict == .inDoubt { doubts.append(audit) }
    }
    print("sample architecture: \(coded) titles with a NOC 2021 code: given code top-1 \(percent(sample1, coded)), top-5 \(percent(sample5, coded))")
    print("code audit (rule: given not in top 5 and best >= 1.5 x given): \(doubts.count) of \(coded) in doubt")
    for audit in doubts { print("  \(audit.title) [\(audit.givenCode ?? "")]: \(audit.explanation)") }
}

/// The baseline: one TF-IDF vector of words per unit group over its example titles
/// (smoothed IDF, cosine), the hidden title's words taken out of its group.
private struct PlainTFIDF {
    var codes: [String]
    var vectors: [[String: Double]]
    var idf: [String: Double]
    var norms: [Double]
    var postings: [String: [Int]]

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
    }

    init(_ documents: [UnitGroupDocument]) {
        codes = documents.map(\.code)
        vectors = documents.map { document in
            var counts: [String: Double] = [:]
            for title in document.exampleTitles { for word in Self.words(title) { counts[word, default: 0] += 1 } }
            return counts
        }
        var df: [String: Int] = [:]
        postings = [:]
        for (group, vector) in vectors.enumerated() {
            for word in vector.keys { df[word, default: 0] += 1; postings[word, default: []].append(group) }
        }
        let n = Double(documents.count)
        idf = df.mapValues { log((1 + n) / (1 + Double($0))) + 1 }
        norms = vectors.map { [idf] vector in sqrt(vector.reduce(0) { $0 + pow($1.value * idf[$1.key]!, 2) }) }
    }

    func rank(_ text: String, hiding: (code: String, text: String)) -> [String] {
        var query: [String: Double] = [:]
        for word in Self.words(text) { query[word, default: 0] += 1 }
        let hidden = codes.firstIndex(of: hiding.code)
        var removed: [String: Double] = [:]
        for word in Self.words(hiding.text) { removed[word, default: 0] += 1 }
        var hiddenNorm = hidden.map { norms[$0] * norms[$0] } ?? 0
        if let hidden {
            for (word, count) in removed {
                let tf = vectors[hidden][word] ?? 0, weight = idf[word] ?? 0
                hiddenNorm += pow((tf - count) * weight, 2) - pow(tf * weight, 2)
            }
        }
        let queryNorm = sqrt(query.reduce(0) { $0 + pow($1.value * (idf[$1.key] ?? 0), 2) })
        var scores: [Int: Double] = [:]
        for (word, count) in query {
            guard let weight = idf[word] else { continue }
            for group in postings[word] ?? [] {
                var tf = vectors[group][word] ?? 0
                if group == hidden { tf -= removed[word] ?? 0 }
                if tf > 0 { scores[group, default: 0] += count * weight * tf * weight }
            }
        }
        return scores.compactMap { group, dot -> (Int, Double)? in
            let norm = group == hidden ? sqrt(max(hiddenNorm, 0)) : norms[group]
            return norm > 0 && queryNorm > 0 ? (group, dot / (norm * queryNorm)) : nil
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(5).map { codes[$0.0] }
    }
}

/// Fuzzy matching alone: a group's score is the best WRatio of the title against its example
/// titles (but the hidden one) and its labels.
private struct FuzzyOnly {
    var codes: [String]
    var choices: [[(index: Int?, key: FuzzyScorer.Prepared)]]

    init(_ documents: [UnitGroupDocument]) {
        codes = documents.map(\.code)
        var next = 0
        choices = documents.map { document in
            var group: [(Int?, FuzzyScorer.Prepared)] = []
            for title in document.exampleTitles {
                group.append((next, FuzzyScorer.Prepared(NOCText.matchKey(title))))
                next += 1
            }
            for label in document.labels + [document.title] { group.append((nil, FuzzyScorer.Prepared(NOCText.matchKey(label)))) }
            return group
        }
    }

    func rank(_ text: String, hidingExampleTitle hidden: Int) -> [String] {
        let query = FuzzyScorer.Prepared(NOCText.matchKey(text), query: true)
        var workspace = FuzzyScorer.Workspace()
        let scores = choices.map { group in
            group.reduce(0.0) { best, choice in
                choice.index == hidden ? best : max(best, FuzzyScorer.wRatio(query, choice.key, above: best, workspace: &workspace))
            }
        }
        return scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(5).map { codes[$0] }
    }
}
