import Foundation
import JobForgeCore

/// The fields JobForge knows in a job architecture; every other column is kept as-is.
public enum ArchitectureField: String, Sendable, Codable, CaseIterable {
    case id
    case title
    case titleFR = "title_fr"
    case function
    case family
    case managerialLevel = "managerial_level"
    case noc2021 = "noc_2021"
    case noc2016 = "noc_2016"
    /// An OaSIS profile the title is pinned to (`31301.01`): a decision made in the file.
    case profile

    /// Accepts the raw value and the spellings users type (`noc`, `level`, `french title`, ...).
    public init?(userInput: String) {
        let key = Self.squash(userInput)
        if let field = ArchitectureField.allCases.first(where: { Self.squash($0.rawValue) == key }) {
            self = field
            return
        }
        switch key {
        case "noc", "noc21": self = .noc2021
        case "noc16": self = .noc2016
        case "level", "managementlevel": self = .managerialLevel
        case "frenchtitle", "titrefr", "fr": self = .titleFR
        case "name", "jobtitle": self = .title
        default: return nil
        }
    }

    /// Header names recognized without a mapping, squashed (lowercase letters and digits only).
    var recognizedHeaders: Set<String> {
        switch self {
        case .id: ["id", "jobid", "titleid", "positionid", "jobcode", "jobtitleid"]
        case .title: ["title", "jobtitle", "titleen", "jobtitleen", "englishtitle", "titleenglish", "jobtitleenglish"]
        case .titleFR: ["titlefr", "jobtitlefr", "frenchtitle", "titlefrench", "jobtitlefrench", "titre", "titrefr",
                        "titredeposte", "titreduposte"]
        case .function: ["function", "jobfunction"]
        case .family: ["family", "jobfamily"]
        case .managerialLevel: ["manageriallevel", "managementlevel", "level", "managerlevel"]
        case .noc2021: ["noc2021", "noc", "noccode", "noc2021code", "noc2021unitgroup", "nocunitgroup"]
        case .noc2016: ["noc2016", "noc2016code", "noc2016unitgroup"]
        case .profile: ["profile", "profilecode", "oasisprofile", "oasisprofilecode"]
        }
    }

    /// Lowercase letters and digits only: `"NOC 2021"` and `noc_2021` both become `noc2021`.
    static func squash(_ text: String) -> String {
        String(text.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }
}

/// Which header holds which field: `--column FIELD=HEADER` flags, a mapping file, or (for fields
/// neither names) the usual header names (`Job Title`, `NOC 2021`, `Job Family`, ...).
/// A header may also be given by position, `#3` for the third column.
public struct ColumnMapping: Sendable, Equatable {
    public var headers: [ArchitectureField: String]

    public init(headers: [ArchitectureField: String] = [:]) {
        self.headers = headers
    }

    /// Parses `FIELD=HEADER` assignments (from flags or the lines of a mapping file).
    public init(assignments: [String], source: String = "--column") throws {
        var headers: [ArchitectureField: String] = [:]
        for (index, assignment) in assignments.enumerated() {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw MappingError("\(source) \(index + 1): \"\(assignment)\" is not FIELD=HEADER (fields: \(Self.fieldList))")
            }
            let name = String(assignment[..<equals]).trimmingSpacesAndNBSP
            let header = String(assignment[assignment.index(after: equals)...]).trimmingSpacesAndNBSP
            guard let field = ArchitectureField(userInput: name) else {
                throw MappingError("\(source) \(index + 1): unknown field \"\(name)\" (fields: \(Self.fieldList))")
            }
            guard !header.isEmpty else {
                throw MappingError("\(source) \(index + 1): no header after \"\(name)=\"")
            }
            headers[field] = header
        }
        self.headers = headers
    }

    /// Reads a mapping file: `FIELD=HEADER` lines (`#` starts a comment), or a JSON object
    /// `{"title": "Job Title", ...}`.
    public init(contentsOf url: URL) throws {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw MappingError("cannot read the mapping file \(url.path): \(error.localizedDescription)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: String] else {
                throw MappingError("\(url.lastPathComponent): not a JSON object of field -> header strings")
            }
            try self.init(assignments: object.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
                          source: url.lastPathComponent)
            return
        }
        var assignments: [String] = []
        var lines: [Int] = []
        for (index, line) in text.components(separatedBy: .newlines).enumerated() {
            let content = line.trimmingSpacesAndNBSP
            guard !content.isEmpty, !content.hasPrefix("#") else { continue }
            assignments.append(content)
            lines.append(index + 1)
        }
        do {
            try self.init(assignments: assignments, source: url.lastPathComponent)
        } catch let error as MappingError {
            // Point at the file's own line, not the assignment's position.
            var message = error.message
            if let range = message.range(of: #"^\S+ (\d+):"#, options: .regularExpression),
               let position = Int(message[range].split(separator: " ").last!.dropLast()), position <= lines.count {
                message.replaceSubrange(range, with: "\(url.lastPathComponent):\(lines[position - 1]):")
            }
            throw MappingError(message)
        }
    }

    /// Explicit assignments of `other` override this mapping's.
    public func merging(_ other: ColumnMapping) -> ColumnMapping {
        ColumnMapping(headers: headers.merging(other.headers) { _, new in new })
    }

    static var fieldList: String { ArchitectureField.allCases.map(\.rawValue).joined(separator: ", ") }
}

/// A mapping that cannot be used: unknown field, missing header, unreadable file.
public struct MappingError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Why a row was skipped.
public enum BadRowReason: String, Sendable, Codable, CaseIterable {
    case noTitle = "no_title"
    case unknownNOC2021 = "unknown_noc_2021"
    case unknownNOC2016 = "unknown_noc_2016"
    case wrongFieldCount = "wrong_field_count"
    case duplicateKey = "duplicate_key"
    /// A field longer than its `TextLimit`.
    case tooLong = "too_long"
    /// A `profile` column's value that is not an OaSIS profile of the store.
    case unknownProfile = "unknown_profile"
}

/// A skipped row: its line in the file (1-based, the header is line 1) and why.
public struct BadRow: Sendable, Codable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var reason: BadRowReason
    public var message: String

    public var description: String { "\(file):\(line): \(message)" }
}

/// A job architecture read and checked, not yet resolved or stored.
public struct ParsedArchitecture: Sendable {
    public var file: String
    /// The headers as used: empty ones named `column_N`, repeated ones suffixed ` (2)`, ` (3)`.
    public var headers: [String]
    /// Which header each known field was read from.
    public var fieldColumns: [ArchitectureField: String]
    public var titles: [JobTitle]
    public var badRows: [BadRow]
    /// Rows imported with something to check (a code a spreadsheet stored as a number).
    public var warnings: [ImportWarning] = []
    /// Data rows read (the header excluded).
    public var rowsRead: Int
}

/// Checks every row of a job architecture (a CSV file or a workbook's sheet, read by
/// `ArchitectureFileFormat`): a title, NOC codes that exist, the header's field count, one row per key.
public struct ArchitectureParser: Sendable {
    public var mapping: ColumnMapping
    /// Valid NOC 2021 unit groups.
    public var unitGroups: Set<String>
    public var concordance: NOCConcordance

    public init(mapping: ColumnMapping = ColumnMapping(), unitGroups: Set<String>, concordance: NOCConcordance) {
        self.mapping = mapping
        self.unitGroups = unitGroups
        self.concordance = concordance
    }

    /// Parses `data` (named `file` in messages). Throws for a file that cannot be read as a
    /// whole (broken quoting, no title column, a mapped header that is not there); a bad row
    /// only lands in `badRows`.
    public func parse(_ data: Data, file: String) throws -> ParsedArchitecture {
        try parse(ArchitectureTable(records: try CSVReader().records(data, file: file), plainNumbers: [],
                                    description: "UTF-8, comma-delimited"), file: file)
    }

    /// Checks the rows of a file already read (any encoding, delimiter or workbook).
    public func parse(_ table: ArchitectureTable, file: String) throws -> ParsedArchitecture {
        guard let header = table.records.first else {
            throw InputError(file: file, line: 1, message: "the file is empty: expected a header row and one row per job title")
        }
        var checker = try rowChecker(header: header, plainNumbers: table.plainNumbers, file: file)
        var titles: [JobTitle] = []
        titles.reserveCapacity(table.records.count - 1)
        for record in table.records.dropFirst() {
            if let title = checker.check(record) { titles.append(title) }
        }
        return ParsedArchitecture(file: file, headers: checker.headers, fieldColumns: checker.fieldColumns,
                                  titles: titles, badRows: checker.badRows, warnings: checker.warnings, rowsRead: checker.rowsRead)
    }

    /// A checker of the rows under `header`, one at a time, for a file read as it goes: each
    /// good row comes back as a title, each bad one lands in `badRows`.
    ///
    /// ```swift
    /// var checker = try parser.rowChecker(header: header, file: "jobs.csv")
    /// if let title = checker.check(record) { store(title) }
    /// checker.badRows     // every skipped row so far, with its line and reason
    /// ```
    public func rowChecker(header: CSVRecord, plainNumbers: Set<WorkbookSheet.CellPosition> = [],
                           file: String) throws -> RowChecker {
        let headers = Self.effectiveHeaders(header.fields)
        return RowChecker(parser: self, file: file, headers: headers, columns: try fieldColumns(headers: headers, file: file),
                          plainNumbers: plainNumbers)
    }

    /// Checks rows one at a time (see ``ArchitectureParser/rowChecker(header:plainNumbers:file:)``):
    /// a title, NOC codes that exist, the header's field count, one row per key.
    public struct RowChecker: Sendable {
        public let file: String
        /// The headers as used: empty ones named `column_N`, repeated ones suffixed ` (2)`, ` (3)`.
        public let headers: [String]
        /// Which header each known field was read from.
        public var fieldColumns: [ArchitectureField: String] { columns.mapValues { headers[$0] } }
        public private(set) var badRows: [BadRow] = []
        public private(set) var warnings: [ImportWarning] = []
        /// Data rows checked so far (the header excluded).
        public private(set) var rowsRead = 0

        let unitGroups: Set<String>
        let concordance: NOCConcordance
        let plainNumbers: Set<WorkbookSheet.CellPosition>
        let columns: [ArchitectureField: Int]
        // Looked up once, not per row.
        let idColumn: Int?, titleColumn: Int?, titleFRColumn: Int?, functionColumn: Int?, familyColumn: Int?
        let managerialLevelColumn: Int?, noc2021Column: Int?, noc2016Column: Int?, profileColumn: Int?
        let extraColumns: [Int]
        let limits: [TextLimit]
        var firstLineOfKey: [String: Int] = [:]

        init(parser: ArchitectureParser, file: String, headers: [String], columns: [ArchitectureField: Int],
             plainNumbers: Set<WorkbookSheet.CellPosition>) {
            self.file = file
            self.headers = headers
            self.columns = columns
            self.unitGroups = parser.unitGroups
            self.concordance = parser.concordance
            self.plainNumbers = plainNumbers
            idColumn = columns[.id]; titleColumn = columns[.title]; titleFRColumn = columns[.titleFR]
            functionColumn = columns[.function]; familyColumn = columns[.family]
            managerialLevelColumn = columns[.managerialLevel]; noc2021Column = columns[.noc2021]
            noc2016Column = columns[.noc2016]; profileColumn = columns[.profile]
            let fieldIndexes = Set(columns.values)
            extraColumns = headers.indices.filter { !fieldIndexes.contains($0) }
            // The fields JobForge reads are one-line names; any other column is free text.
            limits = headers.indices.map { fieldIndexes.contains($0) ? TextLimit.name : .freeText }
        }

        /// The title of a good row; nil for a bad one (added to `badRows`).
        public mutating func check(_ record: CSVRecord) -> JobTitle? {
            rowsRead += 1
            func bad(_ reason: BadRowReason, _ message: String) -> JobTitle? {
                badRows.append(BadRow(file: file, line: record.line, reason: reason, message: message))
                return nil
            }
            guard record.fields.count == headers.count else {
                return bad(.wrongFieldCount, "\(record.fields.count) fields, the header has \(headers.count); quote fields that contain commas")
            }
            if let column = headers.indices.first(where: { !limits[$0].admits(record.fields[$0]) }) {
                return bad(.tooLong, "column \"\(headers[column])\" has " + limits[column].message(characters: record.fields[column].count))
            }
            /// A workbook stores a code typed as a number without its zeros: read back, padded.
            func warnIfTypedAsNumber(_ raw: String, _ code: String, _ what: String, _ column: Int) {
                guard raw != code, plainNumbers.contains(.init(line: record.line, column: column)) else { return }
                warnings.append(ImportWarning(file: file, line: record.line, message: "\(what) code \(raw) was typed as a number, "
                    + "which drops leading zeros: read as \(code); format the column as Text (or with the number format 00000) to keep them"))
            }
            func value(_ column: Int?) -> String? {
                guard let column else { return nil }
                let text = record.fields[column].trimmingSpacesAndNBSP
                return text.isEmpty ? nil : text
            }
            guard let title = value(titleColumn) else {
                return bad(.noTitle, "no title (column \"\(headers[titleColumn!])\" is empty)")
            }
            var noc2021: String?
            if let raw = value(noc2021Column) {
                guard let code = Codes.unitGroup(raw), unitGroups.contains(code) else {
                    var message = "NOC 2021 code \"\(raw)\" is not a NOC 2021 unit group"
                    if let old = NOCConcordance.noc2016(raw), !concordance.unitGroups(forNOC2016: old).isEmpty {
                        message += "; it looks like a NOC 2016 code: put it in the NOC 2016 column"
                    }
                    return bad(.unknownNOC2021, message)
                }
                noc2021 = code
                warnIfTypedAsNumber(raw, code, "NOC 2021", noc2021Column!)
            }
            var noc2016: String?
            if let raw = value(noc2016Column) {
                guard let code = NOCConcordance.noc2016(raw), !concordance.unitGroups(forNOC2016: code).isEmpty else {
                    return bad(.unknownNOC2016, "NOC 2016 code \"\(raw)\" is not a NOC 2016 unit group of the concordance")
                }
                noc2016 = code
                warnIfTypedAsNumber(raw, code, "NOC 2016", noc2016Column!)
            }
            let id = value(idColumn) ?? JobTitle.derivedID(title: title, noc2021: noc2021, noc2016: noc2016)
            if let first = firstLineOfKey[id] {
                let what = value(idColumn) != nil ? "id \"\(id)\"" : "title and code (key \(id))"
                return bad(.duplicateKey, "same \(what) as line \(first); each row needs its own key")
            }
            firstLineOfKey[id] = record.line
            var extra: [String: String] = [:]
            extra.reserveCapacity(extraColumns.count)
            for index in extraColumns { extra[headers[index]] = record.fields[index] }
            return JobTitle(id: id, title: title, titleFR: value(titleFRColumn), function: value(functionColumn),
                            family: value(familyColumn), managerialLevel: value(managerialLevelColumn),
                            noc2021: noc2021, noc2016: noc2016, extra: extra,
                            sourceFile: file, sourceLine: record.line, profile: value(profileColumn))
        }

        /// A row the importer rejects after the checks (a `profile` that is not in the store).
        public mutating func reject(line: Int, _ reason: BadRowReason, _ message: String) {
            badRows.append(BadRow(file: file, line: line, reason: reason, message: message))
        }
    }

    /// Empty headers become `column_N`; a repeated header gets ` (2)`, ` (3)`, ... so that every
    /// column keeps its values under a name of its own.
    static func effectiveHeaders(_ raw: [String]) -> [String] {
        var seen: [String: Int] = [:]
        var used = Set<String>()
        var result: [String] = []
        for (index, field) in raw.enumerated() {
            var name = field.trimmingSpacesAndNBSP
            if name.isEmpty { name = "column_\(index + 1)" }
            let base = name
            while used.contains(name) {
                let next = (seen[base] ?? 1) + 1
                seen[base] = next
                name = "\(base) (\(next))"
            }
            used.insert(name)
            result.append(name)
        }
        return result
    }

    /// The column index of each field: explicit mapping first, then the usual header names.
    func fieldColumns(headers: [String], file: String) throws -> [ArchitectureField: Int] {
        var columns: [ArchitectureField: Int] = [:]
        for (field, wanted) in mapping.headers {
            if wanted.hasPrefix("#"), let position = Int(wanted.dropFirst()) {
                guard (1...headers.count).contains(position) else {
                    throw InputError(file: file, line: 1, column: wanted,
                                     message: "\(field.rawValue)=\(wanted): the file has \(headers.count) columns")
                }
                columns[field] = position - 1
            } else if let index = headers.firstIndex(of: wanted)
                        ?? headers.firstIndex(where: { $0.caseInsensitiveCompare(wanted) == .orderedSame })
                        ?? headers.firstIndex(where: { ArchitectureField.squash($0) == ArchitectureField.squash(wanted) }) {
                columns[field] = index
            } else {
                throw InputError(file: file, line: 1, column: wanted,
                                 message: "no column \"\(wanted)\" for \(field.rawValue); the headers are: \(headers.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
        }
        let taken = Set(columns.values)
        for field in ArchitectureField.allCases where columns[field] == nil {
            if let index = headers.indices.first(where: { !taken.contains($0) && !columns.values.contains($0)
                && field.recognizedHeaders.contains(ArchitectureField.squash(headers[$0])) }) {
                columns[field] = index
            }
        }
        guard columns[.title] != nil else {
            throw InputError(file: file, line: 1, column: nil,
                             message: "no title column: name it with --column title=HEADER (headers: \(headers.map { "\"\($0)\"" }.joined(separator: ", ")))")
        }
        return columns
    }
}
