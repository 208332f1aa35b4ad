import Foundation
import GRDB
import GRDBSQLite
import JobForgeCore

/// A cell of the long table: the descriptor and dimension, named as an export writes them.
public struct LongRowCell: Sendable {
    public var descriptorCode: String
    public var descriptorName: String
    public var category: Category
    public var dimension: CellDimension
    /// The scale's summary (`proficiency level 1-5 (0 = not applicable)`), nil without a stated scale.
    public var scale: String?
    /// As ``CellValue/scalePosition``: 1 for the descriptor's main measure.
    public var scalePosition: Int?
    let sortKey: Int
}

/// What the rows of one load share: who offered the value, how, from what, when, in which run.
public struct LongRowProvenance: Sendable, Hashable {
    public var source: Source
    public var precedence: Int
    public var method: CandidateMethod
    public var sourceLevel: SourceLevel
    public var sourceIDs: [String]
    public var release: String?
    public var runID: String
    public var observedAt: Date
}

extension LongRowProvenance {
    init(_ provenance: Provenance, runID: String) {
        self.init(source: provenance.source, precedence: provenance.source.precedence, method: provenance.method,
                  sourceLevel: provenance.sourceLevel, sourceIDs: provenance.sourceIDs, release: provenance.release, runID: runID,
                  observedAt: provenance.observedAt)
    }
}

/// One row of the long table: a candidate of a cell, its cell and provenance given by their place
/// in the pass's lists (``LongRowBatch``), since a few thousand of each serve half a million rows.
public struct LongRow: Sendable {
    public var subject: Subject
    /// The index of the row's ``LongRowCell`` among every batch's `newCells` so far.
    public var cell: Int32
    /// The index of its ``LongRowProvenance`` among every batch's `newProvenances` so far.
    public var provenance: Int32
    public var value: Double
    public var text: String?
    public var confidence: Double
    public var rationale: String?
    /// The metadata as a JSON object, keys sorted (`JSONText.object`); nil for none.
    public var metadata: String?
    public var isWinner: Bool
}

/// Rows handed over together, with the cells and provenances they are the first to use.
public struct LongRowBatch: Sendable {
    public var newCells: [LongRowCell] = []
    public var newProvenances: [LongRowProvenance] = []
    public var rows: [LongRow] = []
}

extension SQLiteStore {
    /// Streams the long table of an export, subject by subject (unit groups, profiles, titles, each
    /// by code), each subject's cells in guide order, a cell's candidates from the highest
    /// precedence down: the rows `forEachWinner` / `forEachCandidate` give, in the same order.
    ///
    /// Unit groups and profiles are read from the published model (`model_candidate`) when it is
    /// current, titles derived from their resolution; a store whose model has derivations pending
    /// (a build that stopped before its end) derives every subject. The rows are read on a thread of
    /// their own while `body` runs on the caller's (``BlockingPipeline``).
    ///
    /// ```swift
    /// var cells: [LongRowCell] = []
    /// try store.forEachLongRowBatch(filter: CellFilter(), allCandidates: false) { batch in
    ///     cells += batch.newCells
    ///     for row in batch.rows { print(row.subject, cells[Int(row.cell)].descriptorCode, row.value) }
    /// }
    /// ```
    public func forEachLongRowBatch(filter: CellFilter, subjectKinds: [Subject.Kind] = Subject.Kind.allCases,
                                    allCandidates: Bool, _ body: (LongRowBatch) throws -> Void) throws {
        try BlockingPipeline.run(capacity: 4, produce: { send in
            try withoutActuallyEscaping(send) { send in
                try self.dbQueue.read { db in
                    // One pass reads each page once: a page cache of the whole model (the store's
                    // 128 MB) would only hold memory the pass never reads again.
                    let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2_000
                    try db.execute(sql: "PRAGMA cache_size = -16384")
                    defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }
                    var reader = try LongRowReader(db, filter: filter, allCandidates: allCandidates, send: send)
                    try reader.read(subjectKinds)
                }
            }
        }, consume: body)
    }
}

/// Reads the long table for ``SQLiteStore/forEachLongRowBatch(filter:subjectKinds:allCandidates:_:)``.
struct LongRowReader {
    private let db: Database
    private let filter: CellFilter
    private let allCandidates: Bool
    private let send: (LongRowBatch) throws -> Void
    private let catalog: DescriptorCatalog
    private var batch = LongRowBatch()
    /// The cells handed over so far, by descriptor and dimension; -1 for one the filter leaves out.
    private var cells: [LongRowCell] = []
    private var cellIndex: [CellName: Int32] = [:]
    private var provenanceIndex: [LongRowProvenance: Int32] = [:]
    /// Each provenance's precedence, by its index.
    private var precedences: [Int] = []
    /// The rows of `model_provenance`, by id.
    private var modelProvenances: [Int64: (index: Int32, provenance: LongRowProvenance)] = [:]
    /// A subject's rows before they are put in guide order.
    private var pending: [LongRow] = []
    /// The pending rows' `candidate` ids (0 for a derived value), which order a cell's candidates of one precedence.
    private var candidateIDs: [Int64] = []
    private var order: [Int] = []
    /// What a title inherits from each profile, read from the model once for all its titles.
    private var inheritedSources: [String: [InheritedSource]?] = [:]
    /// The O*NET offers' metadata of each unit group read for a title (``ownMetadata(_:descriptor:dimension:observedAt:reader:)``).
    private var offerMetadata: [String: [ONetMetadata.Key: [(key: String, value: String)]]] = [:]
    private var lastMetadata: (values: [String: String], json: String?) = ([:], nil)
    /// The rows of titles resolved alike (``ResolutionKey``), and how many rows that is.
    private var titleRows: [ResolutionKey: [LongRow]] = [:]
    private var cachedTitleRows = 0
    static let batchSize = 2_048

    private struct CellName: Hashable {
        var descriptor: String
        var dimension: String
    }

    init(_ db: Database, filter: CellFilter, allCandidates: Bool, send: @escaping (LongRowBatch) throws -> Void) throws {
        self.db = db
        self.filter = filter
        self.allCandidates = allCandidates
        self.send = send
        catalog = try DescriptorCatalog(db)
    }

    mutating func read(_ kinds: [Subject.Kind]) throws {
        let modelIsCurrent = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM model_dirty") == 0
        if modelIsCurrent { try readModelProvenances() }
        let reader = CellReader(db)
        for kind in kinds {
            let subjects = try SQLiteStore.subjects(db, kind: kind)
            switch (kind, modelIsCurrent) {
            case (_, false): try derive(subjects, reader: reader)
            case (.title, true): try readTitles(subjects, reader: reader)
            case (_, true): try readModel(kind, subjects: Set(subjects.map(\.code)), reader: reader)
            }
        }
        if !batch.rows.isEmpty || !batch.newCells.isEmpty { try send(batch) }
    }

    // MARK: Subjects derived when read

    /// Every subject of a store whose model is not current, and titles with stored candidates:
    /// derived and ordered as `forEachCell` derives and orders them.
    private mutating func derive(_ subjects: [Subject], reader: CellReader) throws {
        var buffers = SQLiteStore.CellPassBuffers()
        for subject in subjects {
            try SQLiteStore.forEachCell(of: subject, catalog: catalog, reader: reader, winnersOnly: !allCandidates, filter: filter,
                                        buffers: &buffers) { value in
                let provenance = LongRowProvenance(source: value.source, precedence: value.precedence, method: value.method,
                                                   sourceLevel: value.sourceLevel, sourceIDs: value.sourceIDs, release: value.release,
                                                   runID: value.runID, observedAt: value.observedAt)
                guard let cell = cell(value.descriptorCode, value.dimension.rawValue) else { return }
                try append(LongRow(subject: value.subject, cell: cell, provenance: self.provenance(provenance),
                                   value: value.value, text: value.text, confidence: value.confidence, rationale: value.rationale,
                                   metadata: metadataObject(value.metadata), isWinner: value.isWinner))
            }
        }
    }

    /// `metadata` as a JSON object, nil when empty. A title's inherited values share one
    /// dictionary: compared with the last one (by identity first), it is written once.
    private mutating func metadataObject(_ metadata: [String: String]) -> String? {
        if metadata != lastMetadata.values {
            lastMetadata = (metadata, metadata.isEmpty ? nil : JSONText.object(metadata))
        }
        return lastMetadata.json
    }

    /// The index of a cell, handed over with the next batch when new; nil for a descriptor the
    /// store does not describe or a category the filter leaves out (as `forEachCell` skips them).
    private mutating func cell(_ descriptor: String, _ dimension: String) -> Int32? {
        let name = CellName(descriptor: descriptor, dimension: dimension)
        if let known = cellIndex[name] { return known < 0 ? nil : known }
        guard let entry = catalog.descriptors[descriptor],
              filter.categories?.isEmpty != false || filter.categories!.contains(entry.category) else {
            cellIndex[name] = -1
            return nil
        }
        let cellDimension = CellDimension(dimension)
        let scale = catalog.scaleEntry(descriptor, cellDimension)
        let cell = LongRowCell(descriptorCode: descriptor, descriptorName: entry.name, category: entry.category,
                               dimension: cellDimension, scale: scale?.summary, scalePosition: scale?.position, sortKey: entry.sortKey)
        let index = Int32(cells.count)
        cells.append(cell)
        cellIndex[name] = index
        batch.newCells.append(cell)
        return index
    }

    private mutating func provenance(_ provenance: LongRowProvenance) -> Int32 {
        if let known = provenanceIndex[provenance] { return known }
        let index = Int32(provenanceIndex.count)
        provenanceIndex[provenance] = index
        precedences.append(provenance.precedence)
        batch.newProvenances.append(provenance)
        return index
    }

    private func passes(_ source: Source, confidence: Double) -> Bool {
        if let sources = filter.sources, !sources.isEmpty, !sources.contains(source) { return false }
        if let minimum = filter.minimumConfidence, confidence < minimum { return false }
        return true
    }

    private mutating func append(_ row: LongRow) throws {
        batch.rows.append(row)
        if batch.rows.count >= Self.batchSize {
            try send(batch)
            batch = LongRowBatch()
            batch.rows.reserveCapacity(Self.batchSize)
        }
    }

    // MARK: Subjects read from the published model

    private mutating func readModelProvenances() throws {
        let (records, unreadableTimes) = try ModelProvenances.read(db)
        if let observedAt = unreadableTimes.first {
            throw StoreError.corrupt(table: "model_provenance", column: "observed_at", value: observedAt)
        }
        for record in records {
            let provenance = LongRowProvenance(record.provenance, runID: record.runID)
            modelProvenances[record.id] = (self.provenance(provenance), provenance)
        }
    }

    private func modelProvenance(_ id: Int64) throws -> (index: Int32, provenance: LongRowProvenance) {
        guard let known = modelProvenances[id] else {
            throw StoreError.corrupt(table: "model_candidate", column: "provenance_id", value: String(id))
        }
        return known
    }

    /// Steps a statement through SQLite's C API (half a million rows: no row objects), calling
    /// `body` with a reader of the current row's columns.
    private func forEachRow(_ statement: Statement, _ body: (ModelColumns) throws -> Void) throws {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            guard code == SQLITE_ROW else {
                guard code == SQLITE_DONE else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                        sql: statement.sql)
                }
                return
            }
            try body(ModelColumns(handle: handle))
        }
    }

    /// The columns every read of `model_candidate` selects first, in this order.
    private static let candidateColumns = """
        m.descriptor_code, m.dimension, m.value, m.text_value, m.confidence, m.rationale, m.provenance_id, m.candidate_id,
        m.is_winner, m.is_inherited_winner, m.metadata, c.metadata
        """

    /// Unit groups or profiles from `model_candidate`, in key order: a subject's rows are put in
    /// guide order when its last row has been read.
    private mutating func readModel(_ kind: Subject.Kind, subjects: Set<String>, reader: CellReader) throws {
        let statement = try db.makeStatement(sql: """
            SELECT \(Self.candidateColumns), m.subject_code
            FROM model_candidate m LEFT JOIN candidate c ON c.id = m.candidate_id
            WHERE m.subject_kind = '\(kind.rawValue)'\(allCandidates ? "" : " AND m.is_winner = 1")
            ORDER BY m.subject_code, m.descriptor_code, m.dimension, m.ordinal
            """)
        var subject = Subject(kind: kind, code: "")
        var included = false
        var offers = ONetMetadata()
        var last: (descriptor: String, dimension: String, cell: Int32?) = ("", "", nil)
        try forEachRow(statement) { columns in
            let subjectCode = columns.text(12) ?? ""
            if subjectCode != subject.code {
                try flushSubject()
                subject = Subject(kind: kind, code: subjectCode)
                included = subjects.contains(subjectCode)
            }
            guard included else { return }
            let descriptor = columns.text(0) ?? "", dimension = columns.text(1) ?? ""
            if descriptor != last.descriptor || dimension != last.dimension {
                last = (descriptor, dimension, cell(descriptor, dimension))
            }
            guard let cell = last.cell else { return }
            let (provenanceIndex, provenance) = try modelProvenance(columns.integer(6))
            let confidence = columns.double(4)
            guard passes(provenance.source, confidence: confidence) else { return }
            let candidateID = columns.isNull(7) ? 0 : columns.integer(7)
            var metadata = columns.text(10)
            if metadata == nil {
                if candidateID != 0 {
                    metadata = metadataObject(JSONText.decodeObject(columns.text(11)))  // as `CellReader.stored` decodes it
                } else if provenance.source == .onet {
                    metadata = try offers.object(of: subject, descriptor: descriptor, dimension: dimension,
                                                 observedAt: provenance.observedAt, reader: reader)
                }
            }
            pending.append(LongRow(subject: subject, cell: cell, provenance: provenanceIndex, value: columns.double(2),
                                   text: columns.text(3), confidence: confidence, rationale: columns.text(5), metadata: metadata,
                                   isWinner: columns.integer(8) != 0))
            candidateIDs.append(candidateID)
        }
        try flushSubject()
    }

    // MARK: Titles, from their resolution and their profile's published cells

    /// A value a profile's titles inherit (`is_inheritable`): what a title's row takes from it.
    private struct InheritedSource {
        /// Nil for a cell the export leaves out.
        var cell: Int32?
        var value: Double
        var text: String?
        var confidence: Double
        var source: Source
        var method: CandidateMethod
        /// An O*NET value's own; an authoritative one takes the inheritance's.
        var rationale: String?
        /// The title row's provenance: an O*NET value's own; for an authoritative one, as
        /// `TitleInheritanceRule` inherits it (method `inherited`, level L6, the profile's code).
        var provenance: Int32
        /// An O*NET value's own metadata, sorted by key.
        var own: [(key: String, value: String)]
        /// Whether it is the cell's winner at the title (`is_inherited_winner`).
        var wins: Bool
    }

    /// Resolved titles without stored candidates inherit their profile's published cells by
    /// `TitleInheritanceRule`; a title with stored candidates (LLM answers, tied to the title as
    /// asked) is derived as the reader derives it.
    private mutating func readTitles(_ subjects: [Subject], reader: CellReader) throws {
        let withStored = Set(try SQLiteStore.subjectsHoldingCandidates(db, kind: .title).map(\.code))
        for subject in subjects {
            if withStored.contains(subject.code) {
                try derive([subject], reader: reader)
                continue
            }
            // Read title by title (by its key), not all at once: memory stays flat at 200,000 titles.
            guard let resolution = try reader.titleResolution(subject.code),
                  let inheritance = TitleInheritanceRule.Inheritance(resolution) else { continue }
            // Titles resolved alike have the same rows but for the title: an architecture has
            // many titles per profile, mostly resolved the same way.
            let alike = ResolutionKey(resolution)
            if let rows = titleRows[alike] {
                for var row in rows {
                    row.subject = subject
                    try append(row)
                }
                continue
            }
            guard let sources = try inheritedSources(resolution.profileCode, reader: reader) else {
                try derive([subject], reader: reader)
                continue
            }
            var added: [AddedKey: (pairs: [(key: String, value: String)], object: String)] = [:]
            for source in sources {
                guard let cell = source.cell, allCandidates || source.wins else { continue }
                let confidence = inheritance.confidence(source.confidence)
                guard passes(source.source, confidence: confidence) else { continue }
                let key = AddedKey(method: source.method, confidence: source.confidence)
                if added[key] == nil {
                    let values = inheritance.added(method: source.method, confidence: source.confidence)
                    added[key] = (values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, JSONText.object(values))
                }
                let metadata = source.own.isEmpty ? added[key]!.object
                    : TitleInheritanceRule.Inheritance.metadataObject(own: source.own, added: added[key]!.pairs)
                pending.append(LongRow(subject: subject, cell: cell, provenance: source.provenance, value: source.value,
                                       text: source.text, confidence: confidence,
                                       rationale: source.source == .onet ? source.rationale : inheritance.rationale,
                                       metadata: metadata, isWinner: source.wins))
                candidateIDs.append(0)
            }
            let rows = orderedPending()
            if cachedTitleRows + rows.count > Self.titleRowsKept {
                titleRows.removeAll(keepingCapacity: true)
                cachedTitleRows = 0
            }
            titleRows[alike] = rows
            cachedTitleRows += rows.count
            for row in rows { try append(row) }
        }
    }

    private struct AddedKey: Hashable {
        var method: CandidateMethod
        var confidence: Double
    }

    /// What makes two titles' inherited rows the same: their resolution but for the title.
    private struct ResolutionKey: Hashable {
        var profile: String
        var method: String
        var confidence: Double
        var unitGroupSource: String?
        var fuzzyScore: Double?

        init(_ resolution: TitleInheritanceRule.Resolution) {
            profile = resolution.profileCode
            method = resolution.method
            confidence = resolution.confidence
            unitGroupSource = resolution.unitGroupSource
            fuzzyScore = resolution.fuzzyScore
        }
    }

    /// At most this many rows are kept for titles resolved alike (about 25 MB); past it they are
    /// forgotten and kept again as they come, so that memory stays flat however many titles there are.
    static let titleRowsKept = 65_536

    /// The values a profile's titles inherit, from the model, kept for all its titles (a few
    /// kilobytes per profile, the O*NET metadata shared by the unit group's profiles); nil when one
    /// of them is a stored candidate or carries metadata of its own, whose titles the reader derives.
    private mutating func inheritedSources(_ profile: String, reader: CellReader) throws -> [InheritedSource]? {
        if let known = inheritedSources[profile] { return known }
        let statement = try db.cachedStatement(sql: """
            SELECT \(Self.candidateColumns)
            FROM model_candidate m LEFT JOIN candidate c ON c.id = m.candidate_id
            WHERE m.subject_kind = 'profile' AND m.subject_code = ? AND m.is_inheritable = 1
            ORDER BY m.descriptor_code, m.dimension, m.ordinal
            """)
        try statement.setArguments([profile])
        var result: [InheritedSource]? = []
        let unitGroup = Codes.unitGroup(ofProfile: profile)
        try forEachRow(statement) { columns in
            guard result != nil, columns.isNull(7), columns.isNull(10) else {
                result = nil
                return
            }
            let (index, provenance) = try modelProvenance(columns.integer(6))
            let descriptor = columns.text(0) ?? "", dimension = columns.text(1) ?? ""
            var source = InheritedSource(cell: cell(descriptor, dimension), value: columns.double(2), text: columns.text(3),
                                         confidence: columns.double(4), source: provenance.source, method: provenance.method,
                                         rationale: columns.text(5), provenance: index, own: [], wins: columns.integer(9) != 0)
            switch provenance.source {
            case .onet:
                source.own = try ownMetadata(unitGroup, descriptor: descriptor, dimension: dimension,
                                             observedAt: provenance.observedAt, reader: reader)
            case .authoritative:
                source.provenance = self.provenance(LongRowProvenance(
                    source: .authoritative, precedence: Source.authoritative.precedence, method: TitleInheritanceRule.method,
                    sourceLevel: .l6, sourceIDs: [profile], release: provenance.release, runID: provenance.runID,
                    observedAt: provenance.observedAt))
            case .llm:
                result = nil  // never inherited: the model marks none
                return
            }
            result!.append(source)
        }
        inheritedSources[profile] = .some(result)
        return result
    }

    /// The metadata of what O*NET offers a unit group, as pairs sorted by key, read once per unit
    /// group for all its profiles (at most the O*NET data's size, a few megabytes).
    private mutating func ownMetadata(_ unitGroup: String, descriptor: String, dimension: String, observedAt: Date,
                                      reader: CellReader) throws -> [(key: String, value: String)] {
        if offerMetadata[unitGroup] == nil {
            var offers: [ONetMetadata.Key: [(key: String, value: String)]] = [:]
            for offer in try reader.onetOffers(unitGroup, to: .unitGroup(unitGroup)) where !offer.metadata.isEmpty {
                offers[ONetMetadata.Key(descriptor: offer.key.descriptor, dimension: offer.key.dimension.rawValue,
                                        observedAt: offer.observedAt)] = offer.metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            }
            offerMetadata[unitGroup] = offers
        }
        return offerMetadata[unitGroup]?[ONetMetadata.Key(descriptor: descriptor, dimension: dimension, observedAt: observedAt)] ?? []
    }

    /// Hands over the pending subject's rows in guide order.
    private mutating func flushSubject() throws {
        for row in orderedPending() { try append(row) }
    }

    /// The pending subject's rows in guide order, as `forEachCell` orders its cells and candidates.
    private mutating func orderedPending() -> [LongRow] {
        guard !pending.isEmpty else { return [] }
        order.removeAll(keepingCapacity: true)
        order += pending.indices
        let cells = self.cells, pending = self.pending, ids = candidateIDs, precedences = self.precedences
        order.sort { a, b in
            let leftCell = pending[a].cell, rightCell = pending[b].cell
            if leftCell != rightCell {
                let left = cells[Int(leftCell)], right = cells[Int(rightCell)]
                if left.sortKey != right.sortKey { return left.sortKey < right.sortKey }
                let leftPosition = left.scalePosition ?? 9, rightPosition = right.scalePosition ?? 9
                if leftPosition != rightPosition { return leftPosition < rightPosition }
                return left.dimension.rawValue < right.dimension.rawValue
            }
            // One cell's candidates: the highest precedence first, then derived before stored, stored
            // by id, then as they arrived.
            let leftPrecedence = precedences[Int(pending[a].provenance)], rightPrecedence = precedences[Int(pending[b].provenance)]
            if leftPrecedence != rightPrecedence { return leftPrecedence > rightPrecedence }
            if ids[a] != ids[b] { return ids[a] < ids[b] }
            return a < b
        }
        let ordered = order.map { pending[$0] }
        self.pending.removeAll(keepingCapacity: true)
        candidateIDs.removeAll(keepingCapacity: true)
        return ordered
    }
}

/// A row of a statement stepped through SQLite's C API.
private struct ModelColumns {
    let handle: OpaquePointer

    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(handle, column) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
    }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
}

/// The metadata of what O*NET offers one unit group (and so each of its profiles), kept in
/// `onet_layer` and not in the model: read once per unit group, as the reader decodes it.
private struct ONetMetadata {
    struct Key: Hashable {
        var descriptor: String
        var dimension: String
        var observedAt: Date
    }

    private var unitGroup: String?
    private var objects: [Key: String] = [:]

    mutating func object(of subject: Subject, descriptor: String, dimension: String, observedAt: Date,
                           reader: CellReader) throws -> String? {
        let unitGroup = subject.kind == .profile ? Codes.unitGroup(ofProfile: subject.code) : subject.code
        if unitGroup != self.unitGroup {
            self.unitGroup = unitGroup
            objects.removeAll(keepingCapacity: true)
            try reader.forEachONetLoad(of: unitGroup) { record, offers in
                let time = record.provenance.observedAt
                ONetLayer.forEachMetadataObject(offers) { descriptor, dimension, json in
                    if let json { objects[Key(descriptor: descriptor, dimension: dimension, observedAt: time)] = json }
                }
            }
        }
        return objects[Key(descriptor: descriptor, dimension: dimension, observedAt: observedAt)]
    }
}
