import Foundation
import GRDB
import JobForgeCore

/// The store's answers to `CascadeGraph.Topology`, read within one transaction (before the
/// change they are asked about is written). Each answer is read once and kept.
final class StoreTopology: CascadeGraph.Topology {
    let db: Database
    private var profilesOfUnitGroup: [String: [String]]?
    private var ratedProfiles: Set<String>?
    private var unitGroupsWithOffers: Set<String>?

    init(_ db: Database) { self.db = db }

    /// Every profile with a record or with ratings, by unit group, in code order.
    func profiles(ofUnitGroup unitGroup: String) throws -> [String] {
        if profilesOfUnitGroup == nil {
            var map: [String: [String]] = [:]
            for code in try String.fetchAll(db, sql: "SELECT code FROM profile UNION SELECT profile_code FROM profile_rating ORDER BY 1") {
                map[Codes.unitGroup(ofProfile: code), default: []].append(code)
            }
            profilesOfUnitGroup = map
        }
        return profilesOfUnitGroup![unitGroup] ?? []
    }

    func resolvedProfileOfTitles() throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT title_id, profile_code FROM title_resolution") { result[row[0]] = row[1] }
        return result
    }

    func subjectsHoldingCandidates() throws -> [Subject] {
        try SQLiteStore.subjectsHoldingCandidates(db)
    }

    func held(_ input: CascadeGraph.Input, subject: Subject) throws -> Bool {
        switch input {
        case .ratings:
            if ratedProfiles == nil {
                ratedProfiles = Set(try String.fetchAll(db, sql: "SELECT DISTINCT profile_code FROM profile_rating"))
            }
            return subject.kind == .profile && ratedProfiles!.contains(subject.code)
        case .onetOffers:
            if unitGroupsWithOffers == nil {
                unitGroupsWithOffers = Set(try String.fetchAll(db, sql: "SELECT DISTINCT unit_group FROM onet_layer"))
            }
            let unitGroup = subject.kind == .profile ? Codes.unitGroup(ofProfile: subject.code) : subject.code
            return subject.kind != .title && unitGroupsWithOffers!.contains(unitGroup)
        case .unitGroupRule, .titleInheritance, .stored:
            return false
        }
    }
}

extension SQLiteStore {
    /// The subjects that hold stored candidates of their own (of one kind, or all): those whose
    /// stored winner flags a change of derived values can make stale.
    static func subjectsHoldingCandidates(_ db: Database, kind: Subject.Kind? = nil) throws -> [Subject] {
        try Row.fetchAll(db, sql: """
            SELECT s.kind, s.code FROM subject s
            WHERE (?1 IS NULL OR s.kind = ?1) AND EXISTS (SELECT 1 FROM candidate c WHERE c.subject_id = s.id)
            """, arguments: [kind?.rawValue]).map { Subject(kind: try $0.decode(at: 0, table: "subject", column: "kind"), code: $0[1]) }
    }

    /// Every subject of a kind that has or derives cells, by code (see `subjects(_:kind:)`).
    public func subjects(of kind: Subject.Kind) throws -> [Subject] {
        try dbQueue.read { db in try Self.subjects(db, kind: kind) }
    }

    /// Every subject of a kind that has or derives cells, by code: unit groups of the NOC, profiles
    /// with ratings, resolved titles, and any subject holding stored candidates.
    static func subjects(_ db: Database, kind: Subject.Kind) throws -> [Subject] {
        var codes = Set(try String.fetchAll(db, sql: "SELECT code FROM subject WHERE kind = ?", arguments: [kind.rawValue]))
        switch kind {
        case .unitGroup: codes.formUnion(try String.fetchAll(db, sql: "SELECT code FROM noc_class WHERE level = 5"))
        case .profile: codes.formUnion(try String.fetchAll(db, sql: "SELECT DISTINCT profile_code FROM profile_rating"))
        case .title: codes.formUnion(try String.fetchAll(db, sql: "SELECT title_id FROM title_resolution"))
        }
        return codes.sorted().map { Subject(kind: kind, code: $0) }
    }
}
