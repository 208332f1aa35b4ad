import Foundation
import GRDB
import JobForgeCore

/// A candidate as the read side sees it: a row of `candidate`, or one derived from a layer
/// when the subject is read.
struct CellEntry: Sendable {
    var origin: CandidateOrigin
    var candidate: Candidate
    var runID: String
    /// The stored `is_winner` flag (false for a derived value).
    var isStoredWinner: Bool
    var isDerived: Bool { origin == .derived }
}

/// One cell of a subject as read: every candidate, and the winner by `Precedence`.
struct CellState {
    var key: CellKey
    /// In arrival order (time, then row id).
    var entries: [CellEntry]
    var winner: Int

    var winningEntry: CellEntry { entries[winner] }
}

/// Who offered values, how, from what and when: what the candidates of one load share.
struct Provenance: Hashable {
    var source: Source
    var method: CandidateMethod
    var sourceLevel: SourceLevel
    var sourceIDs: [String]
    var release: String?
    var observedAt: Date
}

extension Provenance {
    init(_ candidate: Candidate) {
        self.init(source: candidate.source, method: candidate.method, sourceLevel: candidate.sourceLevel,
                  sourceIDs: candidate.sourceIDs, release: candidate.release, observedAt: candidate.observedAt)
    }
}

/// A row of `provenance`.
struct ProvenanceRecord {
    var id: Int64
    var provenance: Provenance
    var runID: String
}

/// Reads subjects' cells within one database access, caching what several subjects share
/// (a unit group's profiles, the scales).
final class CellReader {
    let db: Database
    /// Whether stored candidates' metadata is decoded (counting winners does not need it).
    let withMetadata: Bool
    /// A profile's cells, read once for its unit group and its titles.
    private var profileStates: [String: [CellState]] = [:]
    private var inheritableCache: [String: [Candidate]] = [:]
    private var layers: [String: [Candidate]] = [:]
    private var offersCache: (unitGroup: String, offers: [Candidate])?
    private var provenance: [Int64: ProvenanceRecord] = [:]
    private var maxima: UnitGroupRule.ScaleMaxima?
    private var profilesOfUnitGroup: [String: [String]]?
    private var times: [String: Date] = [:]
    /// Subject ids, read once: most reads go over many subjects.
    private var subjectIDs: [Subject: Int64]?
    /// The run of each load of the layer, by its time: a derived value carries its source's time.
    private var layerRuns: [Date: String] = [:]
    /// What earlier reads of the unchanged store derived (a server's), or nil.
    private let shared: SharedCellReads.Session?
    /// Subjects whose stored candidates were read: past a few, every subject's id is read at once.
    private var storedReads = 0

    /// `shared`: only for a reader with metadata, in the transaction the session was opened in.
    init(_ db: Database, withMetadata: Bool = true, shared: SharedCellReads.Session? = nil) {
        self.db = db
        self.withMetadata = withMetadata
        self.shared = withMetadata ? shared : nil
    }

    // MARK: Cells of a subject

    /// Every cell of `subject`, derived and stored candidates together, in no particular order.
    func cells(of subject: Subject) throws -> [CellState] {
        if let known = shared?.states(of: subject) { return known }
        let states = subject.kind == .profile ? try profileStates(subject.code) : Self.states(try entries(of: subject))
        shared?.keep(states: states, of: subject)
        return states
    }

    /// Groups candidates into cells and picks each cell's winner.
    static func states(_ entries: [CellEntry]) -> [CellState] {
        // Entries come one subject at a time: the descriptor and dimension tell cells apart.
        struct Cell: Hashable { var descriptor: String; var dimension: String }
        var index: [Cell: Int] = [:]
        index.reserveCapacity(entries.count)
        var states: [CellState] = []
        states.reserveCapacity(entries.count)
        for entry in entries {
            let cell = Cell(descriptor: entry.candidate.key.descriptor, dimension: entry.candidate.key.dimension.rawValue)
            if let at = index[cell] {
                states[at].entries.append(entry)
            } else {
                index[cell] = states.count
                states.append(CellState(key: entry.candidate.key, entries: [entry], winner: 0))
            }
        }
        for position in states.indices {
            states[position].entries.sort { ($0.candidate.observedAt, $0.origin) < ($1.candidate.observedAt, $1.origin) }
            states[position].winner = winner(states[position].entries)
        }
        return states
    }

    /// The winner among a cell's candidates in arrival order, by the precedence rule
    /// (`Precedence.winnerIndex`), reading each entry's precedence and time in place: copying
    /// each candidate out would retain every one of its fields, for each of ~550,000 cells.
    static func winner(_ entries: [CellEntry]) -> Int {
        var best = 0
        var index = 1
        while index < entries.count {
            if Precedence.replaces(challengerPrecedence: entries[index].candidate.source.precedence,
                                   challengerTime: entries[index].candidate.observedAt,
                                   incumbentPrecedence: entries[best].candidate.source.precedence,
                                   incumbentTime: entries[best].candidate.observedAt) {
                best = index
            }
            index += 1
        }
        return best
    }

    /// Derived and stored candidates of a subject.
    func entries(of subject: Subject) throws -> [CellEntry] {
        try derived(subject).map {
            CellEntry(origin: .derived, candidate: $0, runID: layerRuns[$0.observedAt] ?? shared?.layerRun(at: $0.observedAt) ?? "",
                      isStoredWinner: false)
        } + stored(subject)
    }

    /// The candidates the layers give a subject: a profile's ratings, a unit group's by
    /// `UnitGroupRule`, a title's by `TitleInheritanceRule`; and for unit groups and profiles,
    /// what O*NET offers their unit group.
    func derived(_ subject: Subject) throws -> [Candidate] {
        if subject.kind == .profile, let known = layers[subject.code] { return known }
        var result: [Candidate] = []
        for input in CascadeGraph.inputs(of: subject.kind) {
            switch input {
            case .ratings:
                result += try layer(profile: subject.code)
            case .onetOffers:
                let unitGroup = subject.kind == .profile ? Codes.unitGroup(ofProfile: subject.code) : subject.code
                result += try onetOffers(unitGroup, to: subject)
            case .unitGroupRule:
                var ratings: [Candidate] = []
                for profile in try profiles(ofUnitGroup: subject.code) {
                    ratings += try authoritativeWinners(ofProfile: profile)
                }
                result += UnitGroupRule.candidates(from: ratings, maxima: try scaleMaxima(), observedAt: nil)
            case .titleInheritance:
                guard let resolution = try titleResolution(subject.code) else { continue }
                result += TitleInheritanceRule.candidates(resolution, profileCandidates: try inheritable(profile: resolution.profileCode))
            case .stored:
                continue  // `stored(_:)`: rows of their own, with ids
            }
        }
        if subject.kind == .profile { layers[subject.code] = result }
        return result
    }

    /// What a title inherits from a profile: its authoritative winners and its best O*NET value per cell.
    private func inheritable(profile: String) throws -> [Candidate] {
        if let known = inheritableCache[profile] { return known }
        if let known = shared?.inheritable(profile: profile) {
            inheritableCache[profile] = known
            return known
        }
        let computed = try computeInheritable(profile: profile)
        inheritableCache[profile] = computed
        shared?.keep(profile: profile, inheritable: computed, layerRuns: layerRuns)
        return computed
    }

    private func computeInheritable(profile: String) throws -> [Candidate] {
        var result: [Candidate] = []
        var bestONet: [CellKey: Candidate] = [:]
        var order: [CellKey] = []
        for state in try profileStates(profile) {
            let winner = state.winningEntry.candidate
            if winner.source == .authoritative { result.append(winner) }
            for entry in state.entries where entry.candidate.source == .onet {
                if let current = bestONet[state.key] {
                    if Precedence.replaces(entry.candidate, incumbent: current) { bestONet[state.key] = entry.candidate }
                } else {
                    bestONet[state.key] = entry.candidate
                    order.append(state.key)
                }
            }
        }
        return result + order.map { bestONet[$0]! }
    }

    /// The profile's winners that are authoritative, in its cells' order, without deriving what
    /// O*NET offers it: authoritative values outrank every other source, so a cell's winner is
    /// authoritative exactly when it is the winner among the cell's authoritative candidates
    /// (same arrival order, same rule). A unit group reads this of each of its profiles; decoding
    /// their O*NET offers for it was a fifth of an export's time.
    private func authoritativeWinners(ofProfile profile: String) throws -> [Candidate] {
        if let known = profileStates[profile] {
            return known.lazy.map(\.winningEntry.candidate).filter { $0.source == .authoritative }
        }
        var entries = try layer(profile: profile).map {
            CellEntry(origin: .derived, candidate: $0, runID: "", isStoredWinner: false)
        }
        entries += try stored(.profile(profile)).filter { $0.candidate.source == .authoritative }
        return Self.states(entries).map(\.winningEntry.candidate).filter { $0.source == .authoritative }
    }

    private func profileStates(_ profile: String) throws -> [CellState] {
        if let known = profileStates[profile] { return known }
        let states = Self.states(try entries(of: .profile(profile)))
        profileStates[profile] = states
        return states
    }

    /// Drops the profiles' cells read so far (what titles inherit stays): a pass over every subject
    /// calls it after each one, so that it holds one subject's cells at a time, not the store's.
    func releaseProfileCells() {
        profileStates.removeAll(keepingCapacity: true)
        layers.removeAll(keepingCapacity: true)
    }

    /// Drops what was read of a subject that has just been written to.
    func forget(_ subject: Subject) {
        if subject.kind == .profile {
            profileStates[subject.code] = nil
            inheritableCache[subject.code] = nil
        }
    }

    // MARK: Sources of the derivation

    /// A profile's packed ratings, every load of them (older loads are kept as lower candidates).
    func layer(profile: String) throws -> [Candidate] {
        var result: [Candidate] = []
        let rows = try Row.fetchCursor(db, sql: """
            SELECT provenance_id, ratings FROM profile_rating WHERE profile_code = ? ORDER BY provenance_id
            """, arguments: [profile])
        while let row = try rows.next() {
            let record = try self.provenance(row[0])
            layerRuns[record.provenance.observedAt] = record.runID
            result += RatingLayer.decode(row[1], profile: profile, provenance: record.provenance)
        }
        return result
    }

    /// What O*NET offers a unit group, every load of it, as candidates of `subject` (the unit
    /// group or one of its profiles, at its own source level).
    func onetOffers(_ unitGroup: String, to subject: Subject) throws -> [Candidate] {
        if offersCache?.unitGroup != unitGroup {
            var offers: [Candidate] = []
            try forEachONetLoad(of: unitGroup) { record, packed in
                offers += ONetLayer.decode(packed, subject: .unitGroup(unitGroup), provenance: record.provenance, withMetadata: withMetadata)
            }
            // Profiles of a unit group are read one after another: one unit group's offers are kept.
            offersCache = (unitGroup, offers)
        }
        let offers = offersCache!.offers
        guard subject.kind != .unitGroup else { return offers }
        return offers.map { offer in
            var copy = offer
            copy.key.subject = subject
            copy.sourceLevel = subject.level
            return copy
        }
    }

    /// Each load of what O*NET offers a unit group, oldest first: its provenance and its packed
    /// offers (`ONetLayer`), its run noted for the values derived from it.
    func forEachONetLoad(of unitGroup: String, _ body: (ProvenanceRecord, String) throws -> Void) throws {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT provenance_id, offers FROM onet_layer WHERE unit_group = ? ORDER BY provenance_id
            """), arguments: [unitGroup])
        while let row = try rows.next() {
            let record = try provenance(row[0])
            layerRuns[record.provenance.observedAt] = record.runID
            try body(record, row[1])
        }
    }

    func provenance(_ id: Int64) throws -> ProvenanceRecord {
        if let known = provenance[id] { return known }
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM provenance WHERE id = ?", arguments: [id]) else {
            throw DatabaseError(message: "provenance \(id) is missing: the store is damaged; rebuild it with `jobforge build`")
        }
        let record = ProvenanceRecord(id: id, provenance: Provenance(
                                          source: try row.decode("source", table: "provenance"), method: CandidateMethod(row["method"] as String),
                                          sourceLevel: try row.decode("source_level", table: "provenance"),
                                          sourceIDs: JSONText.decodeArray(row["source_ids"]), release: row["release"],
                                          observedAt: try time(row["observed_at"])),
                                      runID: row["run_id"])
        provenance[id] = record
        return record
    }

    private func time(_ text: String) throws -> Date {
        if let known = times[text] { return known }
        guard let date = Timestamp.date(text) else {
            throw StoreError.corrupt(table: "provenance", column: "observed_at", value: text)
        }
        times[text] = date
        return date
    }

    /// The candidates stored for the subject itself.
    func stored(_ subject: Subject) throws -> [CellEntry] {
        storedReads += 1
        // One subject (a title and its profile, say): found by its key; a pass over many: all at once.
        if subjectIDs == nil, storedReads > 4 {
            var ids: [Subject: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, kind, code FROM subject") {
                ids[Subject(kind: try row.decode(at: 1, table: "subject", column: "kind"), code: row[2])] = row[0]
            }
            subjectIDs = ids
        }
        var subjectID = subjectIDs?[subject]
        if subjectID == nil {
            // Added since the map was read (a writer's new subject), or not stored at all.
            subjectID = try Int64.fetchOne(db, sql: "SELECT id FROM subject WHERE kind = ? AND code = ?",
                                           arguments: [subject.kind.rawValue, subject.code])
            if let subjectID { subjectIDs?[subject] = subjectID }
        }
        guard let subjectID else { return [] }
        let statement = try db.cachedStatement(sql: """
            SELECT id, descriptor_code, dimension, value, text_value, provenance_id, confidence, rationale, metadata, is_winner,
                asked_context
            FROM candidate WHERE subject_id = ? ORDER BY id
            """)
        var result: [CellEntry] = []
        var currentContext: String??
        let rows = try Row.fetchCursor(statement, arguments: [subjectID])
        while let row = try rows.next() {
            let askedContext: String? = row[10]
            if askedContext != nil {
                if currentContext == nil { currentContext = .some(try context(of: subject)) }
                guard CascadeGraph.counts(askedContext: askedContext, currentContext: currentContext!) else { continue }
            }
            let record = try self.provenance(row[5])
            let provenance = record.provenance
            let candidate = Candidate(key: CellKey(subject: subject, descriptor: row[1], dimension: CellDimension(row[2] as String)),
                                      value: row[3], text: row[4], source: provenance.source, method: provenance.method,
                                      sourceLevel: provenance.sourceLevel, sourceIDs: provenance.sourceIDs,
                                      confidence: row[6], rationale: row[7], release: provenance.release,
                                      observedAt: provenance.observedAt,
                                      metadata: withMetadata ? JSONText.decodeObject(row[8]) : [:],
                                      askedContext: askedContext)
            result.append(CellEntry(origin: .stored(id: row[0]), candidate: candidate, runID: record.runID, isStoredWinner: row[9]))
        }
        return result
    }

    /// The subject's current context (`subject_context`), which answers tied to a context must
    /// match to count; nil when its source recorded none.
    func context(of subject: Subject) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT context FROM subject_context WHERE kind = ? AND code = ?"),
                            arguments: [subject.kind.rawValue, subject.code])
    }

    func profiles(ofUnitGroup unitGroup: String) throws -> [String] {
        if profilesOfUnitGroup == nil {
            var map: [String: [String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT DISTINCT profile_code FROM profile_rating ORDER BY profile_code") {
                let code: String = row[0]
                map[Codes.unitGroup(ofProfile: code), default: []].append(code)
            }
            profilesOfUnitGroup = map
        }
        return profilesOfUnitGroup![unitGroup] ?? []
    }

    /// The title's resolution as the Titles source recorded it; nil when it is not resolved.
    func titleResolution(_ id: String) throws -> TitleInheritanceRule.Resolution? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT profile_code, method, confidence, unit_group_source, fuzzy_score FROM title_resolution WHERE title_id = ?
            """), arguments: [id]) else { return nil }
        return TitleInheritanceRule.Resolution(titleID: id, profileCode: row[0], method: row[1], confidence: row[2],
                                               unitGroupSource: row[3], fuzzyScore: row[4])
    }

    func scaleMaxima() throws -> UnitGroupRule.ScaleMaxima {
        if let maxima { return maxima }
        let loaded = UnitGroupRule.ScaleMaxima(try SQLiteStore.allScales(db).values.flatMap { $0 })
        maxima = loaded
        return loaded
    }
}
