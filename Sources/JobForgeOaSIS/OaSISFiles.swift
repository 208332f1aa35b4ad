import Foundation
import JobForgeCore

/// The files of an OaSIS 2023 / NOC 2021 release, by role. File names follow ESDC's
/// published names; a folder that lacks one is an error that names the file.
public struct OaSISFiles: Sendable {
    public static let release = "OaSIS 2023 v1.0"
    public static let nocRelease = "NOC 2021 V1.0"

    public var folder: URL
    public var nocStructure: URL
    public var mappingFolder: URL

    public init(dataFolder: URL) {
        folder = dataFolder.appendingPathComponent("oasis")
        nocStructure = dataFolder.appendingPathComponent("noc/noc_structure_en.csv")
        mappingFolder = dataFolder.appendingPathComponent("mappings")
    }

    public func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

    public var guide: URL { file("guide_oasis_2023_v1.0.csv") }
    public var labels: URL { file("labels_oasis_2023_v1.0.csv") }
    public var leadStatements: URL { file("lead-statement_oasis_2023_v1.0.csv") }
    public var exampleTitles: URL { file("example-titles_oasis_2023_v1.0.csv") }
    public var mainDuties: URL { file("main-duties_oasis-2023_v1.0.csv") }
    public var employmentRequirements: URL { file("employment-requirements_oasis_2023_v1.0.csv") }
    public var exclusions: URL { file("exclusions_oasis_2023_v1.0.csv") }
    public var workplaces: URL { file("workplaces-employers_oasis_2023_v1.0.csv") }
    public var additionalInformation: URL { file("additional-information_oasis_2023_v1.0.csv") }
    public var headerMapping: URL { mappingFolder.appendingPathComponent("oasis_headers.csv") }
    public var scaleOverrides: URL { mappingFolder.appendingPathComponent("oasis_scale_overrides.csv") }
    public var codeCorrections: URL { mappingFolder.appendingPathComponent("oasis_code_corrections.csv") }

    /// The rating files and the category each rates.
    public var ratingFiles: [(category: Category, url: URL)] {
        [
            (.skills, file("skills_oasis_2023_v1.0.csv")),
            (.abilities, file("abilities_oasis_2023_v1.0.csv")),
            (.personalAttributes, file("personal-attributes_oasis_2023_v1.0.csv")),
            (.knowledge, file("knowledges_oasis_2023_v1.0.csv")),
            (.workActivities, file("workactivities_oasis_2023_v1.0.csv")),
            (.workContext, file("workcontext_oasis_2023_v1.0.csv")),
            (.interests, file("interests_oasis_2023_v1.0.csv")),
        ]
    }

    /// Every input file, for fingerprints.
    public var allFiles: [URL] {
        [nocStructure, guide, labels, leadStatements, exampleTitles, mainDuties, employmentRequirements, exclusions,
         workplaces, additionalInformation, headerMapping, scaleOverrides, codeCorrections] + ratingFiles.map(\.url)
    }
}

/// Every input file of a release, read once and hashed once: the build's fingerprint, the
/// release records and the parser all use these bytes and digests.
public struct OaSISInputs: Sendable {
    public let files: OaSISFiles
    /// `files.allFiles` in order, by file name, with the SHA-256 of each.
    public let digests: [(name: String, sha256: String)]
    /// By path: the bytes and their digest.
    let contents: [String: (data: Data, sha256: String)]

    /// Reads every file of `files.allFiles`; a file that cannot be read throws as `Data(contentsOf:)` does.
    public init(reading files: OaSISFiles) throws {
        self.files = files
        let urls = files.allFiles
        let data = try urls.map { try Data(contentsOf: $0, options: .mappedIfSafe) }
        let hashes = SHA256.hex(each: data)
        digests = zip(urls, hashes).map { ($0.lastPathComponent, $1) }
        var contents: [String: (data: Data, sha256: String)] = [:]
        for (index, url) in urls.enumerated() { contents[url.path] = (data[index], hashes[index]) }
        self.contents = contents
    }
}

/// A CSV file read whole, with its fingerprint, and errors that name it. Records are numbered
/// from 0 after the header; fields are read from the parsed bytes, Strings made only when asked.
struct LoadedCSV: Sendable {
    var url: URL
    var name: String
    var header: [String]
    var table: CSVTable
    var sha256: String
    /// Reviewed corrections of codes that are wrong in this file (`data/mappings/oasis_code_corrections.csv`).
    var corrections: [String: String] = [:]

    /// Reads `url`, or takes its bytes from `inputs` when they were read already.
    init(_ url: URL, inputs: OaSISInputs? = nil, corrections: CodeCorrections? = nil) throws {
        self.url = url
        name = url.lastPathComponent
        let data: Data
        if let read = inputs?.contents[url.path] {
            data = read.data
            sha256 = read.sha256
        } else {
            do {
                data = try Data(contentsOf: url)
            } catch {
                throw InputError.unreadableFile(url, error)
            }
            sha256 = SHA256.hex(data)
        }
        self.corrections = corrections?.byFile[url.lastPathComponent] ?? [:]
        table = try CSVTable(data, file: url.lastPathComponent)
        guard table.count > 0 else { throw InputError(file: url.lastPathComponent, line: 1, message: "the file is empty: a header was expected") }
        header = table.fields(0)
        // Every record must have exactly the header's number of fields.
        for record in 1..<table.count where table.fieldCount(record) != header.count {
            throw InputError(file: name, line: table.line(record),
                             message: "expected \(header.count) fields as in the header, found \(table.fieldCount(record))")
        }
        // No field of a release is longer than free text may be: a longer one is a broken file.
        for (record, column) in table.fields(longerThan: TextLimit.freeText.characters) where record > 0 {
            let text = table.string(record, column)
            guard TextLimit.freeText.admits(text) else {
                throw InputError(file: name, line: table.line(record), column: header[column].trimmingSpacesAndNBSP,
                                 message: TextLimit.freeText.message(characters: text.count))
            }
        }
    }

    /// The number of records after the header.
    var count: Int { table.count - 1 }
    var records: Range<Int> { 0..<count }

    func line(_ record: Int) -> Int { table.line(record + 1) }
    /// Field `column` of `record` as written.
    func text(_ record: Int, _ column: Int) -> String { table.string(record + 1, column) }
    /// Field `column` of `record` without the spaces around it (`trimmingSpacesAndNBSP`).
    func trimmed(_ record: Int, _ column: Int) -> String { table.trimmedString(record + 1, column) }
    /// Where field `column` of `record` lies in `table.bytes`.
    func range(_ record: Int, _ column: Int) -> Range<Int> { table.range(record + 1, column) }

    /// `trimmed(record, column)`, refused when longer than `limit`.
    func trimmed(_ record: Int, _ column: Int, limit: TextLimit) throws -> String {
        let text = trimmed(record, column)
        guard limit.admits(text) else { throw error(record, column: column, limit.message(characters: text.count)) }
        return text
    }

    func error(_ record: Int, column: Int?, _ message: String) -> InputError {
        InputError(file: name, line: line(record), column: column.map { header[$0].trimmingSpacesAndNBSP }, message: message)
    }

    /// The index of a column, by its name after trimming; a missing column is an error.
    func column(_ name: String) throws -> Int {
        if let index = header.firstIndex(where: { $0.trimmingSpacesAndNBSP.caseInsensitiveCompare(name) == .orderedSame }) {
            return index
        }
        throw InputError(file: self.name, line: 1, column: name, message: "missing column \"\(name)\"; found \(header.map { $0.trimmingSpacesAndNBSP })")
    }

    /// A profile code in `column` of `record`, normalized (`31100.1` -> `31100.10`).
    func profileCode(_ record: Int, column: Int) throws -> String {
        let code: String
        if let written = writtenProfileCode(range(record, column)) {
            code = written
        } else {
            let raw = text(record, column)
            guard let normalized = Codes.profile(raw) else {
                throw error(record, column: column, "\"\(raw)\" is not an OaSIS profile code (UUUUU.NN)")
            }
            code = normalized
        }
        if corrections.isEmpty { return code }
        return corrections[code] ?? code
    }

    /// `Codes.profile` of the field when it is written `UUUUU.NN` or `UUUUU`, as nearly every code
    /// is (main duties and work activities write thousands of bare unit groups), told from the
    /// bytes: the general path trims through Foundation. Nil for anything else.
    private func writtenProfileCode(_ range: Range<Int>) -> String? {
        guard range.count == 8 || range.count == 5 else { return nil }
        return table.bytes.withUnsafeBufferPointer { bytes -> String? in
            let field = UnsafeBufferPointer(rebasing: bytes[range])
            for (index, byte) in field.enumerated() {
                let expected = index == 5 ? byte == UInt8(ascii: ".") : (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                guard expected else { return nil }
            }
            let code = String(decoding: field, as: UTF8.self)
            return field.count == 5 ? code + ".00" : code
        }
    }

    /// `Codes.profile(text)`, a bare unit group (`UUUUU` -> `UUUUU.00`) told without Foundation.
    static func profileCode(_ text: String) -> String? {
        let bytes = text.utf8
        if bytes.count == 5, bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { return text + ".00" }
        return Codes.profile(text)
    }

    var fileRecord: SourceFileRecord { SourceFileRecord(path: name, sha256: sha256, records: count) }
}

/// Reviewed corrections of profile codes that one file writes differently from all the others.
/// Kept as data, applied by file, so nothing is ever joined on a guess.
struct CodeCorrections: Sendable {
    var byFile: [String: [String: String]] = [:]
    var csv: LoadedCSV

    init(_ url: URL, inputs: OaSISInputs? = nil) throws {
        csv = try LoadedCSV(url, inputs: inputs)
        let file = try csv.column("file"), code = try csv.column("code_in_file"), corrected = try csv.column("corrected_code")
        for record in csv.records {
            guard let from = Codes.profile(csv.text(record, code)), let to = Codes.profile(csv.text(record, corrected)) else {
                throw csv.error(record, column: code, "both codes must be OaSIS profile codes")
            }
            byFile[csv.text(record, file), default: [:]][from] = to
        }
    }
}
