import Foundation
import JobForgeCore

/// What title resolution needs to know about OaSIS, as plain values: the NOC 2021 unit groups,
/// and per profile its label and OaSIS titles. Read from the store's `profile` / `profile_text`
/// tables (`SQLiteStore.titleReferenceRows()`) or straight from the OaSIS CSVs.
public struct ProfileReference: Sendable {
    public struct OaSISTitle: Sendable, Equatable {
        public var text: String
        /// `Example`, `Index` or `Inclusion`.
        public var type: String

        public init(text: String, type: String) {
            self.text = text
            self.type = type
        }
    }

    public struct Entry: Sendable, Equatable {
        public var code: String
        public var unitGroup: String
        public var label: String
        public var titles: [OaSISTitle]

        public init(code: String, unitGroup: String, label: String, titles: [OaSISTitle]) {
            self.code = code
            self.unitGroup = unitGroup
            self.label = label
            self.titles = titles
        }
    }

    public var profiles: [Entry]
    /// Every valid NOC 2021 unit group (five digits), including those without a profile.
    public var unitGroups: Set<String>

    public init(profiles: [Entry], unitGroups: Set<String> = []) {
        self.profiles = profiles
        self.unitGroups = unitGroups.union(profiles.map(\.unitGroup))
    }

    /// Reads `labels_oasis_2023_v1.0.csv` and `example-titles_oasis_2023_v1.0.csv` under
    /// `dataDirectory/oasis` (codes normalized with `Codes.profile`), and the NOC 2021 unit
    /// groups of `noc/noc_structure_en.csv` when it is there.
    public static func oasisFiles(dataDirectory: URL) throws -> ProfileReference {
        let oasis = dataDirectory.appendingPathComponent("oasis")
        let labelsURL = oasis.appendingPathComponent("labels_oasis_2023_v1.0.csv")
        let titlesURL = oasis.appendingPathComponent("example-titles_oasis_2023_v1.0.csv")
        let reader = CSVReader()

        var entries: [String: Entry] = [:]
        let labels = try reader.records(try Data(contentsOf: labelsURL), file: labelsURL.lastPathComponent)
        let labelColumns = try columns(labels.first, ["OaSIS profile code", "Label"], file: labelsURL.lastPathComponent)
        for record in labels.dropFirst() {
            let file = labelsURL.lastPathComponent
            guard record.fields.count > labelColumns.max()! else {
                throw InputError(file: file, line: record.line, message: "\(record.fields.count) fields, expected 2")
            }
            guard let code = Codes.profile(record.fields[labelColumns[0]]) else {
                throw InputError(file: file, line: record.line, column: "OaSIS profile code",
                                 message: "\"\(record.fields[labelColumns[0]])\" is not an OaSIS profile code")
            }
            entries[code] = Entry(code: code, unitGroup: Codes.unitGroup(ofProfile: code),
                                  label: record.fields[labelColumns[1]].trimmingSpacesAndNBSP, titles: [])
        }

        let titles = try reader.records(try Data(contentsOf: titlesURL), file: titlesURL.lastPathComponent)
        let titleColumns = try columns(titles.first, ["OaSIS profile code", "Job title type", "Job title text"],
                                       file: titlesURL.lastPathComponent)
        for record in titles.dropFirst() {
            let file = titlesURL.lastPathComponent
            guard record.fields.count > titleColumns.max()! else {
                throw InputError(file: file, line: record.line, message: "\(record.fields.count) fields, expected 4")
            }
            guard let code = Codes.profile(record.fields[titleColumns[0]]) else {
                throw InputError(file: file, line: record.line, column: "OaSIS profile code",
                                 message: "\"\(record.fields[titleColumns[0]])\" is not an OaSIS profile code")
            }
            let text = record.fields[titleColumns[2]].trimmingSpacesAndNBSP
            guard !text.isEmpty else { continue }
            entries[code]?.titles.append(OaSISTitle(text: text, type: record.fields[titleColumns[1]].trimmingSpacesAndNBSP))
        }

        var unitGroups: Set<String> = []
        let structureURL = dataDirectory.appendingPathComponent("noc/noc_structure_en.csv")
        if FileManager.default.fileExists(atPath: structureURL.path) {
            let structure = try reader.records(try Data(contentsOf: structureURL), file: structureURL.lastPathComponent)
            let columns = try columns(structure.first, ["Level", "Code - NOC 2021 V1.0"], file: structureURL.lastPathComponent)
            for record in structure.dropFirst() where record.fields.count > columns.max()! && record.fields[columns[0]] == "5" {
                if let code = Codes.unitGroup(record.fields[columns[1]]) { unitGroups.insert(code) }
            }
        }
        return ProfileReference(profiles: entries.values.sorted { $0.code < $1.code }, unitGroups: unitGroups)
    }

    private static func columns(_ header: CSVRecord?, _ names: [String], file: String) throws -> [Int] {
        guard let header else { throw InputError(file: file, line: 1, message: "the file is empty") }
        let found = header.fields.map(\.trimmingSpacesAndNBSP)
        return try names.map { name in
            guard let index = found.firstIndex(of: name) else {
                throw InputError(file: file, line: 1, column: name,
                                 message: "no column \"\(name)\"; found \(found.joined(separator: ", "))")
            }
            return index
        }
    }
}
