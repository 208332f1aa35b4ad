import Foundation
import GRDB
import JobForgeCore
import JobForgeLLM
import JobForgeONet
import JobForgeOaSIS
import JobForgeStore
import JobForgeTitles

/// `jobforge build`: the cascade's steps in their fixed order. Each step is one transaction
/// keyed by the fingerprint of what it reads, so a second run with the same inputs does
/// nothing, and a run killed in the middle of a step leaves the store as it was before that
/// step (the next run does it again).
public struct BuildPipeline: Sendable {
    public struct Options: Sendable {
        public var dataFolder: URL
        /// The LLM step's configuration, or why it is skipped (no key and no base URL).
        public var llm: LLMConfiguration.Resolution
        /// The steps to run (all when nil); the others are left as the last build left them.
        public var steps: Set<Step>?
        /// `--dry-run`: the LLM step plans its requests and sends none.
        public var llmDryRun: Bool
        public init(dataFolder: URL, llm: LLMConfiguration.Resolution = .skipped(reason: "no OPENAI_API_KEY and no OPENAI_BASE_URL"),
                    steps: Set<Step>? = nil, llmDryRun: Bool = false) {
            self.dataFolder = dataFolder
            self.llm = llm
            self.steps = steps
            self.llmDryRun = llmDryRun
        }
    }

    /// The steps, in the order they run.
    public enum Step: String, Sendable, CaseIterable, Codable {
        case authoritative, titles, onet, llm
    }

    /// What one step did.
    public struct StepReport: Sendable, Codable {
        public var name: String
        public var status: StepStatus
        public var detail: String
        public var seconds: Double
        /// What the user should know of the step's inputs (an O*NET release that lacks tables).
        public var warnings: [String] = []
    }

    /// How a step ended.
    public enum StepStatus: String, Sendable, Codable {
        /// The step ran and committed.
        case done
        /// Its inputs were as at the last run: nothing to do.
        case unchanged
        /// Not configured (the reason is in the report's `detail`).
        case skipped
    }

    /// The tables every build writes besides the engine's: pass them when opening the store.
    public static let schemas: [any StoreSchema.Type] = [TitlesSchema.self, ONetSchema.self, LLMSchema.self]

    public struct Report: Sendable, Codable {
        public var runID: String
        public var steps: [StepReport]
        public var tables: [String: Int]
        public var cells: [CellCount]
        public var seconds: Double

        /// True when no step had anything to do.
        public var changedNothing: Bool { steps.allSatisfy { $0.status != .done } }
    }

    public let options: Options
    public init(options: Options) { self.options = options }

    /// Runs every step. `progress` is told the name of each step as it starts.
    public func run(store: SQLiteStore, progress: @Sendable (String) -> Void = { _ in }) async throws -> Report {
        let started = Date()
        Timing.mark("open the store")
        var steps: [StepReport] = []
        func selected(_ step: Step) -> Bool { options.steps?.contains(step) ?? true }
        // The steps' marks are derived once, when the run finishes: the O*NET step touches every
        // profile the authoritative step did.
        let runID = try await store.withRun(command: "build", defersModelRefresh: true) { runID in
            if selected(.authoritative) {
                progress("authoritative: NOC 2021 and OaSIS 2023")
                steps.append(try authoritativeStep(store: store, runID: runID))
            }
            if selected(.titles) {
                progress("job titles: the sample architecture and inherited cells")
                steps.append(try titlesStep(store: store, runID: runID))
            }
            if selected(.onet) {
                progress("onet: crosswalk, O*NET 29.3 and the O*NET tier")
                steps.append(try onetStep(store: store, runID: runID))
            }
            if selected(.llm) {
                progress("llm: cells no higher source filled")
                steps.append(try await llmStep(store: store, runID: runID))
            }
            return runID
        }
        let tables = try store.tableCounts()
        Timing.mark("table counts")
        let cells = try cellCounts(store: store, changed: steps.contains { $0.status == .done }, runID: runID)
        Timing.mark("cell counts")
        return Report(runID: runID, steps: steps, tables: tables, cells: cells, seconds: Date().timeIntervalSince(started))
    }

    /// Step 1: NOC and OaSIS into the reference tables and the authoritative layer. Unit groups
    /// (by `UnitGroupRule`) and titles derive their cells from it when read.
    func authoritativeStep(store: SQLiteStore, runID: String) throws -> StepReport {
        let started = Date()
        Timing.last = started
        // Every file is read and hashed once: for the fingerprint, the release records and the parser.
        let inputs = try OaSISInputs(reading: OaSISFiles(dataFolder: options.dataFolder))
        let fingerprint = Fingerprint.of(inputs.digests)
        if let done = try store.completedStep("authoritative"), done.fingerprint == fingerprint {
            return StepReport(name: "authoritative", status: .unchanged,
                              detail: "same NOC and OaSIS files as run \(done.runID)", seconds: Date().timeIntervalSince(started))
        }
        let observedAt = Date()
        Timing.mark("fingerprint")
        var detail = ""
        var loaded: OaSISDataset?
        try store.commitStep("authoritative", fingerprint: fingerprint, runID: runID) { writer in
            // The reference tables are written while the ratings are still being read on another
            // core; a load that fails throws its own error and the transaction writes nothing.
            let dataset = try OaSISDataset.load(inputs, observedAt: observedAt) { references in
                Timing.mark("read and check OaSIS")
                try writer.upsertNOCClasses(references.nocClasses)
                try writer.upsertDescriptors(references.descriptors,
                                             scales: references.scales + Self.importanceScales(for: references.descriptors))
                try writer.upsertProfiles(references.profiles)
                try writer.replaceProfileTexts(references.texts)
                Timing.mark("reference tables")
            }
            for release in dataset.releases { try writer.recordRelease(release) }
            try writer.recordRatingColumns(dataset.columnMatches.map {
                ($0.file, $0.header, $0.descriptorCode, $0.dimension.rawValue, $0.match)
            })
            let profiles = try writer.storeProfileRatings(dataset.profileRatings)
            Timing.mark("ratings")
            TestHooks.holdIfAsked(step: "authoritative")
            detail = "\(dataset.nocClasses.filter { $0.level == 5 }.count) unit groups, \(dataset.profiles.count) profiles, "
                + "\(dataset.texts.filter { $0.kind == .exampleTitle }.count) example titles; "
                + "profile ratings \(profiles.inserted) new, \(profiles.overridden) overridden, \(profiles.unchanged) unchanged "
                + "(unit group and title cells derive from them)"
            loaded = dataset
            return detail
        }
        Timing.mark("commit")
        // The ~40 MB of candidates are freed on the other core, not on the build's path.
        DispatchQueue.global(qos: .utility).async { [loaded] in withExtendedLifetime(loaded) {} }
        loaded = nil
        return StepReport(name: "authoritative", status: .done, detail: detail, seconds: Date().timeIntervalSince(started))
    }
}

extension BuildPipeline {
    /// The cells per subject kind, source and category: counted after a build that changed
    /// something (counting reads every cell) and kept with the steps, so that a build that
    /// changed nothing reports them at once.
    func cellCounts(store: SQLiteStore, changed: Bool, runID: String) throws -> [CellCount] {
        if !changed, let kept = try store.completedStep("cell-counts")?.summary,
           let counts = try? JSONDecoder().decode([CellCount].self, from: Data(kept.utf8)) {
            return counts
        }
        let counts = try store.cellCounts()
        let json = String(decoding: try JSONEncoder().encode(counts), as: UTF8.self)
        try store.commitStep("cell-counts", fingerprint: runID, runID: runID) { _ in json }
        return counts
    }
}

/// A hook for the crash test: with `JOBFORGE_TEST_HOLD_IN_STEP=<step>`, the step announces
/// itself on stderr once its writes are done but before its transaction commits, and waits
/// to be killed. Debug builds, and release builds with the package trait `TestHooks` (the test
/// suite's): a release binary built for use never reads this variable.
public enum TestHooks {
    public static func holdIfAsked(step: String) {
        #if DEBUG || JOBFORGE_TEST_HOOKS
        guard ProcessInfo.processInfo.environment["JOBFORGE_TEST_HOLD_IN_STEP"] == step else { return }
        FileHandle.standardError.write(Data("holding in \(step)\n".utf8))
        Thread.sleep(forTimeInterval: 120)
        #endif
    }
}

/// Phase timings and memory on stderr when `JOBFORGE_TIMING=1`, to measure before optimizing.
enum Timing {
    static let enabled = ProcessInfo.processInfo.environment["JOBFORGE_TIMING"] == "1"
    private static let lock = NSLock()
    nonisolated(unsafe) private static var lastMark = Date()
    /// When the last phase ended (guarded: steps may mark from another thread).
    static var last: Date {
        get { lock.withLock { lastMark } }
        set { lock.withLock { lastMark = newValue } }
    }

    /// A figure of /proc/self/status in MB (0 where there is none).
    static func memory(_ field: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes / 1024
    }

    static func mark(_ phase: String) {
        guard enabled else { return }
        let now = Date()
        FileHandle.standardError.write(Data(String(format: "  %-28@ %7.3f s  %6.1f MB now, %6.1f MB peak\n", phase as NSString,
                                                   now.timeIntervalSince(last), memory("VmRSS"), memory("VmHWM")).utf8))
        last = now
    }
}

extension BuildPipeline {
    /// The shipped sample job architecture.
    public var sampleArchitecture: URL { options.dataFolder.appendingPathComponent("sample/job_architecture.csv") }
    var sampleMapping: URL { options.dataFolder.appendingPathComponent("sample/job_architecture.mapping") }

    /// Step 2: import and resolve the sample architecture while the store has no architecture of
    /// the user's (then never again: see `SampleTitles`), then inherit L6 -> L7 for every resolved
    /// title in the store. Import, resolution and the reconciliation of the titles' cells are one
    /// transaction.
    func titlesStep(store: SQLiteStore, runID: String) throws -> StepReport {
        let started = Date()
        let authoritative = try store.completedStep("authoritative")?.fingerprint ?? ""
        let hasUserTitles = try store.dbQueue.read { try SampleTitles.storeHasUserImport(in: $0) }
        // The titles already in the store are an input too: a user's import since the last build
        // needs its inherited cells (and the O*NET step, its O*NET cells).
        let inputs = try Fingerprint.files([sampleArchitecture, sampleMapping,
                                            options.dataFolder.appendingPathComponent("crosswalk/noc_2021_2016.csv")])
            + authoritative
            + (hasUserTitles ? "|the user's titles, no sample" : "")
        let fingerprint = inputs + (try Self.titlesKey(TitleCatalog(store).titles()))
        if let done = try store.completedStep("titles"), done.fingerprint == fingerprint {
            return StepReport(name: "titles", status: .unchanged, detail: "same sample and profiles as run \(done.runID)",
                              seconds: Date().timeIntervalSince(started))
        }
        let importer = TitleImporter(resolver: try TitleImporter.resolver(store: store, dataDirectory: options.dataFolder),
                                     suggestions: try AppliedSuggestions.latest(in: store))
        let mapping = try ColumnMapping(contentsOf: sampleMapping)
        var detail = ""
        try store.commitStep("titles", fingerprint: { db in
            // Recorded with the titles as they are now, so the next build sees no change.
            inputs + (try Self.titlesKey(TitleCatalog.titles(in: db)))
        }, runID: runID) { writer in
            let (outcome, inherited) = try TitleCells.resolving(in: writer.db, runID: runID) { db in
                let summary = hasUserTitles ? nil
                    : try importer.importFile(sampleArchitecture, mapping: mapping, origin: .sample, in: db)
                // A store the user imported into before samples were marked may still hold some.
                let removed = hasUserTitles ? try SampleTitles.remove(in: db) : 0
                // Profiles may have changed since titles were last resolved: resolve all of them again.
                _ = try importer.resolveStoredTitles(in: db)
                return (summary, removed)
            }
            TestHooks.holdIfAsked(step: "titles")
            let (sample, removed) = outcome
            detail = (sample.map { "sample: \($0.imported) titles imported, \($0.skipped) skipped; " }
                      ?? "your titles, no sample\(removed > 0 ? " (\(removed) sample titles removed)" : ""); ")
                + "\(inherited.resolved) of \(inherited.titles) titles resolved; "
                + "\(inherited.inheritedCells) rated cells inherited from their profiles (with their O*NET values), \(inherited.overridden) overridden"
            return detail
        }
        return StepReport(name: "titles", status: .done, detail: detail, seconds: Date().timeIntervalSince(started))
    }
}

extension BuildPipeline {
    /// Step 4: the LLM tier for what is still empty, when a model is configured. Its answers are
    /// cached, so a second build asks nothing again.
    func llmStep(store: SQLiteStore, runID: String) async throws -> StepReport {
        let started = Date()
        guard case .ready(let configuration) = options.llm else {
            if case .skipped(let reason) = options.llm {
                return StepReport(name: "llm", status: .skipped, detail: reason, seconds: 0)
            }
            return StepReport(name: "llm", status: .skipped, detail: "not configured", seconds: 0)
        }
        if options.llmDryRun {
            // Counted a chunk of titles at a time, each prompt dropped once counted: flat memory.
            let tier = LLMTier(client: OpenAIClient(configuration: configuration), recorder: LLMLog(store), runID: runID)
            var reader = try LLMStep.RequestReader(store: store)
            var plan = LLMPlanTally()
            while let requests = try reader.next() { try await tier.plan(requests) { plan.add($0) } }
            let uncached = plan.requests - plan.cachedRequests
            return StepReport(name: "llm", status: .skipped,
                              detail: "dry run: \(plan.cells) cells in \(plan.requests) requests (\(uncached) not cached), "
                                  + "~\(plan.estimatedInputTokens) tokens in, ~\(plan.estimatedOutputTokens) out; nothing was sent",
                              seconds: Date().timeIntervalSince(started))
        }
        let requests = try LLMStep.requests(store: store)
        let (result, summary) = try await LLMStep.run(store: store, configuration: configuration, runID: runID, requests: requests)
        let s = result.summary
        let detail = "\(s.cellsAsked) cells asked: \(s.answered) answered, \(s.refused) refused, \(s.invalid) invalid, "
            + "\(s.failed) failed; \(s.requests) requests, \(s.cacheHits) from cache; \(summary.filled) cells filled"
        return StepReport(name: "llm", status: summary.inserted > 0 ? .done : .unchanged, detail: detail,
                          seconds: Date().timeIntervalSince(started))
    }
}

extension BuildPipeline {
    /// Categories whose descriptors O*NET rates for importance as well as level: the cascade
    /// expects an importance value for each of them, which OaSIS never gives.
    static let importanceCategories: Set<Category> = [.skills, .abilities, .knowledge, .workActivities]

    /// The importance scale of those descriptors (O*NET's IM 1-5), a second measure after the
    /// OaSIS level: the one place it is declared, whichever tier later fills it.
    static func importanceScales(for descriptors: [Descriptor]) -> [DescriptorScale] {
        descriptors.filter { $0.structureType == .descriptor && importanceCategories.contains($0.category) }.map {
            DescriptorScale(descriptorCode: $0.code, dimension: .importance, minimum: 1, maximum: 5,
                            label: "importance (O*NET IM scale)", notApplicable: nil, position: 2)
        }
    }

    /// What the titles' cells depend on: each title's id, profile and resolution confidence.
    static func titlesKey(_ titles: [JobTitleRecord]) -> String {
        SHA256.hex(titles.map { "\($0.id)|\($0.unitGroup ?? "")|\($0.profileCode ?? "")|\($0.confidence)" }
            .joined(separator: "\n"))
    }
}

/// Fingerprints of inputs, so that a step knows whether what it read has changed.
public enum Fingerprint {
    public static func files(_ urls: [URL]) throws -> String {
        let contents = try urls.map { try Data(contentsOf: $0, options: .mappedIfSafe) }
        return of(zip(urls, SHA256.hex(each: contents)).map { (name: $0.lastPathComponent, sha256: $1) })
    }

    /// The fingerprint of files already hashed, from their names and digests in order.
    public static func of(_ digests: [(name: String, sha256: String)]) -> String {
        SHA256.hex(digests.map { $0.name + "=" + $0.sha256 }.joined(separator: "\n"))
    }
}
