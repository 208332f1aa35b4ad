import Foundation
import GRDB
import JobForgeCore
import JobForgeNOCCoder
import JobForgeOaSIS
import JobForgeStore

/// The offline NOC coder's documents, from what the authoritative step stored (the reference
/// tables `noc_class`, `profile`, `profile_text`) or straight from the OaSIS files.
///
/// ```swift
/// let coder = NOCCoder(try NOCCoderDocuments.load(from: store))
/// let coder = NOCCoder(try NOCCoderDocuments.load(dataFolder: URL(fileURLWithPath: "data")))
/// ```
public enum NOCCoderDocuments {
    /// One document per NOC 2021 unit group (level 5), with its profiles' labels, lead statements,
    /// example titles and main duties.
    public static func make(nocClasses: [NOCClass], profiles: [Profile], texts: [ProfileText]) -> [UnitGroupDocument] {
        var documents: [String: UnitGroupDocument] = [:]
        for unitGroup in nocClasses where unitGroup.level == 5 {
            documents[unitGroup.code] = UnitGroupDocument(code: unitGroup.code, title: unitGroup.title)
        }
        var unitGroupOfProfile: [String: String] = [:]
        for profile in profiles.sorted(by: { $0.code < $1.code }) where documents[profile.unitGroup] != nil {
            unitGroupOfProfile[profile.code] = profile.unitGroup
            documents[profile.unitGroup]!.labels.append(profile.label)
            if let lead = profile.leadStatement, !lead.isEmpty { documents[profile.unitGroup]!.leadStatements.append(lead) }
        }
        let ordered = texts.sorted { ($0.profileCode, $0.kind.rawValue, $0.seq) < ($1.profileCode, $1.kind.rawValue, $1.seq) }
        for text in ordered {
            guard let unitGroup = unitGroupOfProfile[text.profileCode] else { continue }
            switch text.kind {
            case .exampleTitle: documents[unitGroup]!.exampleTitles.append(text.text)
            case .mainDuty: documents[unitGroup]!.mainDuties.append(text.text)
            default: continue
            }
        }
        return documents.keys.sorted().map { documents[$0]! }
    }

    /// From the store a build wrote. Empty when the store has no authoritative data yet.
    public static func load(from store: SQLiteStore) throws -> [UnitGroupDocument] {
        try store.dbQueue.read { db in
            let nocClasses = try Row.fetchAll(db, sql: "SELECT code, title FROM noc_class WHERE level = 5").map { row in
                NOCClass(code: row["code"], level: 5, hierarchy: "", title: row["title"], definition: "", parent: nil)
            }
            let profiles = try Row.fetchAll(db, sql: "SELECT code, unit_group, label, lead_statement FROM profile").map { row in
                Profile(code: row["code"], unitGroup: row["unit_group"], label: row["label"], leadStatement: row["lead_statement"])
            }
            let texts = try Row.fetchAll(db, sql: """
                SELECT profile_code, kind, seq, text FROM profile_text WHERE kind IN (?, ?)
                """, arguments: [ProfileText.Kind.exampleTitle.rawValue, ProfileText.Kind.mainDuty.rawValue]).compactMap { row in
                ProfileText.Kind(rawValue: row["kind"]).map { kind in
                    ProfileText(profileCode: row["profile_code"], kind: kind, seq: row["seq"], text: row["text"])
                }
            }
            return make(nocClasses: nocClasses, profiles: profiles, texts: texts)
        }
    }

    /// From the NOC and OaSIS files of a data folder (`data/`), without a store.
    public static func load(dataFolder: URL) throws -> [UnitGroupDocument] {
        let dataset = try OaSISDataset.loadDescriptions(OaSISFiles(dataFolder: dataFolder))
        return make(nocClasses: dataset.nocClasses, profiles: dataset.profiles, texts: dataset.texts)
    }
}
