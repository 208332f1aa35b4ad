import Foundation
import GRDB
import JobForgeCLI
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport
import JobForgeTitles
import Testing

/// Issue 15, part 2: the review queue, pins, removals, as a user runs them: the real `jobforge`
/// on a copy of the shipped build (`LLMFaultCLITests.BuiltStore`) and on small architectures.
@Suite("title decisions: review, pin, remove", .serialized)
struct TitleDecisionTests {
    static let sample = RepoPaths.data.appendingPathComponent("sample/job_architecture.csv").path
    static let mapping = RepoPaths.data.appendingPathComponent("sample/job_architecture.mapping").path

    static func run(_ arguments: [String], _ folder: TemporaryDirectory, environment: [String: String] = [:]) throws -> JobForgeBinary.Result {
        try JobForgeBinary.run(arguments + ["--db", folder.path("jobforge.sqlite").path], in: folder.url, environment: environment)
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    static func review(_ folder: TemporaryDirectory) throws -> (status: Int32, items: [[String: Any]]) {
        let result = try run(["titles", "review", "--json"], folder)
        return (result.status, try #require(try json(result.stdout) as? [[String: Any]], "\(result.stdout) \(result.stderr)"))
    }

    /// A title as `show --json` prints it: its row's details and its cells.
    static func show(_ id: String, _ folder: TemporaryDirectory) throws -> (details: [String: String], cells: [[String: Any]]) {
        let result = try run(["show", id, "--json"], folder)
        try #require(result.status == 0, "\(result.stderr)")
        let object = try #require(try json(result.stdout) as? [String: Any])
        let cells = (object["categories"] as? [[String: Any]] ?? []).flatMap { $0["cells"] as? [[String: Any]] ?? [] }
        return (object["details"] as? [String: String] ?? [:], cells)
    }

    static func store(_ folder: TemporaryDirectory) throws -> SQLiteStore {
        try SQLiteStore(path: folder.path("jobforge.sqlite").path, schemas: StoreOptions.schemas)
    }

    /// Everything a decision could change, to check that a refused one changed nothing.
    static func decisionState(_ folder: TemporaryDirectory) throws -> [String] {
        let queue = try DatabaseQueue(path: folder.path("jobforge.sqlite").path)
        defer { try? queue.close() }
        return try queue.read { db in
            try ["job_title", "title_resolution", "title_pin", "retired_title", "title_decision", "override_event", "subject_context"].map { table in
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2")
                return "\(table): " + rows.map(\.description).joined(separator: "\n")
            }
        }
    }

    /// Fills the title's empty cells from the fake LLM, so that it holds stored answers whose
    /// change of winner the engine logs.
    static func impute(_ id: String, _ folder: TemporaryDirectory) async throws {
        let fake = try await FakeOpenAIServer.start(expectedModel: "gpt-4o-2024-08-06")
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey ?? ""]
        let impute = try run(["impute", "--titles", id], folder, environment: environment)
        try #require(impute.status == 0, "\(impute.stderr)")
    }

    @Test("review lists ties with a pin per tied profile; the pin resolves the title to that profile (show --json), logs override events and the decision, survives titles import and build; unpin restores the automatic resolution")
    func pinSettlesATie() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-pin")
        defer { folder.remove() }
        _ = try await LLMFaultCLITests.store(in: folder)
        // The sample plus a plain "nurse" in 31301, whose five OaSIS profiles score alike: a tie
        // that no coder doubts (the sample's own tie is also a code in doubt, reviewed as that).
        let architecture = folder.path("architecture.csv")
        let sample = try String(contentsOfFile: Self.sample, encoding: .utf8)
        try (sample + "JA-9001,nurse,,Health,Nursing,Staff,31301,,,1\n").write(to: architecture, atomically: true, encoding: .utf8)
        let imported = try Self.run(["titles", "import", architecture.path, "--mapping", Self.mapping], folder)
        try #require(imported.status == 0, "\(imported.stderr)")

        let (status, items) = try Self.review(folder)
        #expect(status == 1, "the sample has titles to review")
        let tie = try #require(items.first { $0["reason"] as? String == "tie" }, "nurse in 31301 is a tie")
        #expect(tie["id"] as? String == "JA-9001")
        let id = try #require(tie["id"] as? String)
        let chosen = try #require(tie["profileCode"] as? String)
        let tied = try #require(tie["candidates"] as? [[String: Any]]).compactMap { $0["code"] as? String }
        #expect(tied.count >= 2 && tied.contains(chosen))
        let scores = try #require(tie["candidates"] as? [[String: Any]]).compactMap { $0["score"] as? Double }
        #expect(scores.max()! - scores.min()! <= 1, "tied: within one point of the best score")
        let other = try #require(tied.first { $0 != chosen })
        let actions = try #require(tie["actions"] as? [String])
        #expect(actions.contains(#"jobforge titles pin \#(id) \#(other) --reason "...""#), "\(actions)")
        let before = try Self.show(id, folder)
        #expect(before.details["profile_code"] == chosen)
        let automaticMethod = try #require(before.details["method"])

        try await Self.impute(id, folder)
        let eventsBefore = try Self.store(folder).allOverrides().filter { $0.key.subject == .title(id) }.count

        let pin = try Self.run(["titles", "pin", id, other, "--reason", "tie settled by HR", "--by", "tester"], folder)
        #expect(pin.status == 0, "\(pin.stderr)")
        func expectPinned(_ when: String) throws {
            let shown = try Self.show(id, folder)
            #expect(shown.details["profile_code"] == other, "\(when)")
            #expect(shown.details["method"] == "manual" && shown.details["confidence"] == "1.0", "\(when): \(shown.details)")
            let inherited = shown.cells.filter { $0["source"] as? String == "authoritative" }
            #expect(!inherited.isEmpty, "\(when)")
            #expect(inherited.allSatisfy { ($0["metadata"] as? [String: String])?["profile_code"] == other },
                    "\(when): every authoritative cell comes from the pinned profile")
        }
        try expectPinned("after the pin")
        let events = try Self.store(folder).allOverrides().filter { $0.key.subject == .title(id) }
        #expect(events.count > eventsBefore, "the change of resolution is logged like any other (its answers withdrawn)")
        let decisions = try TitleCatalog(Self.store(folder)).decisions(titleID: id)
        #expect(decisions.last?.action == .pin && decisions.last?.profileCode == other && decisions.last?.decidedBy == "tester"
                && decisions.last?.reason == "tie settled by HR" && decisions.last?.previousProfile == chosen)
        #expect(try !Self.review(folder).items.contains { $0["id"] as? String == id }, "a pinned title is settled")

        let reimport = try Self.run(["titles", "import", architecture.path, "--mapping", Self.mapping], folder)
        #expect(reimport.status == 0, "\(reimport.stderr)")
        try expectPinned("after titles import")
        let build = try Self.run(["build"], folder)
        #expect(build.status == 0, "\(build.stderr)")
        try expectPinned("after build")

        let unpin = try Self.run(["titles", "unpin", id], folder)
        #expect(unpin.status == 0, "\(unpin.stderr)")
        let after = try Self.show(id, folder)
        #expect(after.details["profile_code"] == chosen && after.details["method"] == automaticMethod)
        #expect(try TitleCatalog(Self.store(folder)).decisions(titleID: id).last?.action == .unpin)
    }

    @Test("a pin to an unknown profile, to a code that is not a NOC 2021 unit group, of an unknown id, or an unpin of a title not pinned: a clear error, exit 1, nothing changed")
    func badPinsChangeNothing() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-pin-errors")
        defer { folder.remove() }
        _ = try await LLMFaultCLITests.store(in: folder)
        let id = "JA-0002"
        let state = try Self.decisionState(folder)
        let cases: [([String], String)] = [
            (["titles", "pin", id, "99999.99"], "is not an OaSIS profile"),
            (["titles", "pin", id, "21211"], "is not an OaSIS profile"),
            (["titles", "pin", id, "--noc", "41400.02"], "is not a NOC 2021 unit group"),
            (["titles", "pin", id, "--noc", "1114"], "is not a NOC 2021 unit group"),
            (["titles", "pin", "NO-SUCH-ID", "21211.00"], "no job title \"NO-SUCH-ID\""),
            (["titles", "unpin", id], "is not pinned"),
            (["titles", "remove", id, "NO-SUCH-ID"], "no job title \"NO-SUCH-ID\""),
        ]
        for (arguments, message) in cases {
            let result = try Self.run(arguments, folder)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message) && result.stderr.contains("nothing was changed"), "\(arguments): \(result.stderr)")
            #expect(try Self.decisionState(folder) == state, "\(arguments) changed nothing")
        }
        let both = try Self.run(["titles", "pin", id, "21211.00", "--noc", "21211"], folder)
        #expect(both.status == 64, "a profile and --noc: a usage error")
    }

    @Test("remove: the title leaves titles, exports and review, show says when and why, its override history stays; imports and builds leave it removed; restore brings it back")
    func removeRetires() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-remove")
        defer { folder.remove() }
        _ = try await LLMFaultCLITests.store(in: folder)
        let id = "JA-0003"
        try await Self.impute(id, folder)
        let eventsBefore = try Self.store(folder).allOverrides().filter { $0.key.subject == .title(id) }.count

        let remove = try Self.run(["titles", "remove", id, "--reason", "merged into JA-0002", "--by", "tester"], folder)
        #expect(remove.status == 0, "\(remove.stderr)")
        func expectRemoved(_ when: String) throws {
            let list = try Self.run(["titles", "--json"], folder)
            let ids = try #require(try Self.json(list.stdout) as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(!ids.isEmpty && !ids.contains(id), "\(when)")
            let show = try Self.run(["show", id], folder)
            #expect(show.status == 1, "\(when)")
            #expect(show.stderr.contains("was removed on") && show.stderr.contains("by tester: merged into JA-0002"), "\(when): \(show.stderr)")
            #expect(try Self.store(folder).winners(of: .title(id), filter: CellFilter()).isEmpty, "\(when): no cells")
        }
        try expectRemoved("after remove")
        let events = try Self.store(folder).allOverrides().filter { $0.key.subject == .title(id) }
        let withdrawn = events.dropFirst(eventsBefore)
        #expect(withdrawn.contains { $0.oldSource == .llm } && withdrawn.allSatisfy { $0.newSource == nil },
                "its cells are gone and its answers stop counting, each change logged")

        let export = try Self.run(["export", "--out", "out", "--subjects", "titles"], folder)
        #expect(export.status == 0, "\(export.stderr)")
        let titlesCSV = try String(contentsOf: folder.path("out/titles.csv"), encoding: .utf8)
        let cellsCSV = try String(contentsOf: folder.path("out/cells.csv"), encoding: .utf8)
        let overridesCSV = try String(contentsOf: folder.path("out/overrides.csv"), encoding: .utf8)
        #expect(!titlesCSV.contains("\(id),") && !cellsCSV.contains(",\(id),"), "not exported")
        #expect(overridesCSV.contains(",\(id),"), "its override history is exported")
        #expect(try !Self.review(folder).items.contains { $0["id"] as? String == id })

        let reimport = try Self.run(["titles", "import", Self.sample, "--mapping", Self.mapping], folder)
        #expect(reimport.status == 0 && reimport.stdout.contains("kept removed"), "\(reimport.stdout)")
        try expectRemoved("after titles import")
        #expect(try Self.run(["build"], folder).status == 0)
        try expectRemoved("after build")
        #expect(try Self.store(folder).allOverrides().filter { $0.key.subject == .title(id) }.count == events.count,
                "the log is never rewritten")

        let again = try Self.run(["titles", "pin", id, "10020.00"], folder)
        #expect(again.status == 1 && again.stderr.contains("was removed on"), "\(again.stderr)")
        let restore = try Self.run(["titles", "restore", id], folder)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try Self.show(id, folder).details["id"] == id)
        #expect(try TitleCatalog(Self.store(folder)).decisions(titleID: id).map(\.action) == [.remove, .restore])
    }

    @Test("a small architecture: import --replace retires the absent titles; review exits 0 when empty, 1 with no_code and ambiguous NOC 2016 items and their actions; pin --noc settles them; --replace with a bad row changes nothing")
    func smallArchitectureReview() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-review")
        defer { folder.remove() }
        _ = try await LLMFaultCLITests.store(in: folder)
        // The user's first file replaces the sample; a later --replace retires the user's titles it no longer names.
        let first = folder.path("first.csv")
        try "id,title,noc_2021\nA-1,Data scientists,21211\nA-2,Software engineers and designers,21231\nA-3,Registered nurses,31301\n"
            .write(to: first, atomically: true, encoding: .utf8)
        let firstImport = try Self.run(["titles", "import", first.path], folder)
        #expect(firstImport.status == 0, "\(firstImport.stderr)")
        let clean = folder.path("clean.csv")
        try "id,title,noc_2021\nA-1,Data scientists,21211\nA-2,Software engineers and designers,21231\n"
            .write(to: clean, atomically: true, encoding: .utf8)
        let replace = try Self.run(["titles", "import", clean.path, "--replace"], folder)
        #expect(replace.status == 0, "\(replace.stderr)")
        #expect(replace.stdout.contains("removed, absent from the file (--replace): A-3"), "\(replace.stdout)")
        let list = try #require(try Self.json(try Self.run(["titles", "--json"], folder).stdout) as? [[String: Any]])
        #expect(list.compactMap { $0["id"] as? String } == ["A-1", "A-2"])

        let empty = try Self.run(["titles", "review"], folder)
        #expect(empty.status == 0 && empty.stdout.contains("nothing to review"), "\(empty.stdout) \(empty.stderr)")

        let messy = folder.path("messy.csv")
        try "id,title,noc_2021,noc_2016\nA-1,Data scientists,21211,\nA-2,Software engineers and designers,21231,\nB-1,Head of things,,\nB-2,Auditor,,1114\n"
            .write(to: messy, atomically: true, encoding: .utf8)
        #expect(try Self.run(["titles", "import", messy.path], folder).status == 0)
        let (status, items) = try Self.review(folder)
        #expect(status == 1)
        let byID = Dictionary(uniqueKeysWithValues: items.compactMap { item in (item["id"] as? String).map { ($0, item) } })
        #expect(Set(byID.keys) == ["B-1", "B-2"])
        #expect(byID["B-1"]?["reason"] as? String == "no_code")
        #expect((byID["B-1"]?["actions"] as? [String])?.first?.hasPrefix("jobforge titles pin B-1 --noc ") == true)
        let ambiguous = try #require(byID["B-2"])
        #expect(ambiguous["reason"] as? String == "ambiguous_noc2016" && ambiguous["given"] as? String == "1114")
        let groups = (ambiguous["candidates"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(groups.count >= 2)
        #expect(ambiguous["actions"] as? [String] == groups.map { #"jobforge titles pin B-2 --noc \#($0) --reason "...""# })
        let text = try Self.run(["titles", "review"], folder)
        #expect(text.status == 1 && text.stdout.contains("-> jobforge titles pin B-2 --noc \(groups[0])"), "\(text.stdout)")

        #expect(try Self.run(["titles", "pin", "B-2", "--noc", groups[0]], folder).status == 0)
        #expect(try Self.show("B-2", folder).details["unit_group"] == groups[0])
        #expect(try Self.show("B-2", folder).details["unit_group_method"] == "manual")
        #expect(try Self.run(["titles", "pin", "B-1", "21211.00", "--reason", "same work"], folder).status == 0)
        let settled = try Self.run(["titles", "review"], folder)
        #expect(settled.status == 0, "\(settled.stdout)")

        let bad = folder.path("bad.csv")
        try "id,title,noc_2021\nA-1,Data scientists,21211\nA-2,Bad code,99999\n".write(to: bad, atomically: true, encoding: .utf8)
        let state = try Self.decisionState(folder)
        let refused = try Self.run(["titles", "import", bad.path, "--replace"], folder)
        #expect(refused.status == 1 && refused.stderr.contains("--replace: 1 bad row(s), nothing imported or removed"), "\(refused.stderr)")
        #expect(try Self.decisionState(folder) == state)
    }

    @Test("a profile column pins at import (method manual, logged by the import); a value that is not a profile is a bad row; the pin survives an import without the column")
    func profileColumnPins() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-profile-column")
        defer { folder.remove() }
        _ = try await LLMFaultCLITests.store(in: folder)
        let file = folder.path("pinned.csv")
        try "id,title,noc_2021,Profile\nP-1,nurse,31301,31301.03\nP-2,nurse,31301,41400.02x\nP-3,nurse,31301,\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let imported = try Self.run(["titles", "import", file.path, "--json"], folder)
        #expect(imported.status == 0, "\(imported.stderr)")
        let summary = try #require(try Self.json(imported.stdout) as? [String: Any])
        #expect(summary["skippedByReason"] as? [String: Int] == ["unknown_profile": 1], "\(summary)")
        let pinned = try Self.show("P-1", folder).details
        #expect(pinned["profile_code"] == "31301.03" && pinned["method"] == "manual", "\(pinned)")
        #expect(try Self.show("P-3", folder).details["method"] != "manual")
        let decision = try #require(try TitleCatalog(Self.store(folder)).decisions(titleID: "P-1").last)
        #expect(decision.action == .pin && decision.decidedBy == "import of pinned.csv")

        let plain = folder.path("plain.csv")
        try "id,title,noc_2021\nP-1,nurse,31301\n".write(to: plain, atomically: true, encoding: .utf8)
        #expect(try Self.run(["titles", "import", plain.path], folder).status == 0)
        #expect(try Self.show("P-1", folder).details["profile_code"] == "31301.03", "the pin stays")
    }

    @Test("resolve nurse --noc 31301 shows the tie and says a pin settles it")
    func resolveShowsTies() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-resolve-tie")
        defer { folder.remove() }
        let text = try JobForgeBinary.run(["resolve", "nurse", "--noc", "31301"], in: folder.url)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("tie: ") && text.stdout.contains("a pin settles it"), "\(text.stdout)")
        let json = try JobForgeBinary.run(["resolve", "nurse", "--noc", "31301", "--json"], in: folder.url)
        let object = try #require(try Self.json(json.stdout) as? [String: Any])
        let tied = try #require(object["tied"] as? [[String: Any]])
        #expect(tied.count >= 2)
        let scores = tied.compactMap { $0["score"] as? Double }
        let best = try #require((object["resolution"] as? [String: Any])?["candidates"] as? [[String: Any]])
            .compactMap { $0["score"] as? Double }.max()
        #expect(scores.count == tied.count && scores.allSatisfy { best! - $0 <= 1 })
        let chosen = (object["resolution"] as? [String: Any])?["profileCode"] as? String
        #expect(tied.contains { $0["code"] as? String == chosen }, "the choice is one of the tied profiles")
    }

    @Test("review flags a code in doubt with the offline coder's better groups and their matched example titles; a code that fits is not flagged; a title without a code gets the coder's three best groups as pins, best first")
    func codeInDoubt() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-code-doubt")
        defer { folder.remove() }
        _ = try await LLMFaultCLITests.store(in: folder)
        let file = folder.path("audit.csv")
        try "id,title,noc_2021\nD-1,Registered nurse,72400\nD-2,Data scientist,21211\nD-3,Registered nurse,\n"
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try Self.run(["titles", "import", file.path], folder).status == 0)
        let review = try Self.run(["titles", "review", "--json"], folder)
        #expect(review.status == 1, "\(review.stderr)")
        let items = try #require(try Self.json(review.stdout) as? [[String: Any]])
        let doubt = try #require(items.first { $0["id"] as? String == "D-1" })
        #expect(doubt["reason"] as? String == "code_in_doubt", "\(doubt)")
        let suggested = try #require(doubt["suggested"] as? [[String: Any]])
        #expect(suggested.contains { $0["unitGroup"] as? String == "31301" }, "\(suggested)")
        #expect(!suggested.contains { $0["unitGroup"] as? String == "72400" })
        #expect((suggested.first?["evidence"] as? String)?.contains("matched") == true)
        #expect((doubt["actions"] as? [String])?.first?.hasPrefix("jobforge titles pin D-1 --noc ") == true)
        #expect(!items.contains { $0["id"] as? String == "D-2" && $0["reason"] as? String == "code_in_doubt" })

        // No code (an import refuses unknown ones): the coder's best groups, with their evidence, and a pin to each, best first.
        let uncoded = try #require(items.first { $0["id"] as? String == "D-3" }, "\(items)")
        #expect(uncoded["reason"] as? String == "no_code", "\(uncoded)")
        let groups = try #require(uncoded["suggested"] as? [[String: Any]]).compactMap { $0["unitGroup"] as? String }
        #expect(groups.count == 3 && groups.first == "31301", "\(uncoded)")
        #expect(uncoded["actions"] as? [String] == groups.map { "jobforge titles pin D-3 --noc \($0) --reason \"...\"" }
            + ["jobforge titles pin D-3 --noc UNIT_GROUP --reason \"...\""], "\(uncoded)")
        #expect((uncoded["detail"] as? String)?.hasPrefix("no NOC code; suggested: 31301 (") == true, "\(uncoded)")
        // Settled by the first action, the title leaves the queue.
        #expect(try Self.run(["titles", "pin", "D-3", "--noc", "31301", "--reason", "coder's first"], folder).status == 0)
        let after = try #require(try Self.json(try Self.run(["titles", "review", "--json"], folder).stdout) as? [[String: Any]])
        #expect(!after.contains { $0["id"] as? String == "D-3" })
    }
}
