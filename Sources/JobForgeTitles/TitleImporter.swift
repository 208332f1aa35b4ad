import Foundation
import JobForgeCore
import GRDB
import JobForgeStore

/// What an import did, for the terminal and for `--json`.
public struct TitleImportSummary: Sendable, Codable, Equatable {
    public var file: String
    public var sha256: String
    /// Data rows read (the header excluded).
    public var rowsRead: Int
    /// Rows that passed the checks and were stored.
    public var imported: Int
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    public var skipped: Int
    public var skippedByReason: [String: Int]
    public var badRows: [BadRow]
    /// Rows imported with something to check (a code a workbook stored as a number).
    public var warnings: [ImportWarning] = []
    /// How the file was read: `Windows-1252 (detected), semicolon-delimited (detected)`.
    public var format: String = ""
    /// Titles of the shipped sample this import removed (the user's first import removes them all).
    public var sampleTitlesRemoved: Int = 0
    public var withCode: Int
    public var withoutCode: Int
    /// Titles whose unit group came from their NOC 2016 code through the concordance.
    public var unitGroupFromNOC2016: Int
    /// Resolution methods (`exact_label`, ..., `no_code`) and how many titles each resolved.
    public var resolvedByMethod: [String: Int]
    /// Which header each known field was read from.
    public var columns: [String: String]
    public var importRunID: Int64?
    /// Titles of the file that were removed earlier (`titles remove`): they stay removed.
    public var keptRemoved: [String] = []
    /// With `--replace`: the stored titles absent from the file, now removed.
    public var removed: [String] = []
    /// Titles whose pin decided their resolution.
    public var pinned: Int = 0
}

/// `--replace` and a file with bad rows: nothing was written, since a title on a skipped row
/// would have been removed.
public struct ReplaceImportError: Error, Sendable, CustomStringConvertible {
    public var badRows: [BadRow]

    public var description: String {
        let shown = badRows.prefix(20).map { "  \($0)" }.joined(separator: "\n")
        let more = badRows.count > 20 ? "\n  ... and \(badRows.count - 20) more" : ""
        return "--replace: \(badRows.count) bad row(s), nothing imported or removed (a title on a bad row would be removed):\n\(shown)\(more)\nFix the rows, then import again."
    }
}

/// `--strict` and a file with bad rows: nothing was written.
public struct StrictImportError: Error, Sendable, CustomStringConvertible {
    public var badRows: [BadRow]

    public var description: String {
        let shown = badRows.prefix(20).map { "  \($0)" }.joined(separator: "\n")
        let more = badRows.count > 20 ? "\n  ... and \(badRows.count - 20) more" : ""
        return "--strict: \(badRows.count) bad row(s), nothing imported:\n\(shown)\(more)\nFix the rows, or import without --strict to skip them."
    }
}

/// The job-architecture workflow over a store: read and check the file, resolve every title,
/// store titles and resolutions. Each operation writes in the caller's transaction, so that a
/// build step or a command commits it together with the reconciliation of the titles' cells.
public struct TitleImporter: Sendable {
    public let resolver: TitleResolver
    /// Unit groups an LLM suggested for titles without a code (the LLM source's, handed in by
    /// the caller): a title keeps the one applied to it through re-imports and rebuilds.
    public let suggestions: [SuggestedUnitGroup]

    public init(resolver: TitleResolver, suggestions: [SuggestedUnitGroup] = []) {
        self.resolver = resolver
        self.suggestions = suggestions
    }

    /// A resolver over the OaSIS profiles already in the store and the shipped concordance.
    public static func resolver(store: SQLiteStore, dataDirectory: URL) throws -> TitleResolver {
        let rows = try TitleCatalog(store).referenceRows()
        return TitleResolver(reference: ProfileReference(rows: rows),
                             concordance: try NOCConcordance.shipped(dataDirectory: dataDirectory))
    }

    /// Imports a job architecture file: CSV in any encoding and delimiter `format` names or
    /// detects, or an `.xlsx` workbook's sheet. With `strict`, any bad row throws
    /// `StrictImportError` before anything is written. An import of the user's (`origin`
    /// `.user`) removes the shipped sample's titles first (see `SampleTitles`).
    public func importFile(_ url: URL, mapping: ColumnMapping = ColumnMapping(),
                           format: ArchitectureFileFormat = ArchitectureFileFormat(), strict: Bool = false,
                           replacing: ReplaceOptions? = nil, origin: ImportOrigin = .user,
                           in db: Database) throws -> TitleImportSummary {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError.unreadableFile(url, error)
        }
        return try importData(data, file: url.lastPathComponent, mapping: mapping, format: format, strict: strict,
                              replacing: replacing, origin: origin, in: db)
    }

    /// `titles import --replace`: the stored titles absent from the file are removed, with who did it.
    public struct ReplaceOptions: Sendable {
        public var author: DecisionAuthor
        public var runID: String?
        public init(author: DecisionAuthor, runID: String?) {
            self.author = author
            self.runID = runID
        }
    }

    /// ``importFile(_:mapping:format:strict:origin:in:)`` of bytes already read, named `file` in messages.
    ///
    /// The file streams: each row is checked, resolved and written in batches of
    /// ``batchSize`` titles, so that memory stays flat in the file's length; all of it in the
    /// caller's transaction, so an error leaves nothing written.
    public func importData(_ data: Data, file: String, mapping: ColumnMapping = ColumnMapping(),
                           format: ArchitectureFileFormat = ArchitectureFileFormat(), strict: Bool = false,
                           replacing: ReplaceOptions? = nil, origin: ImportOrigin = .user,
                           in db: Database) throws -> TitleImportSummary {
        let parser = ArchitectureParser(mapping: mapping, unitGroups: resolver.unitGroups, concordance: resolver.concordance)
        let rows = try format.open(data, file: file)
        // A skipped row's title would look absent from the file: --replace would remove it. So
        // --strict and --replace check the whole file before they write anything.
        if strict || replacing != nil {
            let badRows = try checkRows(rows, parser: parser) { _ in }.badRows
            if strict && !badRows.isEmpty { throw StrictImportError(badRows: badRows) }
            if replacing != nil && !badRows.isEmpty { throw ReplaceImportError(badRows: badRows) }
        }
        let retired = try TitleCatalog.retiredIDs(in: db)
        var pins = try TitleCatalog.pins(in: db)
        let applied = try appliedSuggestions(in: db)
        let sha256 = SHA256.hex(data)
        // The run's row comes first (the titles refer to it); its figures are written at the end.
        let runID = try TitleCatalog.recordImport(TitleImportRunRecord(
            file: file, sha256: sha256, importedAt: Date(), rowsRead: 0, imported: 0, skipped: 0, summaryJSON: "{}"), in: db)
        var writer = try TitleCatalog.TitleWriter(runID: runID, expectedTitles: rows.approximateRecordCount, in: db)
        var resolutions = ResolutionMemo()

        var idsInFile = Set<String>()
        var keptRemoved: [String] = []
        var byMethod: [String: Int] = [:]
        var fromNOC2016 = 0, withCode = 0, imported = 0, pinnedCount = 0
        var batch: [JobTitle] = []
        var batchFilePins: [String: String] = [:]
        batch.reserveCapacity(Self.batchSize)

        func flush() throws {
            // A batch's file pins are recorded before its titles are written (a pin's decision
            // keeps the title's previous profile); its titles then resolve by them.
            if !batchFilePins.isEmpty {
                try TitleCatalog.recordFilePins(batchFilePins, file: file, runID: replacing?.runID, in: db)
                pins.merge(try TitleCatalog.pins(ids: batchFilePins.keys, in: db)) { _, recorded in recorded }
                batchFilePins.removeAll(keepingCapacity: true)
            }
            var records: [JobTitleRecord] = []
            records.reserveCapacity(batch.count)
            for title in batch {
                let resolved = resolveForRecord(title, applied: applied, pins: pins, memo: &resolutions)
                let resolution = resolved.resolution
                byMethod[resolution.method.rawValue, default: 0] += 1
                if resolution.unitGroupSource == .noc2016Concordance && resolution.unitGroup != nil { fromNOC2016 += 1 }
                if pins[title.id] != nil { pinnedCount += 1 }
                records.append(Self.record(title, resolution, candidatesJSON: resolved.candidatesJSON))
            }
            try writer.write(records)
            batch.removeAll(keepingCapacity: true)
        }

        let checker = try checkRows(rows, parser: parser) { checked in
            if let pin = checked.filePin { batchFilePins[checked.title.id] = pin }
            // A title removed earlier (`titles remove`) stays removed.
            guard !retired.contains(checked.title.id) else {
                keptRemoved.append(checked.title.id)
                return
            }
            idsInFile.insert(checked.title.id)
            imported += 1
            if checked.title.hasCode { withCode += 1 }
            batch.append(checked.title)
            if batch.count >= Self.batchSize { try flush() }
        }
        try flush()
        // The user's file replaces the sample: sample titles it does not name go, those it names become its own.
        let sampleTitlesRemoved = origin == .user ? try SampleTitles.remove(keeping: idsInFile, in: db) : 0
        let counts = try writer.finish()

        var skippedByReason: [String: Int] = [:]
        for row in checker.badRows { skippedByReason[row.reason.rawValue, default: 0] += 1 }
        var summary = TitleImportSummary(
            file: file, sha256: sha256, rowsRead: checker.rowsRead, imported: imported,
            inserted: 0, updated: 0, unchanged: 0, skipped: checker.badRows.count, skippedByReason: skippedByReason,
            badRows: checker.badRows, withCode: withCode, withoutCode: imported - withCode,
            unitGroupFromNOC2016: fromNOC2016, resolvedByMethod: byMethod,
            columns: Dictionary(uniqueKeysWithValues: checker.fieldColumns.map { ($0.key.rawValue, $0.value) }),
            importRunID: nil)
        summary.warnings = checker.warnings
        summary.format = rows.description
        summary.sampleTitlesRemoved = sampleTitlesRemoved
        try TitleCatalog.finishImport(runID, rowsRead: summary.rowsRead, imported: summary.imported, skipped: summary.skipped,
                                      summaryJSON: Self.json(summary), in: db)
        summary.importRunID = runID
        switch origin {
        case .sample: try SampleTitles.markSample(runID: runID, in: db)
        case .user: try SampleTitles.claim(runID: runID, in: db)
        }
        summary.inserted = counts.inserted
        summary.updated = counts.updated
        summary.unchanged = counts.unchanged
        summary.keptRemoved = keptRemoved
        summary.pinned = pinnedCount
        if let replacing {
            let inFile = idsInFile.union(keptRemoved)
            let absent = try TitleCatalog.titles(in: db).filter { !inFile.contains($0.id) }
            try TitleCatalog.retire(absent, reason: "absent from \(file) (titles import --replace)", by: replacing.author,
                                    runID: replacing.runID, in: db)
            summary.removed = absent.map(\.id)
        }
        return summary
    }

    /// Titles resolved and written per batch: large enough that a batch's statements run
    /// back to back, small enough that a batch's records weigh little.
    public static let batchSize = 2_000

    /// A row that passed every check, with the profile its `profile` column pins it to.
    struct CheckedTitle {
        var title: JobTitle
        var filePin: String?
    }

    /// Reads `rows` and checks each (``ArchitectureParser/RowChecker``, then the `profile`
    /// column: a value that is not a profile of the store makes its row a bad row,
    /// `unknown_profile`), handing each good title to `body`. Returns the checker, with the bad rows.
    private func checkRows(_ rows: ArchitectureRows, parser: ArchitectureParser,
                           _ body: (CheckedTitle) throws -> Void) throws -> ArchitectureParser.RowChecker {
        var checker: ArchitectureParser.RowChecker?
        try rows.forEachRecord { record in
            guard checker != nil else {
                checker = try parser.rowChecker(header: record, plainNumbers: rows.plainNumbers, file: rows.file)
                return
            }
            guard let title = checker!.check(record) else { return }
            var filePin: String?
            if let raw = title.profile {
                guard raw.contains("."), let code = Codes.profile(raw), resolver.profileLabel(code) != nil else {
                    checker!.reject(line: title.sourceLine, .unknownProfile,
                                    "profile \"\(raw)\" is not an OaSIS profile (a code like 31301.01)")
                    return
                }
                filePin = code
            }
            try body(CheckedTitle(title: title, filePin: filePin))
        }
        guard let checker else {
            throw InputError(file: rows.file, line: 1, message: "the file is empty: expected a header row and one row per job title")
        }
        return checker
    }

    /// Resolves every stored title again (after OaSIS was loaded or reloaded). Returns what changed.
    @discardableResult
    public func resolveStoredTitles(in db: Database) throws -> TitleUpsertCounts {
        let applied = try appliedSuggestions(in: db)
        let pins = try TitleCatalog.pins(in: db)
        let records = try TitleCatalog.titles(in: db).map { record -> JobTitleRecord in
            let title = Self.jobTitle(record)
            var updated = Self.record(title, resolve(title, applied: applied, pins: pins))
            updated.importRunID = record.importRunID
            return updated
        }
        return try TitleCatalog.upsert(records, in: db)
    }

    /// A title's resolution. A person's pin decides first; a title still without a code keeps
    /// the unit group an applied LLM suggestion gave it, through re-imports and rebuilds.
    func resolve(_ title: JobTitle, applied: [String: SuggestedUnitGroup], pins: [String: TitlePin]) -> TitleResolution {
        var memo = ResolutionMemo(capacity: 0)
        return resolve(title, applied: applied, pins: pins, memo: &memo)
    }

    /// ``resolve(_:applied:pins:)``, the resolver's answers kept in `memo`: an architecture
    /// repeats its titles (one per department, region, level), and a resolution depends only on
    /// the title and its codes.
    func resolve(_ title: JobTitle, applied: [String: SuggestedUnitGroup], pins: [String: TitlePin],
                 memo: inout ResolutionMemo) -> TitleResolution {
        resolveForRecord(title, applied: applied, pins: pins, memo: &memo).resolution
    }

    /// ``resolve(_:applied:pins:memo:)`` with the resolution's candidates as `job_title` stores
    /// them (``ResolutionJSON``), kept in `memo` with it: written once per distinct title, not per row.
    func resolveForRecord(_ title: JobTitle, applied: [String: SuggestedUnitGroup], pins: [String: TitlePin],
                          memo: inout ResolutionMemo) -> ResolutionMemo.Entry {
        func entry(_ resolution: TitleResolution) -> ResolutionMemo.Entry {
            ResolutionMemo.Entry(resolution: resolution, candidatesJSON: ResolutionJSON.candidates(resolution.candidates))
        }
        if let pin = pins[title.id] { return entry(resolve(title, pin: pin)) }
        if !title.hasCode, let suggestion = applied[title.id] { return entry(resolve(title, suggestion: suggestion)) }
        let key = ResolutionMemo.Key(title: title.title, noc2021: title.noc2021, noc2016: title.noc2016)
        if let known = memo.resolutions[key] { return known }
        let resolved = entry(resolver.resolve(title))
        memo.keep(resolved, for: key)
        return resolved
    }

    /// The resolver's answers by title and codes, within one import; bounded, so that a file
    /// of distinct titles does not keep them all.
    struct ResolutionMemo {
        struct Key: Hashable {
            var title: String
            var noc2021: String?
            var noc2016: String?
        }
        struct Entry {
            var resolution: TitleResolution
            var candidatesJSON: String
        }
        private(set) var resolutions: [Key: Entry] = [:]
        let capacity: Int

        init(capacity: Int = 20_000) { self.capacity = capacity }

        mutating func keep(_ resolution: Entry, for key: Key) {
            guard capacity > 0 else { return }
            if resolutions.count >= capacity { resolutions.removeAll(keepingCapacity: true) }
            resolutions[key] = resolution
        }
    }

    /// The suggestions applied to stored titles (unit group source `llm_suggestion`), by title id.
    func appliedSuggestions(in db: Database) throws -> [String: SuggestedUnitGroup] {
        let applied = try TitleCatalog.titles(unitGroupMethod: UnitGroupSource.llmSuggestion.rawValue, in: db)
        guard !applied.isEmpty else { return [:] }
        let unitGroups = Dictionary(applied.map { ($0.id, $0.unitGroup) }) { first, _ in first }
        var result: [String: SuggestedUnitGroup] = [:]
        for suggestion in suggestions where unitGroups[suggestion.titleID] == suggestion.unitGroup {
            result[suggestion.titleID] = suggestion
        }
        return result
    }

    /// A unit group an LLM proposed for a title without a code.
    public struct SuggestedUnitGroup: Sendable, Equatable {
        public var titleID: String
        public var unitGroup: String
        public var confidence: Double
        public var model: String

        public init(titleID: String, unitGroup: String, confidence: Double, model: String) {
            self.titleID = titleID
            self.unitGroup = unitGroup
            self.confidence = confidence
            self.model = model
        }
    }

    /// What applying suggestions did.
    public struct SuggestionReport: Sendable, Codable, Equatable {
        public var applied: [String] = []
        /// Titles that have a code of the user's: a suggestion never replaces it.
        public var keptUserCode: [String] = []
        public var belowConfidence: [String] = []
        public var unknownTitle: [String] = []
    }

    /// Resolves titles that have no NOC code within the unit group an LLM suggested, when the
    /// suggestion is at least `minimumConfidence` sure. The title's resolution confidence is the
    /// method's times the suggestion's, and its unit group source says where it came from.
    public func applySuggestions(_ suggestions: [SuggestedUnitGroup], minimumConfidence: Double,
                                 in db: Database) throws -> SuggestionReport {
        var report = SuggestionReport()
        let records = Dictionary(try TitleCatalog.titles(in: db).map { ($0.id, $0) }) { first, _ in first }
        let pins = try TitleCatalog.pins(in: db)
        var updates: [JobTitleRecord] = []
        for suggestion in suggestions {
            guard let record = records[suggestion.titleID] else {
                report.unknownTitle.append(suggestion.titleID)
                continue
            }
            let title = Self.jobTitle(record)
            // A code of the user's, or a person's pin: a suggestion never replaces either.
            guard !title.hasCode, pins[record.id] == nil else {
                report.keptUserCode.append(record.id)
                continue
            }
            guard suggestion.confidence >= minimumConfidence else {
                report.belowConfidence.append(record.id)
                continue
            }
            var updated = Self.record(title, resolve(title, suggestion: suggestion))
            updated.importRunID = record.importRunID
            updates.append(updated)
            report.applied.append(record.id)
        }
        _ = try TitleCatalog.upsert(updates, in: db)
        return report
    }

    private func resolve(_ title: JobTitle, suggestion: SuggestedUnitGroup) -> TitleResolution {
        var resolution = resolver.resolve(title: title.title, unitGroup: suggestion.unitGroup, source: .llmSuggestion)
        resolution.confidence *= suggestion.confidence
        resolution.note = "unit group \(suggestion.unitGroup) suggested by \(suggestion.model) with confidence "
            + "\(String(format: "%.2f", suggestion.confidence))" + (resolution.note.isEmpty ? "" : "; \(resolution.note)")
        return resolution
    }

    // MARK: Records

    /// The stored form of a title and its resolution.
    public static func record(_ title: JobTitle, _ resolution: TitleResolution) -> JobTitleRecord {
        record(title, resolution, candidatesJSON: ResolutionJSON.candidates(resolution.candidates))
    }

    /// ``record(_:_:)`` with the resolution's candidates already written (``ResolutionJSON``).
    static func record(_ title: JobTitle, _ resolution: TitleResolution, candidatesJSON: String) -> JobTitleRecord {
        JobTitleRecord(id: title.id, title: title.title, titleFR: title.titleFR, function: title.function,
                       family: title.family, managerialLevel: title.managerialLevel, noc2021: title.noc2021,
                       noc2016: title.noc2016, extraJSON: JSONText.object(title.extra), sourceFile: title.sourceFile,
                       sourceLine: title.sourceLine, unitGroup: resolution.unitGroup,
                       unitGroupMethod: resolution.unitGroupSource, profileCode: resolution.profileCode,
                       method: resolution.method, confidence: resolution.confidence,
                       fuzzyScore: resolution.fuzzyScore, candidatesJSON: candidatesJSON,
                       note: resolution.note)
    }

    /// The title of a stored record.
    public static func jobTitle(_ record: JobTitleRecord) -> JobTitle {
        let extra = (try? JSONDecoder().decode([String: String].self, from: Data(record.extraJSON.utf8))) ?? [:]
        return JobTitle(id: record.id, title: record.title, titleFR: record.titleFR, function: record.function,
                        family: record.family, managerialLevel: record.managerialLevel, noc2021: record.noc2021,
                        noc2016: record.noc2016, extra: extra, sourceFile: record.sourceFile, sourceLine: record.sourceLine)
    }

    /// The resolution of a stored record.
    public static func resolution(_ record: JobTitleRecord) -> TitleResolution {
        let candidates = (try? JSONDecoder().decode([ResolutionCandidate].self, from: Data(record.candidatesJSON.utf8))) ?? []
        return TitleResolution(unitGroup: record.unitGroup, unitGroupSource: record.unitGroupMethod,
                               profileCode: record.profileCode, profileLabel: nil, method: record.method,
                               confidence: record.confidence, fuzzyScore: record.fuzzyScore, candidates: candidates,
                               note: record.note)
    }

    /// Deterministic JSON (sorted keys) so that re-imports compare equal.
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

extension ProfileReference {
    /// The reference as the store holds it (after the OaSIS ingest).
    public init(rows: TitleReferenceRows) {
        var titles: [String: [OaSISTitle]] = [:]
        for text in rows.titles where text.kind == .exampleTitle {
            titles[text.profileCode, default: []].append(OaSISTitle(text: text.text, type: text.qualifier ?? "Example"))
        }
        self.init(profiles: rows.profiles.map {
            Entry(code: $0.code, unitGroup: $0.unitGroup, label: $0.label, titles: titles[$0.code] ?? [])
        }, unitGroups: rows.unitGroups)
    }
}

/// The resolution candidates as JSON for `job_title.candidates`, written by hand (JSONEncoder
/// costs more than the rest of an import), escaped as Core's `JSONText.quote` escapes.
enum ResolutionJSON {
    static func candidates(_ candidates: [ResolutionCandidate]) -> String {
        // Bytes, decoded once at the end: cheaper than growing a String piece by piece.
        var json: [UInt8] = []
        json.reserveCapacity(candidates.count * 128)
        json.append(UInt8(ascii: "["))
        for (index, candidate) in candidates.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json += #"{"code":"#.utf8
            JSONText.appendQuoted(candidate.code, to: &json)
            json += #","kind":"#.utf8
            JSONText.appendQuoted(candidate.kind, to: &json)
            json += #","matched":"#.utf8
            JSONText.appendQuoted(candidate.matched, to: &json)
            if let score = candidate.score, score.isFinite {
                json += #","score":"#.utf8
                json += score.description.utf8
            }
            json.append(UInt8(ascii: "}"))
        }
        json.append(UInt8(ascii: "]"))
        return String(decoding: json, as: UTF8.self)
    }
}
