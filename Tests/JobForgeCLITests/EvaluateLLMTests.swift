import Foundation
import GRDB
import JobForgeTestSupport
import Testing

/// `jobforge evaluate llm` against the loopback fake answering in a pattern the test knows (the
/// truth, the truth off by one, or off the scale, each with its own stated confidence): every
/// figure it prints is computed here from the shipped build's truth, read from the published
/// model (`fact_cell`), not from the code under test.
@Suite("evaluate llm", .serialized)
struct EvaluateLLMTests {
    /// A cell whose truth is known: an OaSIS level (not 0) of a profile, an O*NET importance of a unit group.
    struct Truth {
        var subject: String
        var label: String
        var unitGroup: String
        var descriptor: String
        var dimension: String
        var value: Double
        var minimum: Double
        var maximum: Double

        /// How the fake recognises the cell in a prompt: the job's title, its unit group, the attribute.
        var promptKey: String { "\(unitGroup)|\(label)|\(descriptor)|\(dimension)" }
    }

    static func truths(_ db: String) throws -> [Truth] {
        let queue = try DatabaseQueue(path: db)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.subject_kind, f.subject_code, s.label, s.unit_group_code, f.descriptor_code, f.dimension, f.value,
                       d.scale_minimum, d.scale_maximum
                FROM fact_cell f
                JOIN dim_subject s ON s.subject_kind = f.subject_kind AND s.subject_code = f.subject_code
                JOIN dim_descriptor d ON d.descriptor_code = f.descriptor_code AND d.dimension = f.dimension
                WHERE (f.subject_kind = 'profile' AND f.source = 'authoritative' AND f.dimension = 'level' AND f.value != 0)
                   OR (f.subject_kind = 'unit_group' AND f.source = 'onet' AND f.dimension = 'importance')
                """).map { row in
                let kind: String = row["subject_kind"], code: String = row["subject_code"]
                return Truth(subject: "\(kind):\(code)", label: row["label"],
                             unitGroup: kind == "unit_group" ? code : (row["unit_group_code"] ?? ""),
                             descriptor: row["descriptor_code"], dimension: row["dimension"], value: row["value"],
                             minimum: row["scale_minimum"], maximum: row["scale_maximum"])
            }
        }
    }

    enum Pattern { case offScale, offByOne, exact }

    /// A quarter of the descriptors answered off the scale, a quarter one point off (stated at
    /// 0.55), the rest exactly (stated at 0.95).
    static func pattern(_ descriptor: String) -> Pattern {
        switch FakeOpenAIServer.stableHash(descriptor) % 4 {
        case 0: .offScale
        case 1: .offByOne
        default: .exact
        }
    }

    static func answer(_ cell: Truth) -> (value: Double, confidence: Double) {
        switch pattern(cell.descriptor) {
        case .offScale: (cell.maximum + 3, 0.75)
        case .offByOne: (cell.value + 1 <= cell.maximum ? cell.value + 1 : cell.value - 1, 0.55)
        case .exact: (cell.value, 0.95)
        }
    }

    /// The fake answers the truth cells by the pattern, everything else its own way.
    static func fake(answering truths: [Truth]) async throws -> FakeOpenAIServer {
        let byPrompt = Dictionary(truths.map { ($0.promptKey, $0) }) { first, _ in first }
        let fake = try await FakeOpenAIServer.start()
        await fake.answer { asked in
            byPrompt["\(asked.unitGroup ?? "")|\(asked.title)|\(asked.attribute)|\(asked.dimension)"].map(answer)
        }
        return fake
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text.prefix(300))")
    }

    static func number(_ value: Any?) -> Double { (value as? NSNumber)?.doubleValue ?? .nan }

    /// (title, attribute, dimension) of every attribute asked in these request bodies.
    static func asked(_ bodies: [Data]) -> [String] {
        bodies.flatMap { body -> [String] in
            guard let request = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                  let messages = request["messages"] as? [[String: Any]],
                  let user = messages.last?["content"] as? String,
                  let document = try? JSONSerialization.jsonObject(with: Data(user.utf8)) as? [String: Any],
                  let title = (document["job"] as? [String: Any])?["title"] as? String,
                  let missing = document["missing_attributes"] as? [[String: Any]] else { return [] }
            return missing.map { "\(title)|\($0["attribute"] as? String ?? "")|\($0["dimension"] as? String ?? "")" }
        }
    }

    @Test("figures, invalid answers and the confidence calibration equal those computed from the truth; the truth never reaches a prompt; the model's answers are recalibrated, logged, and later answers carry the measured confidence")
    func knownAnswerPattern() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-evaluate-llm")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let truths = try Self.truths(db)
        let fake = try await Self.fake(answering: truths)
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey!]

        // Answers of the model before it was evaluated: stated confidence, recalibrated later.
        let before = try await JobForgeBinary.run(["impute", "--db", db, "--titles", "JA-0001"], in: folder.url,
                                                  environment: environment, timeout: 180)
        try #require(before.status == 0, "\(before.stderr)")
        await fake.resetCounters()

        let run = try await JobForgeBinary.run(["evaluate", "llm", "--sample", "3", "--seed", "11", "--json", "--db", db],
                                               in: folder.url, environment: environment, timeout: 300)
        try #require(run.status == 0, "\(run.stderr)")
        let report = try Self.json(run.stdout)
        let subjects = try #require(report["subjects"] as? [String])
        #expect(subjects.count == 3)
        let cells = truths.filter { subjects.contains($0.subject) }
        let counts = try #require(report["cells"] as? [String: Any])
        #expect(counts["asked"] as? Int == cells.count, "every cell of known truth of the sample is asked")

        // The expected figures, from the truth and the pattern.
        let valid = cells.filter { Self.pattern($0.descriptor) != .offScale }
        let invalid = cells.count - valid.count
        #expect(invalid > 0 && valid.count > 0)
        #expect(counts["invalid"] as? Int == invalid, "an answer off the scale is invalid, never a value")
        #expect(counts["answered"] as? Int == valid.count)
        #expect(counts["failed"] as? Int == 0)
        let offByOne = valid.filter { Self.pattern($0.descriptor) == .offByOne }.count
        let figures = try #require(report["figures"] as? [String: Any])
        let overall = try #require(figures["overall"] as? [String: Any])
        #expect(overall["count"] as? Int == valid.count)
        #expect(abs(Self.number(overall["mae"]) - Double(offByOne) / Double(valid.count)) < 1e-9)
        // Exact: the answer rounded to a whole point is the truth (an O*NET importance such as 3.12 never is).
        let exact = valid.filter { Self.answer($0).value.rounded() == $0.value }.count
        #expect(abs(Self.number(overall["exact_share"]) - Double(exact) / Double(valid.count)) < 1e-9)
        #expect(abs(Self.number(overall["within_one_share"]) - 1) < 1e-9)
        var sums: [String: [Double]] = [:]
        for cell in valid { sums[cell.descriptor + "/" + cell.dimension, default: []].append(cell.value) }
        let baseline = valid.map { cell -> Double in
            let values = sums[cell.descriptor + "/" + cell.dimension]!
            return abs(values.reduce(0, +) / Double(values.count) - cell.value)
        }.reduce(0, +) / Double(valid.count)
        #expect(abs(Self.number(overall["baseline_mae"]) - baseline) < 1e-9, "beside the per-descriptor-mean baseline")

        // Calibration: the 0.95s were all right, the 0.55s never within half a point.
        let buckets = try #require(figures["calibration"] as? [[String: Any]])
        let high = try #require(buckets.first { Self.number($0["lower"]) == 0.9 })
        let low = try #require(buckets.first { Self.number($0["lower"]) == 0.5 })
        #expect(high["count"] as? Int == valid.count - offByOne && Self.number(high["within_half_share"]) == 1)
        #expect(low["count"] as? Int == offByOne && Self.number(low["within_half_share"]) == 0)
        #expect(report["tokens_in"] as? Int ?? 0 > 0 && Self.number(report["estimated_cost"]) > 0)
        let violations = await fake.violations
        #expect(violations.isEmpty, "\(violations.prefix(3))")

        // The report shows the same evaluation (issue 16): in --json, and on the page in a real browser.
        let page = folder.url.appendingPathComponent("report.html")
        let reported = try await JobForgeBinary.run(["report", "--no-cost", "--sheets", "0", "--out", page.path, "--json", "--db", db],
                                                    in: folder.url, timeout: 300)
        try #require(reported.status == 0, "\(reported.stderr)")
        let tiers = try #require(try Self.json(reported.stdout)["quality"] as? [[String: Any]])
        let llm = try #require(tiers.first { $0["tier"] as? String == "llm" }, "\(tiers)")
        #expect(llm["model"] as? String == report["model"] as? String)
        let evaluatedAt = try #require((report["evaluated_at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
        let withMilliseconds = ISO8601DateFormatter()
        withMilliseconds.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let shownAt = try #require((llm["evaluatedAt"] as? String).flatMap { withMilliseconds.date(from: $0) })
        #expect(abs(shownAt.timeIntervalSince(evaluatedAt)) < 1, "\(shownAt) vs \(evaluatedAt)")
        let expectedFigures: [(figure: String, report: String, value: Any?)] = [
            ("values", "values", overall["count"]), ("mae", "meanAbsoluteError", overall["mae"]),
            ("exact_share", "exactShare", overall["exact_share"]), ("within_one_share", "withinOneShare", overall["within_one_share"]),
            ("invalid", "invalid", counts["invalid"]), ("tokens_in", "tokensIn", report["tokens_in"]),
            ("tokens_out", "tokensOut", report["tokens_out"]), ("estimated_cost", "costUSD", report["estimated_cost"]),
        ]
        for (_, key, value) in expectedFigures {
            #expect(Self.number(llm[key]) == Self.number(value), "report --json \(key)")
        }
        let shownBuckets = try #require(llm["calibrationTable"] as? [[String: Any]])
        let measuredBuckets = buckets.filter { ($0["count"] as? Int ?? 0) > 0 }
        #expect(shownBuckets.count == measuredBuckets.count && shownBuckets.count >= 2)
        for (shown, measured) in zip(shownBuckets, measuredBuckets) {
            #expect(Self.number(shown["lower"]) == Self.number(measured["lower"]) && shown["count"] as? Int == measured["count"] as? Int)
            #expect(Self.number(shown["meanStatedConfidence"]) == Self.number(measured["mean_stated_confidence"]))
            #expect(Self.number(shown["withinHalfShare"]) == Self.number(measured["within_half_share"]))
        }
        let browser = try HeadlessChromium.load(page.absoluteString)
        #expect(browser.consoleLines.isEmpty, "console: \(browser.consoleLines)")
        let dom = DOMElements(browser.dom)
        #expect(dom.with("data-evaluation", report["model"] as? String ?? "").count == 1)
        // The page's numbers as Swift prints them, the JSON's as JSONSerialization reads them: equal within a rounding.
        func same(_ shown: Double?, _ expected: Double) -> Bool { shown.map { abs($0 - expected) <= 1e-12 * max(1, abs(expected)) } ?? false }
        for (figure, _, value) in expectedFigures {
            #expect(same(dom.with("data-figure", figure).first?.attributes["data-n"].flatMap(Double.init), Self.number(value)), "page: \(figure)")
        }
        #expect(dom.with("data-bucket").count == measuredBuckets.count)
        for measured in measuredBuckets {
            let row = dom.elements.drop { $0.attributes["data-bucket"].flatMap(Double.init) != Self.number(measured["lower"]) }.dropFirst().prefix(3)
            let shown = row.map { $0.attributes["data-n"].flatMap(Double.init) }
            let expected = [Self.number(measured["count"]), Self.number(measured["mean_stated_confidence"]), Self.number(measured["within_half_share"])]
            #expect(shown.count == 3 && zip(shown, expected).allSatisfy { same($0, $1) }, "page: calibration from \(Self.number(measured["lower"])): \(shown)")
        }

        // The hidden cells never reach a prompt: no known value of a request is a cell of known truth
        // of its subject (a profile is asked its levels, a unit group its importances).
        let byPrompt = Dictionary(cells.map { ($0.promptKey, $0) }) { first, _ in first }
        var knownChecked = 0
        for body in await fake.receivedBodies {
            let request = try Self.json(String(decoding: body, as: UTF8.self))
            let user = try #require(((request["messages"] as? [[String: Any]])?.last?["content"] as? String))
            let document = try Self.json(user)
            let title = try #require((document["job"] as? [String: Any])?["title"] as? String)
            let unitGroup = (document["noc_2021_unit_group"] as? [String: Any])?["code"] as? String ?? ""
            let dimension = try #require((document["missing_attributes"] as? [[String: Any]])?.first?["dimension"] as? String)
            for known in document["known_values"] as? [String] ?? [] where known.contains("[\(dimension)]") {
                let code = String(known.prefix { $0 != " " })
                #expect(byPrompt["\(unitGroup)|\(title)|\(code)|\(dimension)"] == nil, "\(title): \(known) is a hidden cell")
                knownChecked += 1
            }
        }
        #expect(knownChecked > 0, "the prompts carry the subjects' other values")

        // Stated -> measured: 0.9-1.0 -> 1, 0.5-0.6 -> 0, any other tenth -> the overall share.
        let overallShare = Double(valid.count - offByOne) / Double(valid.count)
        func calibrated(_ stated: Double) -> Double {
            let tenth = min(9, Int((stated * 10 + 1e-9).rounded(.down)))
            let share = tenth == 9 ? 1.0 : tenth == 5 ? 0.0 : overallShare
            return (share * 1000).rounded() / 1000
        }

        // The answers stored before: recalibrated, each change in the override log.
        let outcomes = try await JobForgeBinary.run(["llm", "outcomes", "--title", "JA-0001", "--status", "answered", "--json", "--db", db],
                                                    in: folder.url, timeout: 60)
        let stated = try #require(try JSONSerialization.jsonObject(with: Data(outcomes.stdout.utf8)) as? [[String: Any]])
        #expect(stated.count > 200)
        let queue = try DatabaseQueue(path: db)
        let (confidences, events) = try await queue.read { db in
            (try Row.fetchAll(db, sql: """
                SELECT descriptor_code, dimension, confidence FROM fact_cell WHERE subject_kind = 'title' AND subject_code = 'JA-0001' AND source = 'llm'
                """).map { (($0["descriptor_code"] as String) + "|" + ($0["dimension"] as String), $0["confidence"] as Double) },
             try String.fetchAll(db, sql: """
                SELECT reason FROM fact_override WHERE subject_kind = 'title' AND subject_code = 'JA-0001' AND old_source = 'llm'
                  AND new_source = 'llm' AND reason LIKE '%confidence%'
                """))
        }
        try queue.close()
        let current = Dictionary(confidences) { first, _ in first }
        var changed = 0
        for outcome in stated {
            let key = "\(outcome["descriptor"] as? String ?? "")|\(outcome["dimension"] as? String ?? "")"
            let raw = Self.number(outcome["confidence"])
            #expect(current[key] == calibrated(raw), "\(key): stated \(raw), now \(current[key] ?? -1)")
            if calibrated(raw) != raw { changed += 1 }
        }
        #expect(events.count == changed && report["recalibrated_answers"] as? Int == changed, "one override event per changed confidence")
        #expect(events.allSatisfy { $0.contains("confidence 0.") && $0.contains(" -> ") }, "\(events.prefix(2))")

        // A later answer carries the measured confidence; explain shows the model's own beside it.
        let later = try await JobForgeBinary.run(["impute", "--db", db, "--titles", "JA-0002", "--categories", "skills"], in: folder.url,
                                                 environment: environment, timeout: 180)
        try #require(later.status == 0, "\(later.stderr)")
        let laterOutcomes = try await JobForgeBinary.run(["llm", "outcomes", "--title", "JA-0002", "--status", "answered", "--json", "--db", db],
                                                         in: folder.url, timeout: 60)
        let first = try #require((try JSONSerialization.jsonObject(with: Data(laterOutcomes.stdout.utf8)) as? [[String: Any]])?.first)
        let descriptor = try #require(first["descriptor"] as? String), dimension = try #require(first["dimension"] as? String)
        let explain = try await JobForgeBinary.run(["explain", "JA-0002", descriptor, "--dimension", dimension, "--db", db],
                                                   in: folder.url, timeout: 60)
        #expect(explain.status == 0, "\(explain.stderr)")
        let raw = Self.number(first["confidence"])
        let shownRaw = explain.stdout.range(of: #"raw_confidence=[0-9.]+"#, options: .regularExpression)
            .flatMap { Double(explain.stdout[$0].dropFirst("raw_confidence=".count)) }
        #expect(abs((shownRaw ?? -1) - raw) < 1e-9, "\(explain.stdout)")
        #expect(explain.stdout.contains(String(format: "%.2f", calibrated(raw))), "\(explain.stdout)")
    }

    @Test("a run stopped mid-way (the service refuses the key) resumes: the rerun asks only what was not answered, nothing twice")
    func resumesAfterAFault() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-evaluate-llm-resume")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let truths = try Self.truths(db)
        let fake = try await Self.fake(answering: truths)
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey!]
        let command = ["evaluate", "llm", "--sample", "2", "--seed", "5", "--concurrency", "1", "--json", "--db", db]

        let dry = try await JobForgeBinary.run(command + ["--dry-run"], in: folder.url, environment: environment, timeout: 120)
        try #require(dry.status == 0, "\(dry.stderr)")
        let subjectsLine = try #require(dry.stdout.split(separator: "\n").first { $0.hasPrefix("evaluate llm: ") })
        let subjects = subjectsLine.split(separator: ":", maxSplits: 2).last!.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let second = try #require(truths.first { $0.subject == subjects[1] })
        // The service fails at the second subject's first request: the first subject's answers are kept.
        await fake.inject(.unauthorized, when: .titleContains(second.label), times: 1)
        let stopped = try await JobForgeBinary.run(command, in: folder.url, environment: environment, timeout: 180)
        #expect(stopped.status == 1, "\(stopped.stdout)")
        #expect(stopped.stderr.contains("HTTP 401"), "\(stopped.stderr)")
        let firstBodies = await fake.receivedBodies
        let answeredFirst = Self.asked(Array(firstBodies.dropLast()))
        #expect(!answeredFirst.isEmpty)

        let resumed = try await JobForgeBinary.run(command, in: folder.url, environment: environment, timeout: 300)
        try #require(resumed.status == 0, "\(resumed.stderr)")
        let report = try Self.json(resumed.stdout)
        let counts = try #require(report["cells"] as? [String: Any])
        let cells = truths.filter { subjects.contains($0.subject) }
        #expect(counts["asked"] as? Int == cells.count)
        let askedAgain = Self.asked(Array(await fake.receivedBodies.dropFirst(firstBodies.count)))
        #expect(Set(askedAgain).isDisjoint(with: answeredFirst), "nothing answered before is asked again")
        // Whatever the first run got an answer for (invalid ones included) is kept, not asked again.
        #expect(counts["kept_from_earlier_runs"] as? Int == Set(answeredFirst).count, "\(counts)")
        #expect(counts["invalid"] as? Int == cells.filter { Self.pattern($0.descriptor) == .offScale }.count)

        let again = try await JobForgeBinary.run(command, in: folder.url, environment: environment, timeout: 120)
        #expect(again.status == 0, "\(again.stderr)")
        let third = try Self.json(again.stdout)
        #expect(third["requests"] as? Int == 0, "a third run asks nothing: every cell has its answer")
        #expect((third["cells"] as? [String: Any])?["kept_from_earlier_runs"] as? Int == cells.count)
        #expect((third["figures"] as? NSDictionary)?["overall"] as? NSDictionary == (report["figures"] as? NSDictionary)?["overall"] as? NSDictionary)

        let text = try await JobForgeBinary.run(command.filter { $0 != "--json" }, in: folder.url, environment: environment, timeout: 120)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("cells: \(cells.count) asked (\(cells.count) answered in an earlier run)"), "\(text.stdout.prefix(600))")
        #expect(text.stdout.contains("Calibration: stated confidence -> measured") && text.stdout.contains("Per descriptor"))
    }

    @Test("a run killed (SIGKILL) mid-way resumes: what it committed is not asked again, the killed run is marked interrupted")
    func resumesAfterAKill() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-evaluate-llm-kill")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let truths = try Self.truths(db)
        let byPrompt = Dictionary(truths.map { ($0.promptKey, $0) }) { first, _ in first }
        // Slow answers, so that the kill lands mid-run.
        let fake = try await FakeOpenAIServer.start(latency: 0.3)
        await fake.answer { byPrompt["\($0.unitGroup ?? "")|\($0.title)|\($0.attribute)|\($0.dimension)"].map(Self.answer) }
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey!]
        let command = ["evaluate", "llm", "--sample", "2", "--seed", "9", "--concurrency", "2", "--json", "--db", db]

        let process = Process()
        process.executableURL = JobForgeBinary.url
        process.arguments = command
        process.currentDirectoryURL = folder.url
        process.environment = JobForgeBinary.environment(environment)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while await fake.requestCount < 8, process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try #require(process.isRunning, "the run ended before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        // What the killed run committed, read from the LLM source's own table.
        let queue = try DatabaseQueue(path: db)
        let committed = try await queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.label, a.subject_kind, a.subject_code, a.descriptor_code, a.dimension
                FROM llm_evaluation_answer a
                JOIN dim_subject s ON s.subject_kind = a.subject_kind AND s.subject_code = a.subject_code
                """).map { "\($0["label"] as String)|\($0["descriptor_code"] as String)|\($0["dimension"] as String)" }
        }
        try queue.close()
        #expect(!committed.isEmpty, "batches finished before the kill are committed")
        await fake.resetCounters()

        let resumed = try await JobForgeBinary.run(command, in: folder.url, environment: environment, timeout: 300)
        try #require(resumed.status == 0, "\(resumed.stderr)")
        let report = try Self.json(resumed.stdout)
        let counts = try #require(report["cells"] as? [String: Any])
        #expect(counts["kept_from_earlier_runs"] as? Int == committed.count)
        #expect(counts["failed"] as? Int == 0)
        let askedAgain = Set(Self.asked(await fake.receivedBodies))
        #expect(askedAgain.isDisjoint(with: committed), "a committed answer is asked again: \(askedAgain.intersection(committed).prefix(3))")
        let subjects = try #require(report["subjects"] as? [String])
        #expect(counts["asked"] as? Int == truths.filter { subjects.contains($0.subject) }.count)
        #expect(try LLMFaultCLITests.runs(db).filter { $0.command == "evaluate llm" }.map(\.status) == ["interrupted", "ok"])
    }

    @Test("a sample larger than what has truth is refused as a usage error with the available count; --dry-run sends nothing")
    func refusalsAndDryRun() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-evaluate-llm-refused")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let available = Set(try Self.truths(db).map(\.subject)).count
        let fake = try await FakeOpenAIServer.start()
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey!]

        let oversized = try await JobForgeBinary.run(["evaluate", "llm", "--sample", String(available + 1), "--db", db],
                                                     in: folder.url, environment: environment, timeout: 300)
        #expect(oversized.status == 64, "\(oversized.stderr)")
        #expect(oversized.stderr.contains("the \(available) subjects whose truth is known"), "\(oversized.stderr)")
        #expect(oversized.stderr.contains("Usage:"))

        let dry = try await JobForgeBinary.run(["evaluate", "llm", "--sample", "2", "--seed", "3", "--dry-run", "--db", db],
                                               in: folder.url, environment: environment, timeout: 120)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("Nothing was sent."))
        #expect(dry.stdout.contains("estimated cost $"), "a known model is priced: \(dry.stdout.suffix(300))")
        let subjectsLine = try #require(dry.stdout.split(separator: "\n").first { $0.hasPrefix("evaluate llm: ") })
        let subjects = Set(subjectsLine.split(separator: ":", maxSplits: 2).last!.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let hidden = try Self.truths(db).filter { subjects.contains($0.subject) }.count
        #expect(dry.stdout.contains("\(hidden) cells in "), "every hidden cell is planned: \(dry.stdout.suffix(300))")
        #expect(await fake.requestCount == 0, "the dry run contacted the server")
    }
}
