import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeLLM
import JobForgeONet
import JobForgeStore
import JobForgeTitles

/// Reads a store (opened read-only is enough) into a ``ReportModel`` and the titles' profile
/// sheets, through the same store API as `show`, `titles` and `impute --dry-run`.
///
/// ```swift
/// let store = try SQLiteStore(path: "jobforge.sqlite", schemas: schemas, mode: .readOnly)
/// let report = try await ReportBuilder(store: store, sheetLimit: 500).build()
/// try HTMLReport(report, language: .french).render().write(to: url, atomically: true, encoding: .utf8)
/// ```
public struct ReportBuilder: Sendable {
    public let store: SQLiteStore
    /// Titles with a sheet in the page (`jobforge report` has every title's unless `--sheets N`;
    /// a sheet is about 17 kB): past the limit the index still lists every title and `jobforge
    /// serve` shows them all.
    public var sheetLimit: Int
    /// The model and prices of the cost estimate (`impute`'s defaults unless configured).
    public var llm: LLMConfiguration
    /// Whether to estimate the LLM's cost (it builds and counts every prompt, a chunk of titles at a time).
    public var estimatesCost: Bool

    /// Where codes in doubt come from (the offline NOC coder, composed by the caller); none: not audited.
    public var suggester: (any UnitGroupSuggesting)?

    public init(store: SQLiteStore, sheetLimit: Int = 1_000, llm: LLMConfiguration = LLMConfiguration(),
                estimatesCost: Bool = true, suggester: (any UnitGroupSuggesting)? = nil) {
        self.store = store
        self.sheetLimit = max(0, sheetLimit)
        self.llm = llm
        self.estimatesCost = estimatesCost
        self.suggester = suggester
    }

    /// The report and its sheets, read in this order: titles, cells, cost, history. Without
    /// `holdingSheets`, the sheets are not read (only their dimensions): `forEachSheet(_:)` streams
    /// them to the page as it is written, so that 20,000 sheets are never held at once.
    public func build(now: Date = Date(), holdingSheets: Bool = true) async throws -> Report {
        let titles = try TitleCatalog(store).titles()
        let descriptors = try store.descriptors(category: nil)
        let (coverage, sheets) = try coverageAndSheets(titles: titles, descriptors: descriptors, holdingSheets: holdingSheets)
        let cost = estimatesCost ? try await costEstimate() : nil
        let model = ReportModel(
            generatedAt: Timestamp.string(now), store: URL(fileURLWithPath: store.path).lastPathComponent,
            coverage: coverage, cost: cost,
            review: try reviewQueue(titles),
            quality: try Self.quality(onet: ONetArchive(store).latestEvaluation(),
                                      llm: LLMLog(store).latestEvaluations().map(LLMEvaluationReport.init(stored:))),
            releases: try store.releases(),
            steps: try store.completedSteps().map {
                StepSummary(name: $0.name, completedAt: Timestamp.string($0.completedAt), runID: $0.runID, summary: $0.summary ?? "")
            }.filter { $0.name != "cell-counts" },
            runs: try store.runs(limit: 50), sheetCount: min(sheetLimit, titles.count))
        return Report(model: model, sheets: sheets)
    }

    /// The report's coverage alone (`build().model.coverage`, the same tallies): what `serve`'s
    /// `/api/coverage` answers without the review queue, the sheets and the page, which were
    /// nearly half of its first request's time (2.4 s of the shipped build's).
    public func coverage() throws -> Coverage {
        try coverageAndSheets(titles: try TitleCatalog(store).titles(), descriptors: try store.descriptors(category: nil),
                              holdingSheets: false).0
    }

    /// One pass over the titles' winning cells: the tallies, and (`holdingSheets`) the sheets of the first `sheetLimit` titles.
    func coverageAndSheets(titles: [JobTitleRecord], descriptors: [DescriptorInfo], holdingSheets: Bool) throws -> (Coverage, ProfileSheets) {
        // The guide's cells, by category then dimension, in guide order.
        var possible: [Category: [(CellDimension, Int)]] = [:]
        for info in descriptors {
            for scale in info.scales {
                var list = possible[info.descriptor.category, default: []]
                if let at = list.firstIndex(where: { $0.0 == scale.dimension }) { list[at].1 += 1 } else { list.append((scale.dimension, 1)) }
                possible[info.descriptor.category] = list
            }
        }
        let (sheetDimensions, dimensionIndex) = Self.sheetDimensions(descriptors)
        let perTitle = possible.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.1 } }
        let sheetIDs = holdingSheets ? Set(titles.prefix(sheetLimit).map(\.id)) : Set<String>()
        var byTitle: [String: CellTally] = [:]
        var byCell: [Category: [CellDimension: CellTally]] = [:]
        var sheetCells: [String: [ProfileSheets.Cell]] = [:]
        try store.forEachWinner(filter: CellFilter(), subjectKinds: [.title]) { cell in
            byTitle[cell.subject.code, default: CellTally()].count(cell.source)
            byCell[cell.category, default: [:]][cell.dimension, default: CellTally()].count(cell.source)
            guard sheetIDs.contains(cell.subject.code), let sheetCell = Self.sheetCell(cell, dimensionIndex) else { return }
            sheetCells[cell.subject.code, default: []].append(sheetCell)
        }
        let categories = Category.allCases.compactMap { category -> Coverage.CategoryCoverage? in
            guard let dimensions = possible[category] else { return nil }
            var categoryTally = CellTally()
            let rows = dimensions.map { dimension, count in
                var tally = byCell[category]?[dimension] ?? CellTally()
                tally.possible = count * titles.count
                categoryTally.add(tally)
                return Coverage.DimensionCoverage(dimension: dimension.rawValue, cells: tally)
            }
            return Coverage.CategoryCoverage(category: category.rawValue, cells: categoryTally, dimensions: rows)
        }
        var total = CellTally()
        for category in categories { total.add(category.cells) }
        let titleRows = titles.map { record in
            var tally = byTitle[record.id] ?? CellTally()
            tally.possible = perTitle
            return Coverage.TitleCoverage(id: record.id, title: record.title, titleFR: record.titleFR, profileCode: record.profileCode,
                                          resolutionMethod: record.method.rawValue, resolutionConfidence: record.confidence, cells: tally)
        }
        let coverage = Coverage(titleCount: titles.count, resolvedTitleCount: titles.filter(Self.isResolved).count,
                                possibleCellsPerTitle: perTitle, total: total, categories: categories, titles: titleRows)
        let sheets = ProfileSheets(
            dimensions: sheetDimensions,
            titles: holdingSheets ? titles.prefix(sheetLimit).map { Self.sheet($0, cells: sheetCells[$0.id] ?? []) } : [])
        return (coverage, sheets)
    }

    /// The sheets of the first `sheetLimit` titles, one at a time in the index's order, read in
    /// one pass (the same cells as `build()` holds): one title's cells are held at a time.
    public func forEachSheet(_ body: (ProfileSheets.Sheet) throws -> Void) throws {
        let titles = try TitleCatalog(store).titles().prefix(sheetLimit)
        let (_, index) = Self.sheetDimensions(try store.descriptors(category: nil))
        var position = titles.startIndex
        var cells: [ProfileSheets.Cell] = []
        // A title's cells come together in the titles' order: its sheet is complete when another
        // title's cell comes (titles with no cell in between have empty sheets).
        func finish(until code: String?) throws {
            while position < titles.endIndex, titles[position].id != code {
                try body(Self.sheet(titles[position], cells: cells))
                cells = []
                position += 1
            }
        }
        try store.forEachWinner(of: titles.map { .title($0.id) }, filter: CellFilter()) { cell in
            try finish(until: cell.subject.code)
            if let sheetCell = Self.sheetCell(cell, index) { cells.append(sheetCell) }
        }
        try finish(until: nil)
    }

    /// Whether a page should stream its sheets (`build(holdingSheets: false)`, then
    /// `forEachSheet(_:)`) rather than hold them: past `heldSheets`, so that memory stays flat.
    /// Up to it they are held, read in the same pass as the tallies (streaming reads them again).
    public func streamsSheets() throws -> Bool {
        min(sheetLimit, try TitleCatalog(store).count()) > Self.heldSheets
    }

    /// Sheets a page holds at most (about 300 MB at the peak for a thousand).
    public static let heldSheets = 1_000

    /// One title's sheet, read alone (what `serve` shows at `/titles/ID`); nil for an unknown id.
    public func sheet(forTitle id: String) throws -> ProfileSheets? {
        guard let record = try TitleCatalog(store).title(matching: id), record.id == id || record.title == id else { return nil }
        let (dimensions, index) = Self.sheetDimensions(try store.descriptors(category: nil))
        let cells = try store.winners(of: .title(record.id), filter: CellFilter()).compactMap { Self.sheetCell($0, index) }
        return ProfileSheets(dimensions: dimensions, titles: [Self.sheet(record, cells: cells)])
    }

    /// Each descriptor x dimension of the guide once, and where each is in the list.
    static func sheetDimensions(_ descriptors: [DescriptorInfo]) -> ([ProfileSheets.Dimension], [String: Int]) {
        var dimensions: [ProfileSheets.Dimension] = []
        var index: [String: Int] = [:]
        for info in descriptors {
            for scale in info.scales {
                index["\(info.descriptor.code)/\(scale.dimension.rawValue)"] = dimensions.count
                dimensions.append(.init(code: info.descriptor.code, name: info.descriptor.name, category: info.descriptor.category.rawValue,
                                        dimension: scale.dimension.rawValue, scale: scale.label))
            }
        }
        return (dimensions, index)
    }

    static func sheetCell(_ cell: CellValue, _ index: [String: Int]) -> ProfileSheets.Cell? {
        index["\(cell.descriptorCode)/\(cell.dimension.rawValue)"].map {
            ProfileSheets.Cell(dimension: $0, value: cell.value, text: cell.text, source: cell.source.rawValue,
                               confidence: cell.confidence, level: cell.sourceLevel.rawValue, from: cell.sourceIDs)
        }
    }

    static func sheet(_ record: JobTitleRecord, cells: [ProfileSheets.Cell]) -> ProfileSheets.Sheet {
        ProfileSheets.Sheet(id: record.id, title: record.title, titleFR: record.titleFR, unitGroup: record.unitGroup,
                            profileCode: record.profileCode, method: record.method.rawValue, confidence: record.confidence, cells: cells)
    }

    /// `impute --dry-run`'s plan of the empty cells, without its prompts: a chunk of titles at a
    /// time, each prompt counted and dropped, so memory stays flat however many titles.
    func costEstimate() async throws -> CostEstimate {
        let tier = LLMTier(client: OpenAIClient(configuration: llm), recorder: LLMLog(store), runID: "report")
        var reader = try LLMStep.RequestReader(store: store)
        var tally = LLMPlanTally()
        while let requests = try reader.next() {
            try await tier.plan(requests) { tally.add($0) }
        }
        return CostEstimate(model: llm.model, cells: tally.cells, requests: tally.requests, cachedRequests: tally.cachedRequests,
                            estimatedInputTokens: tally.estimatedInputTokens, estimatedOutputTokens: tally.estimatedOutputTokens,
                            estimatedCostUSD: tally.estimatedCost(pricing: llm.pricing))
    }

    /// The engine's rule: a title inherits its profile's cells (`TitleInheritanceRule`).
    static func isResolved(_ record: JobTitleRecord) -> Bool {
        record.resolution?.isResolved ?? false
    }

    /// The review queue of the store's titles (all of them unless given).
    public func reviewQueue(_ titles: [JobTitleRecord]? = nil) throws -> [ReviewItem] {
        let catalog = TitleCatalog(store)
        return Self.review(try TitleReview(suggester: suggester).queue(try titles ?? catalog.titles(), pins: try catalog.pins()))
    }

    /// The titles' review queue (`jobforge titles review`: unresolved, low confidence, ties, codes
    /// in doubt), each with its reason, evidence and the first command that settles it.
    public static func review(_ queue: [JobForgeTitles.ReviewItem]) -> [ReviewItem] {
        queue.map { item in
            ReviewItem(id: item.titleID, title: item.title, reason: item.reason.kind, method: item.method.rawValue,
                       confidence: item.confidence, note: item.detail, action: item.actions.first ?? "")
        }
    }

    /// Each tier's latest evaluation: O*NET levels against OaSIS and O*NET importances against
    /// O*NET itself (`jobforge evaluate onet`), then the LLM's, one per model (`jobforge evaluate
    /// llm`); nil when none was run.
    static func quality(onet: ONetEvaluationReport?, llm: [LLMEvaluationReport]) -> [TierQuality]? {
        var tiers: [TierQuality] = []
        if let onet {
            tiers.append(figures(onet.figures, tier: "onet", evaluatedAt: onet.evaluatedAt))
            if let importance = onet.importance {
                tiers.append(figures(importance.figures, tier: "onet-importance", evaluatedAt: onet.evaluatedAt))
            }
        }
        for evaluation in llm {
            var tier = figures(evaluation.figures, tier: "llm", evaluatedAt: evaluation.evaluatedAt)
            tier.model = evaluation.model
            tier.invalid = evaluation.cells.invalid
            tier.tokensIn = evaluation.tokensIn
            tier.tokensOut = evaluation.tokensOut
            tier.costUSD = evaluation.estimatedCost
            tiers.append(tier)
        }
        return tiers.isEmpty ? nil : tiers
    }

    /// A tier's figures as the report shows them: overall error, shares, and stated confidence
    /// against measured accuracy for each tenth of stated confidence that has values.
    static func figures(_ figures: TierEvaluation, tier: String, evaluatedAt: Date) -> TierQuality {
        let overall = figures.overall
        return TierQuality(
            tier: tier, meanAbsoluteError: overall.meanAbsoluteError, calibration: summary(figures),
            evaluatedAt: Timestamp.string(evaluatedAt), values: overall.count, exactShare: overall.exactShare,
            withinOneShare: overall.withinOneShare,
            calibrationTable: figures.calibration.filter { $0.count > 0 }.map {
                CalibrationRow(lower: $0.lower, upper: $0.upper, count: $0.count, meanStatedConfidence: $0.meanStatedConfidence,
                               withinHalfShare: $0.withinHalfShare)
            })
    }

    /// An evaluation's figures in one line: values measured, baseline, calibration per stated confidence.
    static func summary(_ figures: TierEvaluation) -> String {
        let overall = figures.overall
        let calibration = figures.calibration.filter { $0.count > 0 }.map {
            String(format: "stated %.1f-%.1f: %.0f%% within half a point (n = %d)", $0.lower, $0.upper, $0.withinHalfShare * 100, $0.count)
        }
        let line = String(format: "n = %d; per-descriptor-mean baseline %.3f; %.0f%% within half a point", overall.count,
                          overall.baselineMeanAbsoluteError, overall.withinHalfShare * 100)
        return ([line] + calibration).joined(separator: "; ")
    }
}

/// The report's model and its profile sheets.
public struct Report: Sendable {
    public var model: ReportModel
    public var sheets: ProfileSheets
}

/// Compact profile sheets for the page: each descriptor x dimension once, then per title its
/// cells by index (about 40 bytes a cell instead of a table row's 300).
public struct ProfileSheets: Sendable, Codable {
    public struct Dimension: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        public var category: String
        public var dimension: String
        public var scale: String
    }

    public struct Cell: Sendable, Codable {
        public var dimension: Int
        public var value: Double
        public var text: String?
        public var source: String
        public var confidence: Double
        /// Where the value was read: `L5` unit group, `L6` profile, `L7` the title itself.
        public var level: String
        /// The subjects it was inherited from (`10012.00`) or the source's ids.
        public var from: [String]
    }

    public struct Sheet: Sendable, Codable {
        public var id: String
        public var title: String
        public var titleFR: String?
        public var unitGroup: String?
        public var profileCode: String?
        public var method: String
        public var confidence: Double
        public var cells: [Cell]
    }

    public var dimensions: [Dimension]
    public var titles: [Sheet]
}
