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

/// A CSV file read whole, with its fingerprint, and errors that name it.
struct LoadedCSV {
    var url: URL
    var name: String
    var header: [String]
    var records: [CSVRecord]
    var sha256: String
    /// Reviewed corrections of codes that are wrong in this file (`data/mappings/oasis_code_corrections.csv`).
    var corrections: [String: String] = [:]

    init(_ url: URL, corrections: CodeCorrections? = nil) throws {
        self.url = url
        name = url.lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError(file: url.path, line: 0, message: "cannot read the file: \(error.localizedDescription)")
        }
        sha256 = SHA256.hex(data)
        self.corrections = corrections?.byFile[url.lastPathComponent] ?? [:]
        var all = try CSVReader().records(data, file: url.lastPathComponent)
        guard !all.isEmpty else { throw InputError(file: url.lastPathComponent, line: 1, message: "the file is empty: a header was expected") }
        header = all.removeFirst().fields
        records = all
        // Every record must have exactly the header's number of fields.
        for record in records where record.fields.count != header.count {
            throw InputError(file: name, line: record.line,
                             message: "expected \(header.count) fields as in the header, found \(record.fields.count)")
        }
    }

    func error(_ record: CSVRecord, column: Int?, _ message: String) -> InputError {
        InputError(file: name, line: record.line, column: column.map { header[$0].trimmingSpacesAndNBSP }, message: message)
    }

    /// The index of a column, by its name after trimming; a missing column is an error.
    func column(_ name: String) throws -> Int {
        if let index = header.firstIndex(where: { $0.trimmingSpacesAndNBSP.caseInsensitiveCompare(name) == .orderedSame }) {
            return index
        }
        throw InputError(file: self.name, line: 1, column: name, message: "missing column \"\(name)\"; found \(header.map { $0.trimmingSpacesAndNBSP })")
    }

    /// A profile code in `column` of `record`, normalized (`31100.1` -> `31100.10`).
    func profileCode(_ record: CSVRecord, column: Int) throws -> String {
        guard let code = Codes.profile(record.fields[column]) else {
            throw error(record, column: column, "\"\(record.fields[column])\" is not an OaSIS profile code (UUUUU.NN)")
        }
        return corrections[code] ?? code
    }

    var fileRecord: SourceFileRecord { SourceFileRecord(path: name, sha256: sha256, records: records.count) }
}

/// Reviewed corrections of profile codes that one file writes differently from all the others.
/// Kept as data, applied by file, so nothing is ever joined on a guess.
struct CodeCorrections {
    var byFile: [String: [String: String]] = [:]
    var csv: LoadedCSV

    init(_ url: URL) throws {
        csv = try LoadedCSV(url)
        let file = try csv.column("file"), code = try csv.column("code_in_file"), corrected = try csv.column("corrected_code")
        for record in csv.records {
            guard let from = Codes.profile(record.fields[code]), let to = Codes.profile(record.fields[corrected]) else {
                throw csv.error(record, column: code, "both codes must be OaSIS profile codes")
            }
            byFile[record.fields[file], default: [:]][from] = to
        }
    }
}
