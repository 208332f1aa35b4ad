import Foundation
import GRDB
import JobForgeCore
import JobForgeTestSupport
import Testing

/// `jobforge evaluate onet` on the shipped build, checked against figures computed here, from
/// scratch, out of `export --all-candidates` (not by the code under test).
@Suite("evaluate onet", .serialized)
struct EvaluateONetTests {
    /// One O*NET level and the OaSIS level of the same profile cell, read from cells.csv.
    struct Pair {
        var descriptor: String
        var category: String
        var truth: Double
        var onet: Double
        var confidence: Double
    }

    /// The pairs of an export: per profile cell with an OaSIS winner and an O*NET candidate (the
    /// newest when there are several), by dimension `level`, where neither is 0 (not applicable).
    static func pairs(fromExport folder: URL) throws -> [Pair] {
        let data = try Data(contentsOf: folder.appendingPathComponent("cells.csv"))
        let records = try CSVReader().records(data, file: "cells.csv")
        let header = records[0].fields
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "cells.csv has no \(name)") }
        let kind = try column("subject_kind"), code = try column("subject_code"), descriptor = try column("descriptor_code")
        let category = try column("category"), dimension = try column("dimension"), value = try column("value")
        let source = try column("source"), confidence = try column("confidence"), winner = try column("is_winner")
        let observed = try column("observed_at")
        var truth: [String: (Double, String)] = [:]
        var onet: [String: (value: Double, confidence: Double, at: String)] = [:]
        for record in records.dropFirst() {
            let f = record.fields
            guard f[kind] == "profile", f[dimension] == "level" else { continue }
            let key = f[code] + "|" + f[descriptor]
            if f[source] == "authoritative", f[winner] == "1" {
                truth[key] = (Double(f[value])!, f[category])
            } else if f[source] == "onet", onet[key].map({ $0.at <= f[observed] }) ?? true {
                onet[key] = (Double(f[value])!, Double(f[confidence])!, f[observed])
            }
        }
        return truth.keys.sorted().compactMap { key in
            guard let (t, category) = truth[key], let o = onet[key], t != 0, o.value != 0 else { return nil }
            return Pair(descriptor: String(key.split(separator: "|")[1]), category: category, truth: t, onet: o.value, confidence: o.confidence)
        }
    }

    /// MAE, exact after rounding, within one, within half, Pearson r and the per-descriptor-mean baseline.
    static func figures(_ pairs: [Pair], means: [String: Double]) -> [String: Double] {
        let n = Double(pairs.count)
        let errors = pairs.map { abs($0.onet - $0.truth) }
        let mx = pairs.map(\.onet).reduce(0, +) / n, my = pairs.map(\.truth).reduce(0, +) / n
        let sxy = pairs.map { ($0.onet - mx) * ($0.truth - my) }.reduce(0, +)
        let sxx = pairs.map { ($0.onet - mx) * ($0.onet - mx) }.reduce(0, +)
        let syy = pairs.map { ($0.truth - my) * ($0.truth - my) }.reduce(0, +)
        return [
            "count": n,
            "mae": errors.reduce(0, +) / n,
            "exact_share": Double(pairs.filter { $0.onet.rounded() == $0.truth }.count) / n,
            "within_one_share": Double(errors.filter { $0 <= 1.000001 }.count) / n,
            "within_half_share": Double(errors.filter { $0 <= 0.500001 }.count) / n,
            "correlation": sxy / (sxx * syy).squareRoot(),
            "baseline_mae": pairs.map { abs(means[$0.descriptor]! - $0.truth) }.reduce(0, +) / n,
        ]
    }

    static func expectClose(_ printed: [String: Any], _ expected: [String: Double], _ label: String) {
        for (key, value) in expected {
            let got = (printed[key] as? NSNumber)?.doubleValue ?? .nan
            #expect(abs(got - value) < 1e-6, "\(label) \(key): evaluate says \(got), the export gives \(value)")
        }
    }

    @Test("its figures, per category and calibration bucket, equal those computed from export --all-candidates; kept in the store")
    func figuresMatchTheExport() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-evaluate-onet")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)

        let run = try JobForgeBinary.run(["evaluate", "onet", "--json", "--db", db], in: folder.url)
        #expect(run.status == 0, "\(run.stderr)")
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let export = try JobForgeBinary.run(["export", "--db", db, "--all-candidates", "--subjects", "profiles", "--out", "out"], in: folder.url)
        #expect(export.status == 0, "\(export.stderr)")
        let pairs = try Self.pairs(fromExport: folder.path("out"))
        #expect(pairs.count > 25_000, "OaSIS and O*NET overlap on tens of thousands of profile cells: \(pairs.count)")

        var sums: [String: [Double]] = [:]
        for pair in pairs { sums[pair.descriptor, default: []].append(pair.truth) }
        let means = sums.mapValues { $0.reduce(0, +) / Double($0.count) }
        Self.expectClose(try #require(printed["overall"] as? [String: Any]), Self.figures(pairs, means: means), "overall")

        let categories = try #require(printed["categories"] as? [[String: Any]])
        #expect(Set(categories.compactMap { $0["name"] as? String }) == Set(pairs.map(\.category)))
        for category in categories {
            let name = try #require(category["name"] as? String)
            Self.expectClose(try #require(category["figures"] as? [String: Any]),
                             Self.figures(pairs.filter { $0.category == name }, means: means), name)
        }
        let descriptors = try #require(printed["descriptors"] as? [[String: Any]])
        #expect(descriptors.count == Set(pairs.map(\.descriptor)).count)

        // Calibration: values by stated confidence, in tenths.
        let buckets = try #require(printed["calibration"] as? [[String: Any]])
        for bucket in buckets {
            let lower = try #require((bucket["lower"] as? NSNumber)?.doubleValue)
            let inBucket = pairs.filter { lower == 0.9 ? $0.confidence >= 0.9 - 1e-9 : ($0.confidence >= lower - 1e-9 && $0.confidence < lower + 0.1 - 1e-9) }
            #expect((bucket["count"] as? Int) == inBucket.count, "bucket \(lower)")
            let right = Double(inBucket.filter { abs($0.onet - $0.truth) <= 0.500001 }.count) / Double(max(1, inBucket.count))
            #expect(abs(((bucket["within_half_share"] as? NSNumber)?.doubleValue ?? -1) - right) < 1e-6, "bucket \(lower)")
        }
        #expect(buckets.map { $0["count"] as? Int ?? 0 }.reduce(0, +) == pairs.count)

        // The latest evaluation is kept for a report: the same figures, read back from the store.
        let queue = try DatabaseQueue(path: db)
        let kept = try await queue.read { try String.fetchOne($0, sql: "SELECT report FROM onet_evaluation ORDER BY id DESC LIMIT 1") }
        try queue.close()
        let keptText = try #require(kept)
        let stored = try #require(try JSONSerialization.jsonObject(with: Data(keptText.utf8)) as? [String: Any])
        #expect((stored["overall"] as? NSDictionary) == (printed["overall"] as? NSDictionary))

        let text = try JobForgeBinary.run(["evaluate", "onet", "--db", db], in: folder.url)
        #expect(text.status == 0)
        #expect(text.stdout.contains("Calibration: stated confidence -> measured"))
        #expect(text.stdout.contains("Skills") && text.stdout.contains("Knowledge"))

        // The report shows both measures (levels and importances) as evaluate onet printed them.
        try Self.expectReportShows(printed, db: db, in: folder)
    }

    /// `report --json` and the page (in a real browser) show the levels' and the importances'
    /// figures and calibration tables of `evaluate onet --json` (`printed`).
    static func expectReportShows(_ printed: [String: Any], db: String, in folder: TemporaryDirectory) throws {
        let page = folder.url.appendingPathComponent("report.html")
        let reported = try JobForgeBinary.run(["report", "--no-cost", "--sheets", "0", "--out", page.path, "--json", "--db", db], in: folder.url)
        try #require(reported.status == 0, "\(reported.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(reported.stdout.utf8)) as? [String: Any])
        let tiers = try #require(report["quality"] as? [[String: Any]])
        let browser = try HeadlessChromium.load(page.absoluteString)
        #expect(browser.consoleLines.isEmpty, "console: \(browser.consoleLines)")
        let dom = DOMElements(browser.dom)
        func number(_ value: Any?) -> Double { (value as? NSNumber)?.doubleValue ?? .nan }
        func same(_ shown: Double?, _ expected: Double) -> Bool { shown.map { abs($0 - expected) <= 1e-12 * max(1, abs(expected)) } ?? false }

        let measured = [("onet", printed), ("onet-importance", try #require(printed["importance"] as? [String: Any]))]
        for (name, figures) in measured {
            let overall = try #require(figures["overall"] as? [String: Any])
            let buckets = try #require(figures["calibration"] as? [[String: Any]]).filter { ($0["count"] as? Int ?? 0) > 0 }
            let shown = try #require(tiers.first { $0["tier"] as? String == name }, "report --json quality has \(name): \(tiers)")
            let pairs = [("values", "values", "count"), ("mae", "meanAbsoluteError", "mae"),
                         ("exact_share", "exactShare", "exact_share"), ("within_one_share", "withinOneShare", "within_one_share")]
            for (_, key, printedKey) in pairs {
                #expect(number(shown[key]) == number(overall[printedKey]), "report --json \(name) \(key)")
            }
            let table = try #require(shown["calibrationTable"] as? [[String: Any]])
            #expect(table.count == buckets.count && table.count >= 2, "\(name): \(table.count) rows, \(buckets.count) buckets")
            for (row, bucket) in zip(table, buckets) {
                #expect(number(row["lower"]) == number(bucket["lower"]) && row["count"] as? Int == bucket["count"] as? Int)
                #expect(number(row["withinHalfShare"]) == number(bucket["within_half_share"]), "\(name) from \(number(bucket["lower"]))")
            }

            // On the page: this tier's tables, up to the next tier's.
            let start = try #require(dom.elements.firstIndex { $0.attributes["data-evaluation"] == name }, "the page shows \(name)")
            let section = dom.elements[(start + 1)...].prefix { $0.attributes["data-evaluation"] == nil }
            for (figure, _, printedKey) in pairs {
                let cell = section.first { $0.attributes["data-figure"] == figure }
                #expect(same(cell?.attributes["data-n"].flatMap(Double.init), number(overall[printedKey])), "page: \(name) \(figure)")
            }
            let rows = section.filter { $0.attributes["data-bucket"] != nil }
            #expect(rows.count == buckets.count, "page: \(name) calibration rows")
            for (row, bucket) in zip(rows, buckets) {
                #expect(same(row.attributes["data-bucket"].flatMap(Double.init), number(bucket["lower"])))
                let cells = section.drop { $0.attributes["data-bucket"] != row.attributes["data-bucket"] }.dropFirst().prefix(3)
                let values = cells.map { $0.attributes["data-n"].flatMap(Double.init) }
                let expected = [number(bucket["count"]), number(bucket["mean_stated_confidence"]), number(bucket["within_half_share"])]
                #expect(values.count == 3 && zip(values, expected).allSatisfy { same($0, $1) }, "page: \(name) bucket \(number(bucket["lower"])): \(values)")
            }
        }
    }

    @Test("calibrated O*NET levels: better than the per-descriptor mean on skills and knowledge; values stated at c are right (within half a point) about c of the time; explain shows the rule and its held-out error")
    func calibratedLevelsAreHonest() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-evaluate-calibrated")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let run = try JobForgeBinary.run(["evaluate", "onet", "--json", "--db", db], in: folder.url)
        #expect(run.status == 0, "\(run.stderr)")
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let categories = try #require(printed["categories"] as? [[String: Any]])
        for name in ["Skills", "Knowledge"] {
            let figures = try #require(categories.first { $0["name"] as? String == name }?["figures"] as? [String: Any])
            let error = try #require((figures["mae"] as? NSNumber)?.doubleValue)
            let baseline = try #require((figures["baseline_mae"] as? NSNumber)?.doubleValue)
            #expect(error < baseline, "\(name): O*NET's MAE \(error) against the per-descriptor mean's \(baseline)")
        }
        let buckets = try #require(printed["calibration"] as? [[String: Any]])
        let large = buckets.filter { ($0["count"] as? Int ?? 0) >= 1000 }
        #expect(large.count >= 3)
        for bucket in large {
            let stated = try #require((bucket["mean_stated_confidence"] as? NSNumber)?.doubleValue)
            let measured = try #require((bucket["within_half_share"] as? NSNumber)?.doubleValue)
            #expect(abs(stated - measured) < 0.1, "stated \(stated), right \(measured) of the time")
        }

        let explain = try JobForgeBinary.run(["explain", "21211.00", "Writing", "--dimension", "level", "--db", db], in: folder.url)
        #expect(explain.status == 0, "\(explain.stderr)")
        #expect(explain.stdout.contains("conversion=calibrated on OaSIS: OaSIS = ") || explain.stdout.contains("(kept: held-out MAE"),
                "\(explain.stdout)")
        #expect(explain.stdout.contains("conversion_heldout_mae="))
    }

    /// A unit group's newest O*NET importance, read from cells.csv: its values (one per code,
    /// from `native_values`), its confidence and the metadata it carries.
    struct ImportanceOffer {
        var unitGroup: String
        var descriptor: String
        var category: String
        var natives: [Double]
        var confidence: Double
        var metadata: [String: String]
        var observedAt: String
    }

    static func importanceOffers(fromExport folder: URL) throws -> [ImportanceOffer] {
        let data = try Data(contentsOf: folder.appendingPathComponent("cells.csv"))
        let records = try CSVReader().records(data, file: "cells.csv")
        let header = records[0].fields
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "cells.csv has no \(name)") }
        let kind = try column("subject_kind"), code = try column("subject_code"), descriptor = try column("descriptor_code")
        let category = try column("category"), dimension = try column("dimension"), source = try column("source")
        let confidence = try column("confidence"), observed = try column("observed_at"), metadata = try column("metadata")
        var offers: [String: ImportanceOffer] = [:]
        for record in records.dropFirst() {
            let f = record.fields
            guard f[kind] == "unit_group", f[dimension] == "importance", f[source] == "onet" else { continue }
            let key = f[code] + "|" + f[descriptor]
            if let known = offers[key], known.observedAt > f[observed] { continue }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(f[metadata].utf8)) as? [String: String])
            let natives = try #require(object["native_values"]).components(separatedBy: "; ").map { pair in
                Double(pair.split(separator: "=")[1])!
            }
            offers[key] = ImportanceOffer(unitGroup: f[code], descriptor: f[descriptor], category: f[category], natives: natives,
                                          confidence: Double(f[confidence])!, metadata: object, observedAt: f[observed])
        }
        return offers.keys.sorted().map { offers[$0]! }
    }

    @Test("importance: figures and calibration equal a leave-one-SOC-out computed from export --all-candidates; each O*NET importance's confidence is the share measured for its descriptor and number of codes; explain shows the measure")
    func importanceFiguresMatchTheExport() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-evaluate-importance")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let run = try JobForgeBinary.run(["evaluate", "onet", "--json", "--db", db], in: folder.url)
        #expect(run.status == 0, "\(run.stderr)")
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let importance = try #require(printed["importance"] as? [String: Any], "evaluate onet reports importance")
        let export = try JobForgeBinary.run(["export", "--db", db, "--all-candidates", "--subjects", "unit-groups", "--out", "out"], in: folder.url)
        #expect(export.status == 0, "\(export.stderr)")
        let offers = try Self.importanceOffers(fromExport: folder.path("out"))
        #expect(offers.count > 10_000, "O*NET rates the importance of tens of thousands of unit-group cells: \(offers.count)")

        // Leave-one-SOC-out, from the definition: hide each code, predict it by the others' mean.
        struct Prediction { var descriptor: String; var category: String; var predicted: Double; var truth: Double; var codes: Int }
        var predictions: [Prediction] = []
        for offer in offers where offer.natives.count >= 2 {
            for hidden in offer.natives.indices {
                var others: [Double] = []
                for (index, value) in offer.natives.enumerated() where index != hidden { others.append(value) }
                predictions.append(Prediction(descriptor: offer.descriptor, category: offer.category,
                                              predicted: others.reduce(0, +) / Double(others.count),
                                              truth: offer.natives[hidden], codes: others.count))
            }
        }
        func right(_ p: Prediction) -> Bool { abs(p.predicted - p.truth) <= 0.500001 }
        func bucket(_ codes: Int) -> Int { min(3, codes) }
        // The share stated for a value of `codes` codes: the descriptor's at those codes, else the
        // descriptor's over all, else every descriptor's at those codes (each with at least 20).
        func share(_ subset: [Prediction]) -> Double? {
            subset.count >= 20 ? Double(subset.filter(right).count) / Double(subset.count) : nil
        }
        var byDescriptor: [String: [Prediction]] = [:]
        for p in predictions { byDescriptor[p.descriptor, default: []].append(p) }
        func stated(_ descriptor: String, _ codes: Int) -> Double? {
            let own = byDescriptor[descriptor] ?? []
            let measured = share(own.filter { bucket($0.codes) == bucket(codes) }) ?? share(own)
                ?? share(predictions.filter { bucket($0.codes) == bucket(codes) })
            return measured.map { ($0 * 1000).rounded() / 1000 }
        }

        var sums: [String: [Double]] = [:]
        for p in predictions { sums[p.descriptor, default: []].append(p.truth) }
        let means = sums.mapValues { $0.reduce(0, +) / Double($0.count) }
        let overall = try #require(importance["overall"] as? [String: Any])
        let n = Double(predictions.count)
        Self.expectClose(overall, [
            "count": n,
            "mae": predictions.map { abs($0.predicted - $0.truth) }.reduce(0, +) / n,
            "within_half_share": Double(predictions.filter(right).count) / n,
            "baseline_mae": predictions.map { abs(means[$0.descriptor]! - $0.truth) }.reduce(0, +) / n,
        ], "importance overall")
        let buckets = try #require(importance["calibration"] as? [[String: Any]])
        let statedOf = try predictions.map { try #require(stated($0.descriptor, $0.codes)) }
        for item in buckets {
            let lower = try #require((item["lower"] as? NSNumber)?.doubleValue)
            let inBucket = predictions.indices.filter {
                lower == 0.9 ? statedOf[$0] >= 0.9 - 1e-9 : (statedOf[$0] >= lower - 1e-9 && statedOf[$0] < lower + 0.1 - 1e-9)
            }
            #expect((item["count"] as? Int) == inBucket.count, "importance bucket \(lower)")
            let measured = Double(inBucket.filter { right(predictions[$0]) }.count) / Double(max(1, inBucket.count))
            #expect(abs(((item["within_half_share"] as? NSNumber)?.doubleValue ?? -1) - measured) < 1e-6, "importance bucket \(lower)")
            // Stated as measured: a value stated at c is within half a point of a held-out code about c of the time.
            if inBucket.count >= 1000 {
                let meanStated = inBucket.map { statedOf[$0] }.reduce(0, +) / Double(inBucket.count)
                #expect(abs(meanStated - measured) < 0.05, "stated \(meanStated), right \(measured) of the time")
            }
        }
        #expect(buckets.map { $0["count"] as? Int ?? 0 }.reduce(0, +) == predictions.count)

        // Every stored importance (one code or many) states the share measured for its descriptor
        // and number of codes, and keeps it with how it was measured.
        var wrong: [String] = []
        for offer in offers {
            let expected: Double = stated(offer.descriptor, offer.natives.count) ?? -1
            let kept: Double = offer.metadata["confidence_heldout_share"].flatMap { Double($0) } ?? -2
            let measure: String = offer.metadata["confidence_measure"] ?? ""
            if abs(offer.confidence - expected) > 1e-9 || kept != expected || !measure.hasPrefix("leave-one-SOC-out: ") {
                wrong.append("\(offer.unitGroup) \(offer.descriptor): \(offer.confidence) vs \(expected)")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) importances not at their measured share, e.g. \(wrong.prefix(3))")

        let explain = try JobForgeBinary.run(["explain", "21211", "Writing", "--dimension", "importance", "--db", db], in: folder.url)
        #expect(explain.status == 0, "\(explain.stderr)")
        #expect(explain.stdout.contains("confidence_measure=leave-one-SOC-out: ") && explain.stdout.contains("confidence_heldout_share="),
                "\(explain.stdout)")
        let text = try JobForgeBinary.run(["evaluate", "onet", "--db", db], in: folder.url)
        #expect(text.stdout.contains("Importance calibration: stated confidence -> measured"))
    }

    @Test("on a store with no build it fails, exit 1, and says to build first")
    func emptyStoreFails() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-evaluate-empty")
        defer { folder.remove() }
        let run = try JobForgeBinary.run(["evaluate", "onet", "--db", "none.sqlite"], in: folder.url)
        #expect(run.status == 1)
        #expect(!run.stderr.isEmpty)
    }
}
